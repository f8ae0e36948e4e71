#!/usr/bin/env python3
"""Unit tests of the lab's pure parts: scenario validation, esxsim state, ground-truth decision,
stale-namespace selection, agent detection. No root, no namespaces."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from labkit import agents, counters, esxstate, netlab, scenario, vsphere  # noqa: E402
from labkit.runner import LabError  # noqa: E402

BASIC = os.path.join(HERE, "scenarios", "basic.json")
DEMO = os.path.join(ROOT, "examples", "demo.json")


def basic_doc():
    with open(BASIC, encoding="utf-8") as f:
        return json.load(f)


def errors_of(doc):
    try:
        scenario.parse(doc)
    except scenario.ScenarioError as e:
        return e.errors
    return []


class ShippedScenarios(unittest.TestCase):
    def test_basic_is_valid_and_matches_its_description(self):
        sc = scenario.load(BASIC)
        self.assertEqual([s.name for s in sc.segments], ["mgmt", "backup"])
        self.assertEqual(sc.segment("backup").mtu, 9000)
        self.assertEqual(sc.segment("mgmt").rate, "1gbit")
        self.assertEqual([h.id for h in sc.hosts], ["esx01", "esx02"])
        self.assertEqual(len(sc.proxies), 1)
        self.assertIn("vSphereBackupNFC", sc.node("esx01").iface("vmk2").tags)
        self.assertNotIn("vSphereBackupNFC", sc.node("esx02").iface("vmk2").tags)

    def test_demo_is_valid_with_four_hosts_and_the_four_cases(self):
        sc = scenario.load(DEMO)
        self.assertGreaterEqual(len(sc.hosts), 4)
        self.assertGreaterEqual(len(sc.proxies), 1)
        policies = [h.agent.get("tag_policy") for h in sc.hosts]
        self.assertIn("ensure", policies)
        self.assertIn("observe", policies)
        # one host with the backup tag on its management vmknic
        self.assertTrue(any("vSphereBackupNFC" in (h.iface("vmk0").tags) for h in sc.hosts))
        # one host whose backup vmknic is in no subnet of the proxy (L3)
        proxy_nets = [i.ipv4.network for p in sc.proxies for i in p.ifaces if i.ipv4]
        self.assertTrue(any(
            h.iface(h.agent.get("backup_vmk", "vmk2")) is not None
            and all(h.iface(h.agent.get("backup_vmk", "vmk2")).ipv4.ip not in n for n in proxy_nets)
            for h in sc.hosts))


class Validation(unittest.TestCase):
    def assertError(self, doc, expected):
        errs = errors_of(doc)
        self.assertIn(expected, errs, f"errors were: {errs}")

    def test_unknown_segment_names_the_path(self):
        d = basic_doc()
        d["hosts"][1]["vmknics"][0]["segment"] = "bakup"
        self.assertEqual(errors_of(d), ["hosts[1].vmknics[0].segment: unknown segment 'bakup'"])

    def test_unknown_keys_are_rejected_with_the_allowed_ones(self):
        d = basic_doc()
        d["segments"][0]["speed"] = "1gbit"
        errs = errors_of(d)
        self.assertEqual(len(errs), 1)
        self.assertTrue(errs[0].startswith("segments[0].speed: unknown key (allowed: comment, mtu, "
                                           "name, rate, role, up, vlan)"), errs)
        d = basic_doc()
        d["hostz"] = []
        self.assertTrue(errors_of(d)[0].startswith("scenario.hostz: unknown key"))
        d = basic_doc()
        d["hosts"][0]["agent"]["tag_polcy"] = "ensure"
        self.assertTrue(errors_of(d)[0].startswith("hosts[0].agent.tag_polcy: unknown key"))

    def test_bad_cidr(self):
        for value, fragment in (("10.99.0.11", "is not a CIDR address"),
                                ("10.99.0.300/24", "is not a valid IPv4 CIDR address"),
                                ("10.99.0.11/33", "is not a valid IPv4 CIDR address"),
                                ("10.99.0.0/24", "is the network address of 10.99.0.0/24"),
                                ("10.99.0.255/24", "is the broadcast address"),
                                ("127.0.0.5/8", "is not a usable unicast address")):
            d = basic_doc()
            d["hosts"][0]["vmknics"][1]["ipv4"] = value
            errs = errors_of(d)
            self.assertEqual(len(errs), 1, errs)
            self.assertTrue(errs[0].startswith("hosts[0].vmknics[1].ipv4: "), errs)
            self.assertIn(fragment, errs[0])

    def test_types_and_ranges(self):
        d = basic_doc()
        d["segments"][1]["mtu"] = "9000"
        self.assertError(d, 'segments[1].mtu: expected an integer, got "9000"')
        d = basic_doc()
        d["segments"][1]["mtu"] = 20000
        self.assertError(d, "segments[1].mtu: 20000 is outside 576..9216")
        d = basic_doc()
        d["segments"][0]["rate"] = "fast"
        self.assertError(d, "segments[0].rate: 'fast' is not a tc rate (e.g. 100mbit, 1gbit, 500kbit)")
        d = basic_doc()
        d["segments"][0]["up"] = "no"
        self.assertError(d, 'segments[0].up: expected true or false, got "no"')
        d = basic_doc()
        d["hosts"][0]["vmknics"][1]["name"] = "eth2"
        self.assertError(d, "hosts[0].vmknics[1].name: 'eth2' is not a vmknic name (vmk0 .. vmk99)")
        d = basic_doc()
        d["proxies"][0]["interfaces"][0]["name"] = "averyveryverylongname"
        self.assertError(d, "proxies[0].interfaces[0].name: 'averyveryverylongname' is not a usable "
                            "Linux interface name (1-15 characters)")
        d = basic_doc()
        d["hosts"][0]["vmknics"][1]["tags"] = ["vSphereBackupNfc"]
        self.assertTrue(any(e.startswith("hosts[0].vmknics[1].tags[0]: unknown tag 'vSphereBackupNfc'")
                            for e in errors_of(d)))
        d = basic_doc()
        d["hosts"][0]["agent"]["tag_policy"] = "force"
        self.assertError(d, "hosts[0].agent.tag_policy: 'force' is not 'ensure' or 'observe'")
        d = basic_doc()
        d["hosts"][0]["agent"]["backup_vmk"] = "vmk3"
        self.assertError(d, "hosts[0].agent.backup_vmk: 'vmk3' is not a vmknic of esx01")

    def test_missing_and_duplicate(self):
        d = basic_doc()
        del d["hosts"][0]["vmknics"][0]["segment"]
        self.assertError(d, "hosts[0].vmknics[0]: missing required key 'segment'")
        d = basic_doc()
        d["hosts"][1]["id"] = "esx01"
        self.assertError(d, "hosts[1].id: 'esx01' is already used by hosts[0]")
        d = basic_doc()
        d["proxies"][0]["id"] = "esx02"
        self.assertError(d, "proxies[0].id: 'esx02' is already used by hosts[1]")
        d = basic_doc()
        d["segments"].append({"name": "mgmt"})
        self.assertError(d, "segments[2].name: duplicate segment 'mgmt'")
        d = basic_doc()
        d["hosts"][1]["vmknics"][1]["name"] = "vmk0"
        self.assertError(d, "hosts[1].vmknics[1].name: duplicate interface 'vmk0' in esx02")

    def test_real_faults_are_stageable(self):
        # Each of these is a misconfiguration met in the field; the lab must be able to build it.
        d = basic_doc()  # the same address twice on one segment
        d["hosts"][1]["vmknics"][1]["ipv4"] = "10.99.0.11/24"
        self.assertEqual(errors_of(d), [])
        d = basic_doc()  # vmk2 in vmk0's subnet, on vmk0's segment
        d["hosts"][0]["vmknics"][1].update({"ipv4": "10.98.0.21/24", "segment": "mgmt"})
        self.assertEqual(errors_of(d), [])
        d = basic_doc()  # a proxy with one card carrying both subnets
        d["proxies"][0]["interfaces"] = [{"name": "eth0", "segment": "mgmt", "ipv4": "10.98.0.100/24",
                                          "ipv4_secondary": ["10.99.0.100/24"]}]
        sc = scenario.parse(d)
        self.assertEqual([str(a) for a in sc.node("proxy01").iface("eth0").ipv4_secondary],
                         ["10.99.0.100/24"])
        d = basic_doc()  # several vmknics of one host in one subnet on one segment
        d["hosts"][0]["vmknics"].append({"name": "vmk1", "segment": "backup", "ipv4": "10.99.0.31/24",
                                         "tags": ["VMotion"]})
        self.assertEqual(errors_of(d), [])

    def test_segment_roles_default_from_what_sits_on_them(self):
        d = basic_doc()
        d["segments"].append({"name": "site-b"})
        sc = scenario.parse(d)
        self.assertEqual([(s.name, s.role) for s in sc.segments],
                         [("mgmt", "management"), ("backup", "backup"), ("site-b", "other")])
        # vmk0 on the backup segment makes it a management one: nothing there is isolated.
        d = basic_doc()
        d["hosts"][1]["vmknics"][0]["segment"] = "backup"
        self.assertEqual(scenario.parse(d).segment("backup").role, "management")
        d = basic_doc()
        d["segments"][1]["role"] = "other"
        self.assertEqual(scenario.parse(d).segment("backup").role, "other")
        d["segments"][1]["role"] = "storage"
        self.assertError(d, "segments[1].role: 'storage' is not one of management, backup, other")

    def test_vlan_and_switch_keys(self):
        d = basic_doc()
        d["segments"][1]["vlan"] = 20
        vm = d["hosts"][0]["vmknics"]
        vm[0].update({"vds": "dvs-a", "vlan": 10})
        vm[1].update({"vds": "dvs-a"})
        d["hosts"][1]["vmknics"][1]["vlan"] = 4095
        sc = scenario.parse(d)
        a, b = sc.node("esx01").ifaces
        self.assertEqual((a.vds, a.portset, a.vlan), ("dvs-a", "", 10))
        self.assertEqual((b.vds, b.portset, b.vlan), ("dvs-a", "", 20))
        self.assertEqual(sc.node("esx02").iface("vmk2").vlan, 4095)
        st = esxstate.build_state(sc.node("esx01"))
        self.assertEqual([(x["vswitch"], x["vds"], x["vlan"]) for x in st["vmknics"]],
                         [("", "dvs-a", 10), ("", "dvs-a", 20)])
        # A portgroup has one VLAN: a second vmknic in it follows the first ...
        d = basic_doc()
        d["hosts"][0]["vmknics"][1]["portgroup"] = "Management Network"
        self.assertEqual(scenario.parse(d).node("esx01").iface("vmk2").vlan, 100)
        # ... and contradicting it is refused.
        d["hosts"][0]["vmknics"][0]["vlan"] = 5
        d["hosts"][0]["vmknics"][1]["vlan"] = 6
        self.assertError(d, "hosts[0].vmknics[1].vlan: 6 differs from vmk0's 5: portgroup "
                            "'Management Network' has one VLAN")
        d = basic_doc()
        d["hosts"][0]["vmknics"][1].update({"vlan": 4096})
        self.assertError(d, "hosts[0].vmknics[1].vlan: 4096 is outside 0..4095 (4095 = trunk)")
        d = basic_doc()
        d["hosts"][0]["vmknics"][1].update({"vds": "dvs-a", "vswitch": "vSwitch1"})
        self.assertError(d, "hosts[0].vmknics[1].vds: a vmknic is on a VDS or on a standard "
                            "vSwitch, not both")

    def test_same_address_on_two_segments_is_allowed(self):
        # Two segments with the same subnet are two L2 domains: how a VLAN mistake looks.
        d = basic_doc()
        d["segments"].append({"name": "backup-wrong-vlan", "mtu": 9000})
        d["hosts"][1]["vmknics"][1]["segment"] = "backup-wrong-vlan"
        d["hosts"][1]["vmknics"][1]["ipv4"] = "10.99.0.11/24"
        self.assertEqual(errors_of(d), [])

    def test_traffic_and_steps(self):
        d = basic_doc()
        d["traffic"][0]["host"] = "esx09"
        self.assertError(d, "traffic[0].host: unknown host 'esx09'")
        d = basic_doc()
        d["traffic"][0]["bytes"] = "64MB"
        self.assertTrue(errors_of(d)[0].startswith('traffic[0].bytes: "64MB" is not a size'))
        d = basic_doc()
        d["steps"] = [{"esxcli": {"host": "esx01", "args": ["network", "ip", "interface", "list"]}},
                      {"traffic": {"proxy": "proxy01", "host": "esx01", "bytes": 1048576}},
                      {"segment": {"name": "backup", "up": False}}, {"sleep": 0.5}]
        sc = scenario.parse(d)
        self.assertEqual([s.kind for s in sc.steps], ["esxcli", "traffic", "segment", "sleep"])
        self.assertEqual(sc.steps[1].traffic.where, "steps[1].traffic")
        d["steps"] = [{"esxcli": {"host": "esx01", "args": []}, "sleep": 1}]
        self.assertTrue(errors_of(d)[0].startswith("steps[0]: a step has exactly one of"))
        d["steps"] = [{"shell": "rm -rf /"}]
        self.assertTrue(errors_of(d)[0].startswith("steps[0].shell: unknown key"))
        d["steps"] = [{"segment": {"name": "bakup", "up": True}}]
        self.assertEqual(errors_of(d), ["steps[0].segment.name: unknown segment 'bakup'"])

    def test_routes_must_point_into_the_lab(self):
        d = basic_doc()
        d["proxies"][0]["routes"] = [{"to": "default", "via": "192.168.1.1"}]
        self.assertError(d, "proxies[0].routes[0].via: 192.168.1.1 is not in the subnet of any of "
                            "this node's interfaces")
        d["proxies"][0]["routes"] = [{"to": "10.97.0.0/24", "via": "10.98.0.1"}]
        self.assertEqual(errors_of(d), [])

    def test_all_errors_are_reported_at_once(self):
        d = basic_doc()
        d["hosts"][0]["vmknics"][0]["segment"] = "x"
        d["hosts"][1]["vmknics"][0]["ipv4"] = "nope"
        d["traffic"][0]["proxy"] = "p9"
        self.assertEqual(len(errors_of(d)), 3)

    def test_defaults(self):
        sc = scenario.parse(basic_doc())
        esx01 = sc.node("esx01")
        self.assertEqual(esx01.build, "Releasebuild-24677879")
        self.assertEqual(str(esx01.gateway), "10.98.0.1")
        self.assertEqual(sc.node("proxy01").iface("eth0").mtu, 1500)
        self.assertEqual(sc.traffic[0].bytes, 64 << 20)
        self.assertEqual(scenario.parse_bytes("4K"), 4096)
        self.assertEqual(scenario.parse_bytes("1G"), 1 << 30)
        self.assertIsNone(scenario.parse_bytes(True))

    def test_load_reports_json_position_and_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write('{"segments": [\n  {"name": "a",}\n]}')
        try:
            with self.assertRaises(scenario.ScenarioError) as cm:
                scenario.load(f.name)
            self.assertEqual(cm.exception.source, f.name)
            self.assertTrue(cm.exception.errors[0].startswith("line 2 column"), cm.exception.errors)
        finally:
            os.unlink(f.name)


class EsxsimState(unittest.TestCase):
    def test_state_has_exactly_the_schema_keys(self):
        sc = scenario.parse(basic_doc())
        st = esxstate.build_state(sc.node("esx01"))
        self.assertEqual(sorted(st), sorted(["host", "live", "vmknics", "netstacks", "neighbors", "routes",
                                             "firewall_rulesets", "vibs", "faults", "options"]))
        self.assertEqual(st["host"], {"hostname": "esx01", "product": "VMware ESXi", "version": "8.0.3",
                                      "build": "Releasebuild-24677879", "update": "3", "patch": "0"})
        self.assertIs(st["live"], True)
        vmk2 = st["vmknics"][1]
        self.assertEqual(sorted(vmk2), sorted(["name", "portgroup", "portset", "netstack", "mac", "mtu",
                                               "enabled", "ipv4", "ipv6", "tags", "vswitch", "vds",
                                               "vlan"]))
        # Layer 2 by default: vSwitch0, the VLAN of the vmknic's segment (100 + its index).
        self.assertEqual((vmk2["vswitch"], vmk2["vds"], vmk2["vlan"]), ("vSwitch0", "", 101))
        self.assertEqual(st["vmknics"][0]["vlan"], 100)
        self.assertEqual(vmk2["ipv4"], {"address": "10.99.0.11", "netmask": "255.255.255.0",
                                        "gateway": "0.0.0.0", "type": "STATIC"})
        self.assertEqual(vmk2["mac"], "00:50:56:10:00:01")
        self.assertEqual(vmk2["mtu"], 9000)
        self.assertEqual(st["routes"][0], {"network": "default", "netmask": "0.0.0.0",
                                           "gateway": "10.98.0.1", "interface": "vmk0",
                                           "source": "MANUAL", "netstack": "defaultTcpipStack"})
        self.assertEqual(st["faults"], {"latency": {"*": "0s"}, "hostd_down": False,
                                        "fail_tag_add": False, "garble": {}})
        self.assertEqual(st["options"], {"allow_multi_nfc_tag": True})

    def test_esxsim_overrides_merge_into_faults_and_options(self):
        d = basic_doc()
        d["hosts"][0]["esxsim"] = {"faults": {"hostd_down": True}, "options": {"allow_multi_nfc_tag": False}}
        st = esxstate.build_state(scenario.parse(d).node("esx01"))
        self.assertIs(st["faults"]["hostd_down"], True)
        self.assertEqual(st["faults"]["latency"], {"*": "0s"})
        self.assertIs(st["options"]["allow_multi_nfc_tag"], False)

    def test_nfc_vmknic_follows_the_tag_else_vmk0(self):
        sc = scenario.parse(basic_doc())
        st = esxstate.build_state(sc.node("esx01"))
        self.assertEqual(esxstate.nfc_vmknic(st)["name"], "vmk2")
        st["vmknics"][1]["tags"] = []
        self.assertEqual(esxstate.nfc_vmknic(st)["name"], "vmk0")
        self.assertEqual(esxstate.state_ipv4(esxstate.nfc_vmknic(st)), "10.98.0.11")
        st["vmknics"][0]["tags"] = ["Management", "vSphereBackupNFC"]
        self.assertEqual(esxstate.nfc_vmknic(st)["name"], "vmk0")
        self.assertIsNone(esxstate.nfc_vmknic({"vmknics": [{"name": "vmk1", "tags": []}]}))


class GroundTruth(unittest.TestCase):
    PORTS = {"mgmt": ["h0i0", "p0i0"], "backup": ["h0i1", "p0i1"]}

    def test_parse_ip_link_stats(self):
        text = json.dumps([{"ifname": "br0", "stats64": {"rx": {"bytes": 10}, "tx": {"bytes": 20}}},
                           {"ifname": "h0i0", "stats64": {"rx": {"bytes": 5}, "tx": {"bytes": 7}}}])
        self.assertEqual(counters.parse_ip_link_stats(text), {"br0": (10, 20), "h0i0": (5, 7)})

    def test_segment_is_the_one_that_moved_90_percent(self):
        before = {p: (1000, 1000) for ps in self.PORTS.values() for p in ps}
        after = dict(before)
        after["h0i1"] = (1000 + 67_700_000, 1000 + 300_000)  # host sends data on backup
        after["p0i1"] = (1000 + 300_000, 1000 + 67_700_000)
        after["h0i0"] = (1100, 1200)
        per = counters.per_segment_bytes(before, after, self.PORTS)
        self.assertEqual(per, {"mgmt": 200, "backup": 67_700_000})
        self.assertEqual(counters.carrying_segment(per, 64 << 20), ("backup", ["backup"]))

    def test_no_segment_when_nothing_moved_enough(self):
        per = {"mgmt": int(0.5 * (64 << 20)), "backup": 0}
        self.assertEqual(counters.carrying_segment(per, 64 << 20), (None, []))

    def test_routed_copy_lists_both_segments(self):
        per = {"mgmt": 70_000_000, "backup": 68_000_000}
        self.assertEqual(counters.carrying_segment(per, 64 << 20), ("mgmt", ["mgmt", "backup"]))


class Housekeeping(unittest.TestCase):
    def test_fault_matrix_steps_parse_and_reject_precisely(self):
        d = basic_doc()
        d["steps"] = [
            {"expect": {"host": "esx01", "verdict": "ISOLATED", "findings": ["PIN_MISSING"],
                        "pinned": True, "not_pinned": ["10.99.0.21"], "within_s": 5}},
            {"agent": {"node": "esx01", "action": "kill"}},
            {"ip": {"node": "proxy01", "args": ["link", "set", "eth1", "down"]}},
            {"traffic": {"proxy": "proxy01", "host": "esx01", "bytes": "4M",
                         "expect_segment": ["backup", "mgmt"], "expect_ok": True}}]
        sc = scenario.parse(d)
        e = sc.steps[0].expect
        self.assertEqual((e.verdict, e.findings, e.pinned, e.not_pinned, e.within_s),
                         ("ISOLATED", ["PIN_MISSING"], True, ["10.99.0.21"], 5.0))
        self.assertEqual((sc.steps[1].node, sc.steps[1].action), ("esx01", "kill"))
        self.assertEqual(sc.steps[2].expect_exit, 0)
        self.assertEqual(sc.steps[3].traffic.expect_segment, ["backup", "mgmt"])
        d["steps"] = [
            {"expect": {"host": "esx01", "verdict": "FINE"}},
            {"expect": {"host": "esx01"}},
            {"agent": {"node": "esx09", "action": "pause"}},
            {"ip": {"node": "esx01", "args": ["-n", "other", "link"]}},
            {"traffic": {"proxy": "proxy01", "host": "esx01", "bytes": "4M",
                         "expect_segment": "bakup"}}]
        errs = errors_of(d)
        for want in ("steps[0].expect.verdict: 'FINE' is not a verdict",
                     "steps[1].expect: expects nothing",
                     "steps[2].agent.node: 'esx09' is neither a host nor a proxy",
                     "steps[2].agent.action: 'pause' is not one of start, stop, kill",
                     "steps[3].ip.args: must not choose a namespace",
                     "steps[4].traffic.expect_segment: \"bakup\" is neither a segment name"):
            self.assertTrue(any(x.startswith(want) for x in errs), (want, errs))

    def test_isolated_is_only_safe_on_one_backup_segment(self):
        ok = {"ok": True, "segments_over_threshold": ["backup"], "proxy": "proxy01",
              "host": "esx01", "served_by": "esx01"}
        self.assertIsNone(agents.safety_problem("ISOLATED", ok, ["backup"]))
        # The right address on the backup segment, but another host answered: not isolated.
        for served in ("esx02", None):
            self.assertIn("served by", agents.safety_problem("ISOLATED", dict(ok, served_by=served),
                                                            ["backup"]))
        self.assertIsNone(agents.safety_problem("NOT_ISOLATED",
                                                dict(ok, segments_over_threshold=["mgmt"]),
                                                ["backup"]))
        for gt in (dict(ok, segments_over_threshold=["mgmt"]),
                   dict(ok, segments_over_threshold=["backup", "mgmt"]),
                   dict(ok, ok=False, segments_over_threshold=[]),
                   dict(ok, ok=False)):
            self.assertIn("SAFETY", agents.safety_problem("ISOLATED", gt, ["backup"]), gt)

    def test_each_copy_is_judged_by_the_pair_that_made_it(self):
        # Two proxies see esx01. proxy-a has no backup card and wrongly says ISOLATED; proxy-b
        # says NOT_ISOLATED. proxy-a's copy crossed management: the rule must catch it even
        # though the host's most severe verdict across proxies is NOT_ISOLATED.
        def report(proxy, verdict, codes=()):
            return {"proxy": proxy, "pairs": [{"proxy": proxy, "host": "esx01", "verdict": verdict,
                                               "findings": [{"code": c} for c in codes]}]}
        reports = {"proxy-a": report("proxy-a", "ISOLATED"),
                   "proxy-b": report("proxy-b", "NOT_ISOLATED", ["PATH_SHARED_WITH_MANAGEMENT"])}
        backup = ["backup"]
        over_mgmt = {"proxy": "proxy-a", "host": "esx01", "ok": True, "served_by": "esx01",
                     "segments_over_threshold": ["mgmt"]}
        agents.record_copy_verdicts(over_mgmt, reports, reports)
        self.assertEqual(over_mgmt["verdict_at_copy"], "ISOLATED")
        problems = agents.copy_safety_problems(over_mgmt, backup)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("SAFETY: proxy-a/esx01 was ISOLATED", problems[0])
        # proxy-b's copy over management agrees with proxy-b's own verdict: no problem.
        by_b = dict(over_mgmt, proxy="proxy-b")
        agents.record_copy_verdicts(by_b, reports, reports)
        self.assertEqual((by_b["verdict_at_copy"], by_b["findings_at_copy"]),
                         ("NOT_ISOLATED", ["PATH_SHARED_WITH_MANAGEMENT"]))
        self.assertEqual(agents.copy_safety_problems(by_b, backup), [])
        # An ISOLATED claim that appears only by the end of the copy counts too.
        late = dict(over_mgmt)
        agents.record_copy_verdicts(late, {"proxy-a": report("proxy-a", "UNKNOWN")}, reports)
        self.assertEqual(len(agents.copy_safety_problems(late, backup)), 1)
        # A proxy that does not report the host gives UNKNOWN, never another proxy's verdict.
        self.assertEqual(agents.pair_verdict({"proxy-b": reports["proxy-b"]}, "proxy-a", "esx01"),
                         "UNKNOWN")

    def test_combined_report_keeps_each_pair_with_its_proxy(self):
        a = {"schema_version": 2, "generated_unix_ms": 5, "generated_at": "t5",
             "pairs": [{"host": "esx01", "verdict": "ISOLATED"}]}
        b = {"schema_version": 2, "generated_unix_ms": 9, "generated_at": "t9",
             "pairs": [{"proxy": "proxy-b", "host": "esx01", "verdict": "NOT_ISOLATED"}]}
        doc = agents.combine_reports({"proxy-a": a, "proxy-b": b}, ["proxy-a", "proxy-b", "proxy-c"])
        self.assertEqual([(r["proxy"], r["verdict"]) for r in doc["pairs"]],
                         [("proxy-a", "ISOLATED"), ("proxy-b", "NOT_ISOLATED")])
        self.assertEqual(doc["summary"], {"pairs": 2, "counts": {"ISOLATED": 1, "NOT_ISOLATED": 1},
                                          "all_isolated": False})
        self.assertEqual((doc["generated_at"], doc["missing"]), ("t9", ["proxy-c"]))

    def test_served_by_is_the_host_whose_ports_sent_the_bytes(self):
        owner = {"h0i0": "esx01/vmk0", "h0i1": "esx01/vmk2", "h1i1": "esx02/vmk2",
                 "p0i1": "proxy01/eth1"}
        before = {p: (0, 0) for p in owner}
        # esx02 answered for the address: its port received (= it sent) the copy.
        after = dict(before, h1i1=(4_300_000, 10_000), p0i1=(10_000, 4_300_000), h0i0=(2000, 0))
        sent = counters.bytes_sent_by_node(before, after, owner)
        self.assertEqual(sent["esx02"], {"vmk2": 4_300_000})
        self.assertEqual(counters.serving_host(sent, ["esx01", "esx02"], 4 << 20),
                         ("esx02", "vmk2"))
        self.assertEqual(counters.serving_host(sent, ["esx01"], 4 << 20), (None, None))

    def test_generator_is_deterministic_valid_and_varied(self):
        import verify
        self.assertEqual(verify.generate(7), verify.generate(7))
        self.assertNotEqual(verify.generate(7), verify.generate(8))
        seen = set()
        for seed in range(300):
            sc = scenario.parse(verify.generate(seed))  # raises on an invalid scenario
            self.assertTrue(1 <= len(sc.hosts) <= 6 and 1 <= len(sc.proxies) <= 3, seed)
            self.assertEqual(len(sc.traffic), len(sc.hosts) * len(sc.proxies))
            for h in sc.hosts:
                v2 = h.iface("vmk2")
                if v2.segment == "mgmt":
                    seen.add("vmk2 on management's segment")
                if v2.ipv4.network == h.iface("vmk0").ipv4.network:
                    seen.add("vmk2 in vmk0's subnet")
                if any(o is not h and o.iface("vmk2").ipv4.ip == v2.ipv4.ip for o in sc.hosts):
                    seen.add("duplicate address")
            for p in sc.proxies:
                if len(p.ifaces) == 1:
                    seen.add("one-card proxy")
            if sc.routers:
                seen.add("router")
        self.assertEqual(seen, {"vmk2 on management's segment", "vmk2 in vmk0's subnet",
                                "duplicate address", "one-card proxy", "router"})

    def test_consistency_of_non_isolated_pairs(self):
        import verify
        good = {"proxy": "p", "host": "esx01", "ok": True, "served_by": "esx01",
                "segments_over_threshold": ["b1"], "verdict_at_copy": "NOT_ISOLATED",
                "findings_at_copy": ["TAG_MISSING"]}
        self.assertIsNone(verify.consistency_problem(good, ["b1"]))
        self.assertIn("names no finding",
                      verify.consistency_problem(dict(good, findings_at_copy=[]), ["b1"]))
        self.assertIn("DEGRADED", verify.consistency_problem(
            dict(good, verdict_at_copy="DEGRADED", segments_over_threshold=["mgmt"]), ["b1"]))
        self.assertIn("served the copy", verify.consistency_problem(
            dict(good, served_by="esx02"), ["b1"]))
        self.assertIsNone(verify.consistency_problem(
            dict(good, served_by="esx02", findings_at_copy=["DUPLICATE_NFC_ADDRESS"]), ["b1"]))
        # Over management, any finding says "not isolated", whoever answered.
        self.assertIsNone(verify.consistency_problem(
            dict(good, served_by="esx02", segments_over_threshold=["mgmt"],
                 findings_at_copy=["NO_MAPPING"]), ["b1"]))
        res = verify.judge([dict(good, verdict_at_copy="ISOLATED", segments_over_threshold=["mgmt"]),
                            good], ["b1"])
        self.assertEqual((res["pairs"], len(res["false_isolated"]), res["inconsistent"]), (2, 1, []))

    def test_a_signal_during_teardown_stops_a_loop_of_labs_afterwards(self):
        import signal
        from labkit.signals import Interrupted, signals_deferred
        done = []
        with self.assertRaises(Interrupted) as cm:
            with signals_deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("teardown finished")
        self.assertEqual((done, cm.exception.signum), (["teardown finished"], signal.SIGTERM))

    def test_stale_namespaces(self):
        names = ["bnfc-lab-abc123-esx01", "bnfc-lab-abc123-_lab", "bnfc-lab-def456-esx01",
                 "bnfc-lab-junk", "other-ns", "bnfc-other"]
        self.assertEqual(netlab.stale_namespaces(names, ["def456"]),
                         ["bnfc-lab-abc123-esx01", "bnfc-lab-abc123-_lab", "bnfc-lab-junk"])

    def test_has_run_command(self):
        proxyd_help = ("usage: bnfc-proxyd COMMAND [OPTIONS]\n\nCommands:\n"
                       "  keys list [--json]     enrolled keys\n  keygen   create keys\n")
        self.assertFalse(agents.has_run_command(proxyd_help))
        self.assertFalse(agents.has_run_command("usage: bnfc-hostd --version\n"))
        self.assertTrue(agents.has_run_command(proxyd_help + "  run --config F   run the daemon\n"))
        self.assertTrue(agents.has_run_command("usage: bnfc-hostd run --config FILE\n"))

    def test_proxyd_conf_from_scenario(self):
        d = basic_doc()
        d["proxies"][0]["mapping"] = [{"address": "10.97.0.0/24", "interface": "eth1", "via": "10.99.0.1"},
                                      {"address": "fd00:99::/64", "interface": "eth1"}]
        d["proxies"][0]["agent"] = {"allow_public_plaintext": True}
        conf = agents.render_proxyd_conf(scenario.parse(d).node("proxy01"), "/state")
        self.assertEqual(conf, "proxy_id = proxy01\nlisten = 0.0.0.0:9902\nhttp_listen = 127.0.0.1:9903\n"
                               "state_dir = /state\nmapping = 10.97.0.0/24 eth1 via 10.99.0.1\n"
                               "mapping = fd00:99::/64 eth1\nallow_public_plaintext = true\n")
        d["proxies"][0]["mapping"] = [{"address": "10.97.0.0/24", "interface": "eth7", "via": "x"}]
        self.assertEqual(errors_of(d), ["proxies[0].mapping[0].interface: 'eth7' is not an interface of proxy01",
                                        "proxies[0].mapping[0].via: 'x' is not an IP address"])

    def test_missing_agents_fail_precisely(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(LabError) as cm:
                agents.check_agent_binaries(d)
            self.assertIn(f"agent binary {d}/bnfc-hostd is missing", str(cm.exception))
            self.assertIn("--no-agents", str(cm.exception))

    def test_not_root_is_a_clear_error(self):
        real = os.geteuid
        os.geteuid = lambda: 1000
        try:
            with self.assertRaises(LabError) as cm:
                netlab.preflight(None)
        finally:
            os.geteuid = real
        self.assertEqual(cm.exception.exit_code, 3)
        self.assertIn("the lab needs root", str(cm.exception))

    def test_cli_rejects_a_bad_scenario_before_touching_anything(self):
        d = basic_doc()
        d["hosts"][1]["vmknics"][0]["segment"] = "bakup"
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(d, f)
            out = os.path.join(tmp, "out")
            cp = subprocess.run([sys.executable, os.path.join(HERE, "lab.py"), "--scenario", path,
                                 "--out", out, "--no-agents"], capture_output=True, text=True)
            self.assertEqual(cp.returncode, 2, cp.stderr)
            self.assertIn(f"{path}: hosts[1].vmknics[0].segment: unknown segment 'bakup'", cp.stderr)
            self.assertFalse(os.path.exists(out))


class ApiMode(unittest.TestCase):
    """Hosts in API mode (`source: vsphere`): scenario keys and what the lab writes (pure)."""

    def test_source_is_validated(self):
        doc = basic_doc()
        doc["hosts"][0]["source"] = "vcenter"
        self.assertIn("hosts[0].source: 'vcenter' is not one of agent, vsphere, both",
                      errors_of(doc))
        doc["hosts"][0]["source"] = "vsphere"
        sc = scenario.parse(doc)
        self.assertEqual([h.source for h in sc.hosts], ["vsphere", "agent"])
        vsphere.set_source(sc, "vsphere")
        self.assertEqual(len(vsphere.vsphere_hosts(sc)), 2)
        self.assertFalse(any(vsphere.has_agent(h) for h in sc.hosts))
        vsphere.set_source(sc, "both")  # cross-check: agent and API for every host
        self.assertTrue(all(vsphere.has_agent(h) and vsphere.is_vsphere(h) for h in sc.hosts))

    def test_expectation_override_for_api_mode(self):
        doc = basic_doc()
        doc["steps"] = [{"expect": {"host": "esx01", "verdict": "ISOLATED", "findings": ["X_Y"],
                                    "within_s": 20,
                                    "vsphere": {"verdict": "DEGRADED",
                                                "findings": ["HOST_CHECKS_NOT_RUN"]}}},
                        {"expect": {"host": "esx02", "not_verdict": ["ISOLATED"],
                                    "vsphere": {"verdict": "UNKNOWN"}}},
                        {"expect": {"host": "esx02", "verdict": "NOT_ISOLATED"}}]
        sc = scenario.parse(doc)
        e = sc.steps[0].expect
        self.assertEqual(e.for_source("agent").verdict, "ISOLATED")
        api = e.for_source("vsphere")
        self.assertEqual((api.verdict, api.findings, api.within_s, api.host),
                         ("DEGRADED", ["HOST_CHECKS_NOT_RUN"], 20.0, "esx01"))
        # A verdict override drops the agent-mode not_verdict (and vice versa).
        api2 = sc.steps[1].expect.for_source("vsphere")
        self.assertEqual((api2.verdict, api2.not_verdict), ("UNKNOWN", []))
        self.assertIs(sc.steps[2].expect.for_source("vsphere"), sc.steps[2].expect)
        doc["steps"] = [{"expect": {"host": "esx01", "vsphere": {"verdict": "MAYBE",
                                                                 "host": "esx02"}}}]
        errs = errors_of(doc)
        self.assertTrue(any("steps[0].expect.vsphere.host: unknown key" in x for x in errs), errs)
        self.assertTrue(any("steps[0].expect.vsphere.verdict: 'MAYBE'" in x for x in errs), errs)

    def test_skip_needs_a_reason(self):
        doc = basic_doc()
        doc["vsphere"] = {"skip": " "}
        self.assertIn("vsphere.skip: give the reason the scenario cannot run in API mode",
                      errors_of(doc))
        doc["vsphere"] = {"skip": "the agent's own failover"}
        self.assertEqual(scenario.parse(doc).vsphere_skip, "the agent's own failover")

    def test_cli_skips_a_scenario_that_cannot_run_in_api_mode(self):
        doc = basic_doc()
        doc["vsphere"] = {"skip": "needs the agent"}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            cp = subprocess.run([sys.executable, os.path.join(HERE, "lab.py"), "--check",
                                 "--scenario", path, "--source", "vsphere"],
                                capture_output=True, text=True)
            self.assertEqual(cp.returncode, 77, cp.stderr)
            self.assertIn("SKIPPED in API mode: needs the agent", cp.stdout)
            cp = subprocess.run([sys.executable, os.path.join(HERE, "lab.py"), "--check",
                                 "--scenario", path], capture_output=True, text=True)
            self.assertEqual(cp.returncode, 0, cp.stderr)

    def test_inventory_and_source_files(self):
        sc = scenario.parse(basic_doc())
        vsphere.set_source(sc, "vsphere")

        class FakeLab:
            def ns(self, node):
                return "bnfc-x-" + node

            def state_path(self, host):
                return f"/lab/hosts/{host}/state.json"

        inv = vsphere.render_inventory(FakeLab(), sc.hosts, "/b/esxsim")
        self.assertEqual(inv["hosts"][1], {
            "name": "esx02", "cluster": "lab-cluster",
            "esxsim": {"command": ["ip", "netns", "exec", "bnfc-x-esx02", "/b/esxsim", "--state",
                                   "/lab/hosts/esx02/state.json"]}})
        self.assertEqual([vsphere.host_tag_policy(h) for h in sc.hosts], ["ensure", "observe"])
        info = {"url": "https://127.0.0.1:4443/sdk", "thumbprint": "AA:BB", "username": "u",
                "password": "p w"}
        text = vsphere.render_source("vc", info, "/c/cred", ["esx01", "esx02"], "observe")
        self.assertEqual(text, "name = vc\nurl = https://127.0.0.1:4443/sdk\n"
                               "credentials = /c/cred\nthumbprint = AA:BB\n"
                               "scope = hosts: esx01, esx02\ntag_policy = observe\n"
                               "timeout = 10s\n")
        self.assertEqual(vsphere.render_credentials(info), "username = u\npassword = p w\n")
        # Under ensure the source names the backup vmknic in the agent's words.
        self.assertEqual(vsphere.host_backup_selector(sc.hosts[0]), ("backup_vmk", "vmk2"))
        text = vsphere.render_source("vc", info, "/c/cred", ["esx01"], "ensure",
                                     ("backup_vmk", "vmk2"))
        self.assertTrue(text.endswith("tag_policy = ensure\ntimeout = 10s\nbackup_vmk = vmk2\n"),
                        text)
        # A frozen vCenter view reads the copy of the state file.
        sc.hosts[1].vcenter_view = "frozen"
        inv = vsphere.render_inventory(FakeLab(), sc.hosts, "/b/esxsim")
        self.assertEqual(inv["hosts"][1]["esxsim"]["command"][-1],
                         "/lab/hosts/esx02/state.json.vcenter")

    def test_vcenter_view_is_live_or_frozen(self):
        doc = basic_doc()
        doc["hosts"][0]["vcenter_view"] = "stale"
        with self.assertRaises(scenario.ScenarioError) as cm:
            scenario.parse(doc)
        self.assertIn("hosts[0].vcenter_view", str(cm.exception))
        doc["hosts"][0]["vcenter_view"] = "frozen"
        self.assertEqual(scenario.parse(doc).hosts[0].vcenter_view, "frozen")


if __name__ == "__main__":
    unittest.main(verbosity=2)
