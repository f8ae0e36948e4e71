#!/usr/bin/env python3
"""The lab on real kernel networking: namespaces, bridges, nbdkit/nbdcopy, esxsim.

Proves with the two-host, one-proxy scenario (tests/lab/scenarios/basic.json) that
(a) NBD traffic to a host whose vmk2 carries vSphereBackupNFC crosses the backup segment only,
(b) after `esxcli network ip interface tag remove` in the host namespace it crosses management,
(c) `vmkping -I vmk2 -d -s 8972` fails with ESXi's text when the backup segment's MTU is 1500,
and that no namespace is left afterwards, also after SIGTERM or a killed run.

Needs root, iproute2, nbdkit, nbdcopy and esxsim (BNFC_BIN_DIR). When it cannot run it prints
why and exits 77, which CTest counts as skipped.
"""

import copy
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from labkit import scenario  # noqa: E402
from labkit.netlab import GLOBAL_PREFIX, Lab, list_namespaces  # noqa: E402
from labkit.runner import Runner, pid_alive  # noqa: E402
from labkit.scenario import Traffic  # noqa: E402

SKIP = 77
MIB = 1 << 20
COPY = 32 * MIB
BASIC = os.path.join(HERE, "scenarios", "basic.json")
BIN = os.environ.get("BNFC_BIN_DIR", "")
TAG = ["network", "ip", "interface", "tag"]


def skip_reason():
    if os.geteuid() != 0:
        return "not root: the lab creates network namespaces (run ctest as root)"
    for tool in ("ip", "tc", "nbdkit", "nbdcopy"):
        if shutil.which(tool) is None:
            return f"'{tool}' is not installed (./run setup installs it)"
    if not BIN or not os.access(os.path.join(BIN, "esxsim"), os.X_OK):
        return f"esxsim is not built in BNFC_BIN_DIR='{BIN}'"
    probe = f"{GLOBAL_PREFIX}000000-probe"
    cp = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if cp.returncode != 0:
        return f"network namespaces are not permitted here: {cp.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def basic_doc():
    with open(BASIC, encoding="utf-8") as f:
        return json.load(f)


def read_json(path, default):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def lab_namespaces(prefix=GLOBAL_PREFIX):
    return [n for n in list_namespaces(Runner()) if n.startswith(prefix)]


class LabCase(unittest.TestCase):
    doc = None  # scenario document for the class
    lab = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bnfc-lab-test-")
        cls.lab = Lab(scenario.parse(cls.doc), os.path.join(cls.tmp, "out"), BIN)
        cls.lab.__enter__()

    @classmethod
    def tearDownClass(cls):
        prefix = cls.lab.prefix
        left = cls.lab.teardown()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        # An error here is reported by unittest as a failure of the class.
        assert not left and not lab_namespaces(prefix), f"namespaces left: {left}"

    def copy(self, host, nbytes=COPY, timeout=60.0):
        return self.lab.run_traffic(Traffic(proxy="proxy01", host=host, bytes=nbytes,
                                            timeout_s=timeout, where="test"))

    def assertOnly(self, rec, segment):
        self.assertTrue(rec["ok"], rec)
        self.assertEqual(rec["segment"], segment, rec)
        for seg, n in rec["per_segment_bytes"].items():
            if seg != segment:
                self.assertLess(n, 0.01 * rec["bytes"], f"{seg} carried {n} bytes: {rec}")
        self.assertGreaterEqual(rec["per_segment_bytes"][segment], rec["bytes"])


class A_BasicLab(LabCase):
    doc = basic_doc()

    def test_a_tagged_vmk2_traffic_crosses_backup_only(self):
        rec = self.copy("esx01")
        self.assertEqual((rec["address"], rec["vmknic"]), ("10.99.0.11", "vmk2"))
        self.assertOnly(rec, "backup")

    def test_b_after_tag_remove_traffic_crosses_management(self):
        cp = self.lab.esxcli("esx01", *TAG, "remove", "-i", "vmk2", "-t", "vSphereBackupNFC")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        try:
            got = self.lab.esxcli("esx01", *TAG, "get", "-i", "vmk2")
            self.assertEqual(got.returncode, 0, got.stderr)
            self.assertNotIn("vSphereBackupNFC", got.stdout)
            rec = self.copy("esx01")
            self.assertEqual((rec["address"], rec["vmknic"]), ("10.98.0.11", "vmk0"))
            self.assertOnly(rec, "mgmt")
        finally:
            cp = self.lab.esxcli("esx01", *TAG, "add", "-i", "vmk2", "-t", "vSphereBackupNFC")
            self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        # and back: the tag alone moves the traffic
        self.assertOnly(self.copy("esx01"), "backup")

    def test_c_jumbo_df_probe_passes_on_a_9000_segment(self):
        # Control for MtuLab: the same probe succeeds when the segment carries jumbo frames.
        cp = self.lab.vmkping("esx01", "-I", "vmk2", "-d", "-s", "8972", "-c", "2", "10.99.0.100")
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        self.assertIn("2 packets transmitted, 2 packets received, 0% packet loss", cp.stdout)

    def test_d_untagged_host_goes_over_management(self):
        rec = self.copy("esx02")
        self.assertEqual(rec["address"], "10.98.0.12")
        self.assertOnly(rec, "mgmt")

    def test_e_segment_down_means_no_segment_and_not_ok(self):
        self.lab.set_segment_up("backup", False)
        try:
            rec = self.copy("esx01", nbytes=MIB, timeout=15.0)
        finally:
            self.lab.set_segment_up("backup", True)
        self.assertFalse(rec["ok"], rec)
        self.assertIsNone(rec["segment"], rec)
        self.assertTrue(rec["error"])

    def test_f_ground_truth_file_has_the_documented_keys(self):
        self.copy("esx02", nbytes=MIB)
        with open(os.path.join(self.lab.out, "ground-truth.json"), encoding="utf-8") as f:
            gt = json.load(f)
        self.assertTrue(gt["traffic"])
        for rec in gt["traffic"]:
            self.assertLessEqual({"proxy", "host", "address", "segment", "bytes", "seconds", "ok"},
                                 set(rec))


