#!/usr/bin/env python3
"""bnfc-vcsim checked by an independent vSphere client (pyVmomi, Debian's python3-pyvmomi).

The expected values come from esxsim's own esxcli output (CSV formatter, parsed here), never from
the server: the API must show the host that esxsim shows, and a tag set through the API must be
what esxsim then reports. Usage: test_vcsim_pyvmomi.py --bin BUILD/bin (exit 77: no pyVmomi).
"""

import argparse
import csv
import hashlib
import io
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

try:
    from pyVmomi import SoapStubAdapter, vim, vmodl
    from pyVim.connect import SmartConnect, Disconnect
except ImportError as e:  # pragma: no cover
    print(f"SKIP: pyVmomi not importable by {sys.executable} ({e}); install python3-pyvmomi")
    sys.exit(77)

BIN = ""
BACKUP = "vSphereBackupNFC"


def fixture_state(hostname, mgmt_ip, backup_ip, mac_base):
    """A host shaped like the lab's: management vmk0, backup vmk1 on its own vSwitch/VLAN with
    jumbo frames and IPv6, vmk2 on the vMotion netstack, one VM portgroup."""
    return {
        "host": {"hostname": hostname, "version": "8.0.3", "update": "3"},
        "vmknics": [
            {"name": "vmk0", "portgroup": "Management Network", "vswitch": "vSwitch0",
             "mac": mac_base + "00", "mtu": 1500,
             "ipv4": {"address": mgmt_ip, "netmask": "255.255.255.0", "gateway": "10.98.0.1"},
             "tags": ["Management"]},
            {"name": "vmk1", "portgroup": "Backup NFC", "vswitch": "vSwitch1", "vlan": 100,
             "mac": mac_base + "01", "mtu": 9000,
             "ipv4": {"address": backup_ip, "netmask": "255.255.255.0"},
             "ipv6": ["fd00:99::11/64"], "tags": [BACKUP]},
            {"name": "vmk2", "portgroup": "vMotion", "vswitch": "vSwitch0", "vlan": 20,
             "netstack": "vmotion", "mac": mac_base + "02", "mtu": 1500,
             "ipv4": {"address": "10.97.0.11", "netmask": "255.255.255.0"}, "tags": ["VMotion"]},
        ],
        "portgroups": [{"name": "VM Network", "vswitch": "vSwitch0"}],
        "netstacks": ["defaultTcpipStack", "vmotion"],
    }


def esxcli_csv(state, *args):
    out = subprocess.run([os.path.join(BIN, "esxsim"), "--state", state, "esxcli",
                          "--formatter=csv", *args], check=True, capture_output=True, text=True)
    return list(csv.DictReader(io.StringIO(out.stdout)))


def esxcli_tags(state, vmk):
    out = subprocess.run([os.path.join(BIN, "esxsim"), "--state", state, "esxcli", "network",
                          "ip", "interface", "tag", "get", "-i", vmk],
                         check=True, capture_output=True, text=True).stdout
    line = out.strip()
    assert line.startswith("Tags:"), out
    return [t.strip() for t in line[len("Tags:"):].split(",") if t.strip()]


def sha256_pin(der):
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


class PinnedContext(ssl.SSLContext):
    """TLS pinned to a SHA-256 certificate thumbprint (pyVmomi 6.7 only knows SHA-1 pins)."""

    pin = ""

    def wrap_socket(self, *args, **kwargs):
        sock = super().wrap_socket(*args, **kwargs)
        got = sha256_pin(sock.getpeercert(binary_form=True))
        if got != self.pin.upper():
            sock.close()
            raise ssl.SSLError(f"certificate thumbprint {got} is not the pinned {self.pin}")
        return sock


def pinned_context(pin):
    ctx = PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # trust comes from the pin, checked after the handshake
    ctx.pin = pin
    return ctx


