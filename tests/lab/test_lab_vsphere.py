#!/usr/bin/env python3
"""The lab's API mode without the proxy agent: for basic.json with every host in API mode
(`source: vsphere`), the lab starts bnfc-vcsim inside the proxy's namespace on 127.0.0.1 and
writes the proxy's vsphere_source files. Proves with pyVmomi, run inside that namespace, that
(a) the API serves only there (127.0.0.1 of the root namespace does not answer),
(b) it shows each host as the lab built it: the vmknics' MACs and addresses of the host
    namespaces' kernel interfaces (esxsim live mode), the tags of the state file,
(c) SelectVnicForNicType / DeselectVnicForNicType change the host's state file (the lab's ground
    truth) and a tag changed with esxcli in the host namespace shows in the next API read,
(d) teardown stops the server and leaves no namespace.

Needs root, the lab's tools, esxsim and bnfc-vcsim (BNFC_BIN_DIR) and pyVmomi (run with the
interpreter that has python3-pyvmomi). Otherwise it prints why and exits 77 (skipped).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from labkit import scenario, vsphere  # noqa: E402
from labkit.netlab import GLOBAL_PREFIX, Lab, list_namespaces  # noqa: E402
from labkit.runner import Runner, pid_alive  # noqa: E402

SKIP = 77
BIN = os.environ.get("BNFC_BIN_DIR", "")
BASIC = os.path.join(HERE, "scenarios", "basic.json")
BACKUP = "vSphereBackupNFC"

# Runs inside the proxy namespace: prints {host: {vmk: {mac, ip, tags}}} read through the API,
# after applying the Select/Deselect operations given as argv[2:] ("select:esx02:vmk2").
CLIENT = r'''
import hashlib, json, ssl, sys
from pyVim.connect import SmartConnect, Disconnect
from pyVmomi import vim, vmodl
info = json.load(open(sys.argv[1]))
pin = info["thumbprint"]
class Pinned(ssl.SSLContext):
    def wrap_socket(self, *a, **k):
        s = super().wrap_socket(*a, **k)
        got = ":".join("%02X" % b for b in hashlib.sha256(s.getpeercert(True)).digest())
        if got != pin:
            raise ssl.SSLError("pin mismatch")
        return s
ctx = Pinned(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
hp = info["url"].split("//")[1].split("/")[0]
si = SmartConnect(host=hp.rsplit(":", 1)[0], port=int(hp.rsplit(":", 1)[1]),
                  user=info["username"], pwd=info["password"], sslContext=ctx)
content = si.RetrieveContent()
view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
hosts = {h.name: h for h in view.view}
for op in sys.argv[2:]:
    what, host, vmk = op.split(":")
    m = hosts[host].configManager.virtualNicManager
    (m.SelectVnicForNicType if what == "select" else m.DeselectVnicForNicType)("vSphereBackupNFC", vmk)
out = {}
for name, h in hosts.items():
    sel = {}
    for nc in h.config.virtualNicManagerInfo.netConfig:
        for k in nc.selectedVnic or []:
            sel.setdefault(k.rsplit("-", 1)[1], []).append(nc.nicType)
    out[name] = {v.device: {"mac": v.spec.mac, "ip": v.spec.ip.ipAddress,
                            "nic_types": sorted(sel.get(v.device, []))}
                 for v in h.config.network.vnic}
Disconnect(si)
print(json.dumps(out))
'''


def skip_reason():
    if os.geteuid() != 0:
        return "not root: the lab creates network namespaces (run ctest as root)"
    for tool in ("ip", "nbdkit", "nbdcopy"):
        if shutil.which(tool) is None:
            return f"'{tool}' is not installed (./run setup installs it)"
    for exe in ("esxsim", "bnfc-vcsim"):
        if not BIN or not os.access(os.path.join(BIN, exe), os.X_OK):
            return f"{exe} is not built in BNFC_BIN_DIR='{BIN}' (bnfc-vcsim needs golang-go)"
    try:
        import pyVmomi  # noqa: F401
    except ImportError:
        return f"pyVmomi is not importable by {sys.executable} (python3-pyvmomi)"
    return None


def kernel_mac(lab, node, ifname):
    cp = lab.runner.run(["ip", "-n", lab.ns(node), "-j", "link", "show", ifname])
    return json.loads(cp.stdout)[0]["address"]


class LabVsphereTest(unittest.TestCase):
    def test_api_mode_lab(self):
        with open(BASIC, encoding="utf-8") as f:
            doc = json.load(f)
        doc["traffic"] = []
        sc = scenario.parse(doc)
        vsphere.set_source(sc, "vsphere")
        out = tempfile.mkdtemp(prefix="lab-vsphere-")
        lab = Lab(sc, out, BIN)
        proxy = sc.proxies[0]
        try:
            lab.setup()
            lines = vsphere.setup_proxy(lab, proxy, BIN)
            # esx01 ensures, esx02 observes: one source per policy, each scoped to its hosts.
            self.assertEqual(len(lines), 2, lines)
            d = os.path.join(out, "proxies", proxy.id, "vcsim")
            with open(os.path.join(d, "info.json")) as f:
                info = json.load(f)
            with open(os.path.join(d, "source-observe-vmk2.conf")) as f:
                conf = dict(line.split(" = ", 1) for line in f.read().splitlines())
            self.assertEqual(conf["scope"], "hosts: esx02")
            self.assertEqual(conf["tag_policy"], "observe")
            self.assertEqual(conf["backup_vmk"], "vmk2")
            self.assertEqual(conf["thumbprint"], info["thumbprint"])
            self.assertEqual(os.stat(conf["credentials"]).st_mode & 0o777, 0o600)
            self.assertRegex(info["url"], r"^https://127\.0\.0\.1:\d+/sdk$")
            port = int(info["url"].rsplit(":", 1)[1].split("/")[0])

            # (a) nothing answers on the root namespace's loopback at that port
            s = socket.socket()
            s.settimeout(2)
            self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0,
                                "bnfc-vcsim must listen in the proxy namespace only")
            s.close()

            def api(*ops):
                cp = lab.runner.run(["ip", "netns", "exec", lab.ns(proxy.id), sys.executable,
                                     "-c", CLIENT, os.path.join(d, "info.json"), *ops],
                                    timeout=120)
                return json.loads(cp.stdout)

            # (b) the API shows the kernel's MACs/addresses and the state's tags
            seen = api()
            self.assertEqual(set(seen), {"esx01", "esx02"})
            for h in sc.hosts:
                for it in h.ifaces:
                    v = seen[h.id][it.name]
                    self.assertEqual(v["mac"].lower(), kernel_mac(lab, h.id, it.name).lower())
                    self.assertEqual(v["ip"], str(it.ipv4.ip))
            self.assertEqual(seen["esx01"]["vmk2"]["nic_types"], [BACKUP])
            self.assertEqual(seen["esx02"]["vmk2"]["nic_types"], [])
            self.assertEqual(seen["esx02"]["vmk0"]["nic_types"], ["management"])

            # (c) tagging through the API lands in the lab's state file, and back
            seen = api("select:esx02:vmk2")
            self.assertEqual(seen["esx02"]["vmk2"]["nic_types"], [BACKUP])
            tags = {v["name"]: v["tags"] for v in lab.read_state("esx02")["vmknics"]}
            self.assertIn(BACKUP, tags["vmk2"])
            api("deselect:esx02:vmk2")
            tags = {v["name"]: v["tags"] for v in lab.read_state("esx02")["vmknics"]}
            self.assertNotIn(BACKUP, tags["vmk2"])
            cp = lab.esxcli("esx01", "network", "ip", "interface", "tag", "remove", "-i", "vmk2",
                            "-t", BACKUP)
            self.assertEqual(cp.returncode, 0, cp.stderr)
            self.assertEqual(api()["esx01"]["vmk2"]["nic_types"], [])
        finally:
            procs = list(getattr(lab, "vcsim_procs", {}).values())
            left = lab.teardown()
            shutil.rmtree(out, ignore_errors=True)
        # (d)
        self.assertEqual(left, [])
        self.assertTrue(procs and all(not pid_alive(p.pid) for p in procs))
        self.assertFalse([n for n in list_namespaces(Runner()) if n.startswith(lab.prefix)])


if __name__ == "__main__":
    why = skip_reason()
    if why:
        print(f"SKIP: {why}")
        sys.exit(SKIP)
    unittest.main(verbosity=2)