class B_MtuLab(LabCase):
    doc = copy.deepcopy(basic_doc())
    doc["segments"][1]["mtu"] = 1500  # the switch path of the backup segment is not jumbo
    doc["hosts"][1]["vmknics"][1]["mtu"] = 1500  # and esx02's vmk2 itself is not either
    doc["traffic"] = []

    def test_c_df_probe_over_segment_mtu_fails_with_esxi_text(self):
        cp = self.lab.vmkping("esx01", "-I", "vmk2", "-d", "-s", "8972", "-c", "2", "-W", "1",
                              "10.99.0.100")
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        self.assertIn("PING 10.99.0.100 (10.99.0.100): 8972 data bytes", cp.stdout)
        self.assertIn("2 packets transmitted, 0 packets received, 100% packet loss", cp.stdout)
        ok = self.lab.vmkping("esx01", "-I", "vmk2", "-d", "-s", "1472", "-c", "1", "10.99.0.100")
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)

    def test_c_df_probe_over_vmknic_mtu_says_message_too_long(self):
        cp = self.lab.vmkping("esx02", "-I", "vmk2", "-d", "-s", "8972", "-c", "1", "10.99.0.100")
        self.assertNotEqual(cp.returncode, 0, cp.stdout)
        self.assertIn("sendto() failed (Message too long)", cp.stdout)


def small_scenario_file(tmp, extra_steps=()):
    d = basic_doc()
    for t in d["traffic"]:
        t["bytes"] = "16M"
    d["steps"] = list(extra_steps)
    path = os.path.join(tmp, "scenario.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(d, f)
    return path


class C_Lifecycle(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="bnfc-lab-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def lab_py(self, *args):
        return [sys.executable, os.path.join(HERE, "lab.py"), "--bin", BIN, *args]

    def test_cli_run_writes_ground_truth_matching_the_scenario(self):
        out = os.path.join(self.tmp, "out")
        run_id = secrets.token_hex(3)
        cp = subprocess.run(self.lab_py("--scenario", small_scenario_file(self.tmp), "--out", out,
                                        "--no-agents", "--run-id", run_id),
                            capture_output=True, text=True, timeout=300)
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr)
        with open(os.path.join(out, "ground-truth.json"), encoding="utf-8") as f:
            gt = json.load(f)["traffic"]
        self.assertEqual([(r["host"], r["address"], r["segment"], r["ok"]) for r in gt],
                         [("esx01", "10.99.0.11", "backup", True), ("esx02", "10.98.0.12", "mgmt", True)])
        self.assertEqual(lab_namespaces(f"{GLOBAL_PREFIX}{run_id}-"), [])

    def test_sigterm_tears_everything_down(self):
        out = os.path.join(self.tmp, "out")
        run_id = secrets.token_hex(3)
        path = small_scenario_file(self.tmp, [{"sleep": 120}])
        p = subprocess.Popen(self.lab_py("--scenario", path, "--out", out, "--no-agents",
                                         "--run-id", run_id),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            end = time.monotonic() + 120
            while time.monotonic() < end and p.poll() is None:
                if len(read_json(os.path.join(out, "ground-truth.json"), {"traffic": []})["traffic"]) == 2:
                    break
                time.sleep(0.2)
            self.assertIsNone(p.poll(), "lab ended before the sleep step")
            self.assertTrue(lab_namespaces(f"{GLOBAL_PREFIX}{run_id}-"))
            time.sleep(0.5)  # inside the sleep step now
            p.send_signal(signal.SIGTERM)
            output, _ = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 128 + signal.SIGTERM, output)
        self.assertIn("interrupted by SIGTERM", output)
        self.assertEqual(lab_namespaces(f"{GLOBAL_PREFIX}{run_id}-"), [])
        nbdkit_pids = []
        for host in ("esx01", "esx02"):
            with open(os.path.join(out, "hosts", host, "nbdkit.pid"), encoding="ascii") as f:
                nbdkit_pids.append(int(f.read()))
        self.assertFalse([p for p in nbdkit_pids if pid_alive(p)], "nbdkit still running")

    def test_leftovers_of_a_killed_run_are_removed_at_the_next_start(self):
        dead = f"{GLOBAL_PREFIX}dead00-esx01"
        subprocess.run(["ip", "netns", "add", dead], check=True)
        sleeper = subprocess.Popen(["ip", "netns", "exec", dead, "sleep", "300"])
        try:
            lab = Lab(scenario.parse(read_json(small_scenario_file(self.tmp), None)),
                      os.path.join(self.tmp, "out"), BIN)
            with lab:
                self.assertNotIn(dead, list_namespaces(Runner()))
                sleeper.wait(timeout=10)  # the process inside the stale namespace was ended
            self.assertEqual(lab_namespaces(lab.prefix), [])
        finally:
            if sleeper.poll() is None:
                sleeper.kill()
                sleeper.wait()
            subprocess.run(["ip", "netns", "del", dead], capture_output=True)


if __name__ == "__main__":
    reason = skip_reason()
    if reason:
        print(f"SKIPPED: {reason}", flush=True)
        sys.exit(SKIP)
    sys.exit(0 if unittest.main(verbosity=2, exit=False).result.wasSuccessful() else 1)