class Server:
    def __init__(self, tmp, inventory=None, extra=()):
        self.info_path = os.path.join(tmp, "info.json")
        self.log_path = os.path.join(tmp, "vcsim.log")
        argv = [os.path.join(BIN, "bnfc-vcsim"), "--listen", "127.0.0.1:0",
                "--info-file", self.info_path, "--username", "backup-ro",
                "--password", "s3cret", *extra]
        if inventory is not None:
            inv_path = os.path.join(tmp, "inventory.json")
            with open(inv_path, "w") as f:
                json.dump(inventory, f)
            argv += ["--inventory", inv_path]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not os.path.exists(self.info_path):
            if self.proc.poll() is not None:
                raise AssertionError(f"bnfc-vcsim exited {self.proc.returncode}: {self.logtext()}")
            if time.monotonic() > deadline:
                raise AssertionError("bnfc-vcsim wrote no info file in 120 s: " + self.logtext())
            time.sleep(0.05)
        with open(self.info_path) as f:
            self.info = json.load(f)
        hostport = self.info["url"].split("//", 1)[1].split("/", 1)[0]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)

    def logtext(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def connect(self, pin=None, pwd=None):
        return SmartConnect(host=self.host, port=self.port, user=self.info["username"],
                            pwd=pwd or self.info["password"],
                            sslContext=pinned_context(pin or self.info["thumbprint"]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("bnfc-vcsim ignored SIGTERM")
        self.log.close()
        return self.proc.returncode


PROPS = ["name", "parent", "runtime.connectionState", "config.network.vnic",
         "config.network.portgroup", "config.network.vswitch",
         "config.network.netStackInstance", "config.virtualNicManagerInfo.netConfig"]


def read_hosts(si):
    """One RetrievePropertiesEx over a ContainerView of HostSystem, as the proxy's source does."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    PC = vmodl.query.PropertyCollector
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
            PC.TraversalSpec(name="v", path="view", skip=False, type=vim.view.ContainerView)])],
        propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=PROPS)])
    res = content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    view.DestroyView()
    hosts = {}
    for o in res.objects:
        props = {p.name: p.val for p in o.propSet}
        props["_obj"] = o.obj
        hosts[props["name"]] = props
    return hosts


def selected(props, nic_type):
    for nc in props["config.virtualNicManagerInfo.netConfig"]:
        if nc.nicType == nic_type:
            return sorted(k.rsplit("-", 1)[1] for k in (nc.selectedVnic or []))
    raise AssertionError(f"no netConfig for {nic_type}")


class VcsimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmpdir = tempfile.TemporaryDirectory(prefix="vcsim-test-")
        tmp = cls.tmpdir.name
        cls.s1 = os.path.join(tmp, "esx01.json")
        cls.s2 = os.path.join(tmp, "esx02.json")
        with open(cls.s1, "w") as f:
            json.dump(fixture_state("esx01", "10.98.0.11", "10.99.0.11", "00:50:56:aa:01:"), f)
        with open(cls.s2, "w") as f:
            json.dump(fixture_state("esx02", "10.98.0.12", "10.99.0.12", "00:50:56:aa:02:"), f)
        cls.server = Server(tmp, {"datacenter": "dc-test", "hosts": [
            {"name": "esx01", "cluster": "c1", "esxsim": {"state": cls.s1}},
            # The command form, as the lab uses it (there: inside the host's namespace).
            {"name": "esx02", "esxsim": {"command": [os.path.join(BIN, "esxsim"), "--state",
                                                     cls.s2]}}]})
        cls.si = cls.server.connect()

    @classmethod
    def tearDownClass(cls):
        try:
            Disconnect(cls.si)
        finally:
            code = cls.server.stop()
            cls.tmpdir.cleanup()
        assert code == 0, f"bnfc-vcsim exit status {code} after SIGTERM"

    def mgr(self, name):
        return read_hosts(self.si)[name]["_obj"].configManager.virtualNicManager

    def test_info_file(self):
        info = self.server.info
        self.assertEqual(set(info), {"url", "thumbprint", "username", "password"})
        self.assertRegex(info["url"], r"^https://127\.0\.0\.1:\d+/sdk$")
        self.assertRegex(info["thumbprint"], r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")
        self.assertEqual(os.stat(self.server.info_path).st_mode & 0o777, 0o600)

    def test_wrong_pin_is_refused(self):
        wrong = ":".join(["AB"] * 32)
        with self.assertRaises(ssl.SSLError):
            self.server.connect(pin=wrong)

    def test_wrong_password_is_refused(self):
        with self.assertRaises(vim.fault.InvalidLogin):
            self.server.connect(pwd="wrong")

    def test_reads_need_a_session(self):
        stub = SoapStubAdapter(host=self.server.host, port=self.server.port,
                               version="vim.version.version10", sslContext=pinned_context(self.server.info["thumbprint"]))
        content = vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()
        self.assertEqual(content.about.apiType, "VirtualCenter")
        PC = vmodl.query.PropertyCollector
        spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder)],
                             propSet=[PC.PropertySpec(type=vim.Folder, pathSet=["name"])])
        with self.assertRaises(vim.fault.NotAuthenticated):
            content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
        with self.assertRaises(vim.fault.NotAuthenticated):
            content.propertyCollector.RetrieveProperties([spec])

    def check_host_matches_esxsim(self, props, state):
        ifaces = {r["Name"]: r for r in esxcli_csv(state, "network", "ip", "interface", "list")}
        v4 = {}
        for ns in ("defaultTcpipStack", "vmotion"):
            for r in esxcli_csv(state, "network", "ip", "interface", "ipv4", "get", "-N", ns):
                v4[r["Name"]] = r
        vnics = {v.device: v for v in props["config.network.vnic"]}
        self.assertEqual(set(vnics), set(ifaces))
        for name, r in ifaces.items():
            v = vnics[name]
            self.assertEqual(v.key, "key-vim.host.VirtualNic-" + name)
            self.assertEqual(v.portgroup, r["Portgroup"])
            self.assertEqual(v.spec.mac, r["MACAddress"])
            self.assertEqual(v.spec.mtu, int(r["MTU"]))
            self.assertEqual(v.spec.netStackInstanceKey, r["NetstackInstance"])
            self.assertEqual(v.spec.ip.ipAddress, v4[name]["IPv4Address"])
            self.assertEqual(v.spec.ip.subnetMask, v4[name]["IPv4Netmask"])
        v6 = {(r["Interface"], r["Address"], int(r["Netmask"]))
              for r in esxcli_csv(state, "network", "ip", "interface", "ipv6", "address", "list")}
        api_v6 = {(v.device, a.ipAddress, a.prefixLength) for v in vnics.values()
                  if v.spec.ip.ipV6Config for a in v.spec.ip.ipV6Config.ipV6Address}
        self.assertEqual(api_v6, v6)
        self.assertTrue(v6, "the fixture has an IPv6 address")
        pgs = {r["Name"]: r for r in esxcli_csv(state, "network", "vswitch", "standard",
                                                "portgroup", "list")}
        api_pgs = {p.spec.name: p for p in props["config.network.portgroup"]}
        self.assertEqual(set(api_pgs), set(pgs))
        for name, r in pgs.items():
            self.assertEqual(api_pgs[name].spec.vlanId, int(r["VLANID"]))
            self.assertEqual(api_pgs[name].spec.vswitchName, r["VirtualSwitch"])
            self.assertEqual(api_pgs[name].vswitch,
                             "key-vim.host.VirtualSwitch-" + r["VirtualSwitch"])
        switches = {s.name: s for s in props["config.network.vswitch"]}
        self.assertEqual(set(switches), {r["VirtualSwitch"] for r in pgs.values()})
        for s in switches.values():
            self.assertEqual(sorted(s.portgroup), sorted(
                "key-vim.host.PortGroup-" + n for n, r in pgs.items() if r["VirtualSwitch"] == s.name))
        self.assertGreaterEqual(switches["vSwitch1"].mtu, 9000)
        stacks = [r["Key"] for r in esxcli_csv(state, "network", "ip", "netstack", "list")]
        self.assertEqual([n.key for n in props["config.network.netStackInstance"]], stacks)
        for nic_type, tag in (("management", "Management"), (BACKUP, BACKUP), ("vmotion", "VMotion")):
            want = sorted(n for n in ifaces if tag in esxcli_tags(state, n))
            self.assertEqual(selected(props, nic_type), want, nic_type)

    def test_properties_match_esxsim(self):
        hosts = read_hosts(self.si)
        self.assertEqual(set(hosts), {"esx01", "esx02"})
        self.check_host_matches_esxsim(hosts["esx01"], self.s1)
        self.check_host_matches_esxsim(hosts["esx02"], self.s2)
        self.assertIsInstance(hosts["esx01"]["parent"], vim.ClusterComputeResource)
        self.assertEqual(hosts["esx01"]["parent"].name, "c1")
        self.assertNotIsInstance(hosts["esx02"]["parent"], vim.ClusterComputeResource)
        self.assertIsInstance(hosts["esx02"]["parent"], vim.ComputeResource)
        self.assertEqual(hosts["esx01"]["runtime.connectionState"], "connected")

    def test_query_net_config(self):
        nc = self.mgr("esx01").QueryNetConfig(BACKUP)
        self.assertEqual(nc.nicType, BACKUP)
        self.assertEqual(list(nc.selectedVnic), [BACKUP + ".key-vim.host.VirtualNic-vmk1"])
        # Candidates: the default netstack's vmknics; vmk2 (vMotion stack) cannot carry NFC.
        self.assertEqual(sorted(v.device for v in nc.candidateVnic), ["vmk0", "vmk1"])
        cand = {v.device: v for v in nc.candidateVnic}
        self.assertEqual(cand["vmk1"].spec.ip.ipAddress, "10.99.0.11")
        self.assertEqual(cand["vmk1"].key, BACKUP + ".key-vim.host.VirtualNic-vmk1")
        vm = self.mgr("esx01").QueryNetConfig("vmotion")
        self.assertIn("vmk2", [v.device for v in vm.candidateVnic])

    def test_select_and_deselect_change_esxsim(self):
        mgr = self.mgr("esx02")  # command form
        self.assertNotIn(BACKUP, esxcli_tags(self.s2, "vmk0"))
        mgr.SelectVnicForNicType(BACKUP, "vmk0")
        self.assertIn(BACKUP, esxcli_tags(self.s2, "vmk0"))
        self.assertEqual(selected(read_hosts(self.si)["esx02"], BACKUP), ["vmk0", "vmk1"])
        mgr.DeselectVnicForNicType(BACKUP, "vmk1")
        self.assertNotIn(BACKUP, esxcli_tags(self.s2, "vmk1"))
        self.assertEqual(selected(read_hosts(self.si)["esx02"], BACKUP), ["vmk0"])
        self.assertEqual(list(mgr.QueryNetConfig(BACKUP).selectedVnic),
                         [BACKUP + ".key-vim.host.VirtualNic-vmk0"])
        # Back to the fixture. Selecting a selected vmknic succeeds; deselecting one that is not
        # selected is InvalidArgument (the API reference says so) and changes nothing.
        mgr.SelectVnicForNicType(BACKUP, "vmk1")
        mgr.SelectVnicForNicType(BACKUP, "vmk1")
        mgr.DeselectVnicForNicType(BACKUP, "vmk0")
        with self.assertRaises(vmodl.fault.InvalidArgument) as cm:
            mgr.DeselectVnicForNicType(BACKUP, "vmk0")
        self.assertEqual(cm.exception.invalidProperty, "device")
        self.assertEqual(selected(read_hosts(self.si)["esx02"], BACKUP), ["vmk1"])
        self.assertEqual(esxcli_tags(self.s2, "vmk1"), [BACKUP])

    def test_change_behind_the_api_is_seen(self):
        # The lab (or an agent) tags through esxcli; the next API read must show it.
        esx = [os.path.join(BIN, "esxsim"), "--state", self.s1, "esxcli", "network", "ip",
               "interface", "tag"]
        subprocess.run(esx + ["add", "-i", "vmk0", "-t", "VMotion"], check=True)
        try:
            self.assertEqual(selected(read_hosts(self.si)["esx01"], "vmotion"), ["vmk0", "vmk2"])
        finally:
            subprocess.run(esx + ["remove", "-i", "vmk0", "-t", "VMotion"], check=True)
        self.assertEqual(selected(read_hosts(self.si)["esx01"], "vmotion"), ["vmk2"])

    def assert_refused(self, call, fault, prop=None):
        with open(self.s1, "rb") as f:
            before = f.read()
        with self.assertRaises(fault) as cm:
            call()
        if prop is not None:
            self.assertEqual(cm.exception.invalidProperty, prop)
        with open(self.s1, "rb") as f:
            self.assertEqual(f.read(), before, "a refused change wrote the state")
        return cm.exception

    def test_errors(self):
        mgr = self.mgr("esx01")
        inv = vmodl.fault.InvalidArgument
        self.assert_refused(lambda: mgr.SelectVnicForNicType(BACKUP, "vmk9"), inv, "device")
        self.assert_refused(lambda: mgr.DeselectVnicForNicType(BACKUP, "vmk9"), inv, "device")
        self.assert_refused(lambda: mgr.SelectVnicForNicType("backupNFC", "vmk0"), inv, "nicType")
        self.assert_refused(lambda: mgr.QueryNetConfig("bogus"), inv, "nicType")
        # vmk2 is on the vMotion netstack: not a candidate for NFC.
        self.assert_refused(lambda: mgr.SelectVnicForNicType(BACKUP, "vmk2"), inv, "device")

    def test_esxsim_failure_is_a_host_fault(self):
        # fail_tag_add: esxsim refuses the tag; the API answers HostConfigFault with its text.
        with open(self.s1) as f:
            st = json.load(f)
        st["faults"] = {"fail_tag_add": "Error: Unable to add tag: Sysinfo error: Busy"}
        with open(self.s1, "w") as f:
            json.dump(st, f)
        try:
            e = self.assert_refused(
                lambda: self.mgr("esx01").SelectVnicForNicType(BACKUP, "vmk0"),
                vim.fault.HostConfigFault)
            self.assertIn("Sysinfo error: Busy", e.msg)
            self.assertNotIn(BACKUP, esxcli_tags(self.s1, "vmk0"))
            # hostd down: vCenter shows the host not responding, with its last known config.
            st["faults"] = {"hostd_down": True}
            with open(self.s1, "w") as f:
                json.dump(st, f)
            h = read_hosts(self.si)["esx01"]
            self.assertEqual(h["runtime.connectionState"], "notResponding")
            self.assertEqual(selected(h, BACKUP), ["vmk1"])
            with self.assertRaises(vim.fault.HostConfigFault):
                self.mgr("esx01").QueryNetConfig(BACKUP)
        finally:
            st["faults"] = {}
            with open(self.s1, "w") as f:
                json.dump(st, f)
        self.assertEqual(read_hosts(self.si)["esx01"]["runtime.connectionState"], "connected")


class StartupTest(unittest.TestCase):
    def run_vcsim(self, tmp, inventory_text, *extra):
        inv = os.path.join(tmp, "inv.json")
        with open(inv, "w") as f:
            f.write(inventory_text)
        info = os.path.join(tmp, "info.json")
        p = subprocess.run([os.path.join(BIN, "bnfc-vcsim"), "--inventory", inv, "--info-file",
                            info, *extra], capture_output=True, text=True, timeout=120)
        return p, os.path.exists(info)

    def test_bad_inventory_is_refused_precisely(self):
        with tempfile.TemporaryDirectory() as tmp:
            cases = [
                ('{"hosts": [{"name": "a"}]}', "hosts[0] (a): esxsim is required"),
                ('{"hosts": [{"name": "a", "esxsim": {"state": "x", "command": ["y"]}}]}',
                 "exactly one of state or command"),
                ('{"hosts": [{"name": "a", "esxsim": {"state": "/nonexistent"}}, '
                 '{"name": "a", "esxsim": {"state": "x"}}]}', 'duplicate host name "a"'),
                ('{"hosts": [], "colour": 1}', 'unknown field "colour"'),
                ('{"hosts": [{"name": "a", "esxsim": {"state": "/nonexistent/s.json"}}]}',
                 "host a: esxsim state: open /nonexistent/s.json"),
            ]
            for text, msg in cases:
                p, wrote = self.run_vcsim(tmp, text)
                self.assertNotEqual(p.returncode, 0, text)
                self.assertIn(msg, p.stderr, text)
                self.assertFalse(wrote, "an info file was written for a refused inventory")

    def test_host_whose_hostd_is_down_from_the_start(self):
        # vCenter would show the config it read before hostd went down: localcli gives it.
        with tempfile.TemporaryDirectory() as tmp:
            st = fixture_state("esx09", "10.98.0.19", "10.99.0.19", "00:50:56:aa:09:")
            st["faults"] = {"hostd_down": True}
            path = os.path.join(tmp, "esx09.json")
            with open(path, "w") as f:
                json.dump(st, f)
            server = Server(tmp, {"hosts": [{"name": "esx09", "esxsim": {"state": path}}]})
            try:
                si = server.connect()
                h = read_hosts(si)["esx09"]
                self.assertEqual(h["runtime.connectionState"], "notResponding")
                self.assertEqual(selected(h, BACKUP), ["vmk1"])
                Disconnect(si)
            finally:
                self.assertEqual(server.stop(), 0)

    def test_generated_hosts(self):
        with tempfile.TemporaryDirectory() as tmp:
            server = Server(tmp, None, ["--generate-hosts", "70"])
            try:
                si = server.connect()
                hosts = read_hosts(si)
                self.assertEqual(len(hosts), 70)
                h = hosts["gen-esx00070"]
                self.assertEqual(selected(h, BACKUP), ["vmk1"])
                self.assertEqual(selected(h, "management"), ["vmk0"])
                v = {n.device: n for n in h["config.network.vnic"]}
                self.assertEqual(v["vmk1"].portgroup, "Backup NFC")
                pg = {p.spec.name: p.spec for p in h["config.network.portgroup"]}
                self.assertNotEqual(pg["Backup NFC"].vlanId, pg["Management Network"].vlanId)
                self.assertEqual(h["parent"].name, "gen-cluster002")
                # Tagging works in memory too.
                mgr = h["_obj"].configManager.virtualNicManager
                mgr.SelectVnicForNicType(BACKUP, "vmk0")
                self.assertEqual(selected(read_hosts(si)["gen-esx00070"], BACKUP),
                                 ["vmk0", "vmk1"])
                Disconnect(si)
            finally:
                self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    args, rest = ap.parse_known_args()
    BIN = os.path.abspath(args.bin)
    for exe in ("bnfc-vcsim", "esxsim"):
        if not os.access(os.path.join(BIN, exe), os.X_OK):
            print(f"FAIL: {exe} not built in {BIN}")
            sys.exit(1)
    unittest.main(argv=[sys.argv[0], "-v", *rest])
