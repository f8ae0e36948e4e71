#!/usr/bin/python3
"""Baseline for vsphere_read_bench: pyVmomi reads the same host properties of every host with
RetrievePropertiesEx (+ Continue) over a ContainerView; prints the median of 5 steady reads and
the peak RSS. Usage: vsphere_pyvmomi_baseline.py INFO_JSON"""
import json
import resource
import ssl
import statistics
import sys
import time
from urllib.parse import urlparse

from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl

PATHS = ["name", "config.network.vnic", "config.network.portgroup",
         "config.virtualNicManagerInfo.netConfig", "runtime.connectionState"]


def main():
    info = json.load(open(sys.argv[1]))
    u = urlparse(info["url"])
    # Loopback benchmark only: pyVmomi pins SHA-1 thumbprints, the server's cert is self-signed.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    si = SmartConnect(host=u.hostname, port=u.port, user=info["username"], pwd=info["password"],
                      sslContext=ctx)
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    pc = content.propertyCollector
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
            obj=view, skip=True, selectSet=[vmodl.query.PropertyCollector.TraversalSpec(
                name="view", type=vim.view.ContainerView, path="view", skip=False)])],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.HostSystem, all=False,
                                                            pathSet=PATHS)])
    opts = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=250)

    def read():
        n = 0
        r = pc.RetrievePropertiesEx([spec], opts)
        while r:
            n += len(r.objects)
            r = pc.ContinueRetrievePropertiesEx(r.token) if r.token else None
        return n

    read()
    times = []
    for _ in range(5):
        t = time.monotonic()
        n = read()
        times.append((time.monotonic() - t) * 1000)
    Disconnect(si)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    med = statistics.median(times)
    print(f"pyVmomi baseline: {n} hosts; steady read {med:.0f} ms (median of 5, no facts or "
          f"verdicts); peak RSS {rss:.1f} MiB")
    print(f"RESULT steady_ms={med:.1f} rss_mib={rss:.1f} hosts={n}")


if __name__ == "__main__":
    main()
