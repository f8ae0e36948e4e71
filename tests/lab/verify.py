#!/usr/bin/env python3
"""Generative verification (./run verify): random lab topologies from a seed, run with the real
agents and real NBD copies, each copy checked against the safety rule and every pair's verdict
against the ground truth (docs/lab.md, "Generative verification").

    verify.py --bin build/bin --random N --seed S [--out DIR] [--keep]

Scenario i of a run uses seed S+i. Each one is written to DIR/seed-<seed>.json before it runs,
so `./run lab --scenario DIR/seed-<seed>.json --out X` replays it; passing scenarios are removed
again unless --keep. Every failure prints its seed and that file. DIR/verify.jsonl gets one line
per scenario. Exit status: 0 every scenario passed, 1 some failed, 2 bad command line, 3 not root
or namespaces not permitted (77 with --skip-code-77, for ctest).
"""

import argparse
import json
import os
import random
import sys
import time
from typing import Any, Dict, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from labkit import agents, scenario, vsphere  # noqa: E402
from labkit.netlab import Lab, preflight  # noqa: E402
from labkit.runner import LabError  # noqa: E402
from labkit.signals import Interrupted, signals_deferred, signals_raise  # noqa: E402

COPY_BYTES = "4M"
COPY_TIMEOUT_S = 10


# ---- generator (pure: the same seed gives the same scenario) ---------------------------------

def _subnet(octet: int) -> str:
    return f"10.{octet}.0"


def generate(seed: int) -> Dict[str, Any]:
    """A random but valid lab scenario: 1-6 hosts, 1-3 proxies, 1-3 backup segments, shared or
    overlapping subnets, VLAN/segment sharing and lies, tags on any vmknic, MTU mismatches, a
    router, duplicate addresses, proxies with one or several cards; a 4M copy per pair."""
    rnd = random.Random(seed)
    chance = rnd.random
    nb = rnd.randint(1, 3)
    mgmt_net = _subnet(98)
    # Backup segments and their subnets: usually their own, sometimes another one's or mgmt's.
    segs = [{"name": "mgmt", "vlan": 10, "comment": f"{mgmt_net}.0/24"}]
    nets = {"mgmt": mgmt_net}
    for k in range(1, nb + 1):
        name = f"b{k}"
        r = chance()
        if r < 0.12 and k > 1:
            nets[name] = nets[f"b{rnd.randint(1, k - 1)}"]  # same subnet, another L2 (VLAN mistake)
        elif r < 0.22:
            nets[name] = mgmt_net  # backup segment numbered in the management subnet
        else:
            nets[name] = _subnet(100 + k)
        s = {"name": name, "vlan": 10 + 10 * k, "comment": f"{nets[name]}.0/24"}
        if chance() < 0.25:
            s["mtu"] = 9000
        segs.append(s)
    backups = [s["name"] for s in segs[1:]]
    router = None
    if chance() < 0.25:
        rseg = rnd.choice(backups)
        if nets[rseg] != mgmt_net:
            router = {"id": "gw01", "interfaces": [
                {"name": "eth0", "segment": "mgmt", "ipv4": f"{mgmt_net}.1/24"},
                {"name": "eth1", "segment": rseg, "ipv4": f"{nets[rseg]}.1/24"}]}
    hosts = []
    used_vmk2: List[str] = []
    for i in range(rnd.randint(1, 6)):
        hid = f"esx{i + 1:02d}"
        vmk0: Dict[str, Any] = {"name": "vmk0", "segment": "mgmt", "ipv4": f"{mgmt_net}.{11 + i}/24",
                                "tags": ["Management"]}
        r = chance()
        if r < 0.62:
            seg = rnd.choice(backups)
            addr = f"{nets[seg]}.{21 + i}"
        elif r < 0.74:
            seg, addr = "mgmt", f"{mgmt_net}.{41 + i}"  # the seed's trap: vmk0's subnet and segment
        elif r < 0.86:
            seg = "mgmt"
            addr = f"{nets[rnd.choice(backups)]}.{21 + i}"  # own subnet, management's L2
        else:
            seg, addr = rnd.choice(backups), f"{mgmt_net}.{41 + i}"  # mgmt subnet, other segment
        if used_vmk2 and chance() < 0.12:
            prev = rnd.choice(used_vmk2)  # a duplicate address (maybe on the same segment)
            seg, addr = prev.split("@")[1], prev.split("@")[0]
        used_vmk2.append(f"{addr}@{seg}")
        vmk2: Dict[str, Any] = {"name": "vmk2", "segment": seg, "ipv4": f"{addr}/24",
                                "portgroup": "Backup NFC", "tags": []}
        vmknics = [vmk0, vmk2]
        if chance() < 0.25:
            s1 = rnd.choice(["mgmt"] + backups)
            vmknics.insert(1, {"name": "vmk1", "segment": s1, "portgroup": "vMotion",
                               "ipv4": f"{nets[s1]}.{61 + i}/24", "tags": ["VMotion"]})
        r = chance()
        if r < 0.72:
            vmk2["tags"] = ["vSphereBackupNFC"]
        elif r < 0.84:
            vmk0["tags"].append("vSphereBackupNFC")
        elif r < 0.92 and len(vmknics) == 3:
            vmknics[1]["tags"].append("vSphereBackupNFC")
        if chance() < 0.15:
            for v in vmknics:
                v["vds"] = "dvs-1"
        if chance() < 0.12:
            vmk2["vlan"] = rnd.choice([10, 200, 4095])  # claims that may lie about the segment
        if chance() < 0.15:
            vmk2["mtu"] = 9000
        if chance() < 0.05:
            vmk2["netstack"] = "vmotion"
        hosts.append({"id": hid, "vmknics": vmknics,
                      "agent": {"backup_vmk": "vmk2",
                                "tag_policy": "ensure" if chance() < 0.7 else "observe"}})
    proxies = []
    for p in range(rnd.randint(1, 3)):
        ifaces: List[Dict[str, Any]] = [{"name": "eth0", "segment": "mgmt",
                                         "ipv4": f"{mgmt_net}.{100 + p}/24"}]
        r = chance()
        ncards = 0 if r < 0.25 else (1 if r < 0.8 else 2)
        for j, seg in enumerate(rnd.sample(backups, min(ncards, len(backups)))):
            host_part = 150 + p if nets[seg] == mgmt_net else 100 + p  # never eth0's address
            it = {"name": f"eth{j + 1}", "segment": seg, "ipv4": f"{nets[seg]}.{host_part}/24"}
            if next(s for s in segs if s["name"] == seg).get("mtu") == 9000 and chance() < 0.7:
                it["mtu"] = 9000
            ifaces.append(it)
        extra = nets[rnd.choice(backups)]
        if ncards == 0 and chance() < 0.5 and extra != mgmt_net:
            ifaces[0]["ipv4_secondary"] = [f"{extra}.{100 + p}/24"]  # one card, both subnets
        px: Dict[str, Any] = {"id": f"proxy{p + 1:02d}", "interfaces": ifaces}
        if router and chance() < 0.6:
            rnet = router["interfaces"][1]["ipv4"].rsplit(".", 1)[0] + ".0/24"
            own = {i["ipv4"].rsplit(".", 1)[0] + ".0/24" for i in ifaces}
            if rnet not in own:
                px["routes"] = [{"to": rnet, "via": f"{mgmt_net}.1"}]
        proxies.append(px)
    doc: Dict[str, Any] = {
        "description": f"Generated by tests/lab/verify.py from seed {seed}.",
        "segments": segs, "hosts": hosts, "proxies": proxies,
        "traffic": [{"proxy": p["id"], "host": h["id"], "bytes": COPY_BYTES,
                     "timeout_s": COPY_TIMEOUT_S} for p in proxies for h in hosts]}
    if router:
        doc["routers"] = [router]
    return doc


# ---- judging (pure) --------------------------------------------------------------------------

def consistency_problem(gt: Dict[str, Any], backup_segments: List[str]) -> Optional[str]:
    """Every pair that is not ISOLATED names a finding consistent with the ground truth: any
    such verdict names at least one finding; DEGRADED (every isolation check passed) needs the
    copy on one backup segment served by the host, or an MTU_MISMATCH when the copy failed; a
    copy that looked like a backup copy (one backup segment) but was served by another host needs
    DUPLICATE_NFC_ADDRESS or MAC_MISMATCH (when it crossed management, any finding explains that
    it is not isolated). None when fine."""
    v = gt.get("verdict_at_copy", "UNKNOWN")
    codes = gt.get("findings_at_copy") or []
    who = f"{gt.get('proxy')}/{gt.get('host')}"
    if v == "ISOLATED":
        return None
    if not codes:
        return f"{who}: {v} names no finding"
    over = gt.get("segments_over_threshold") or []
    on_backup = (gt.get("ok") and len(over) == 1 and over[0] in backup_segments
                 and gt.get("served_by") == gt.get("host"))
    if v == "DEGRADED":
        if gt.get("ok") and not on_backup:
            return (f"{who}: DEGRADED ({', '.join(codes)}) while the copy crossed {over} served by "
                    f"{gt.get('served_by')}")
        if not gt.get("ok") and "MTU_MISMATCH" not in codes:
            return f"{who}: DEGRADED without MTU_MISMATCH while the copy failed"
    served = gt.get("served_by")
    if gt.get("ok") and served and served != gt.get("host") and len(over) == 1 \
            and over[0] in backup_segments \
            and not {"DUPLICATE_NFC_ADDRESS", "MAC_MISMATCH"} & set(codes):
        return (f"{who}: {v} ({', '.join(codes)}) names no duplicate-address finding while "
                f"{served} served the copy")
    return None


def judge(ground_truth: List[Dict[str, Any]], backup_segments: List[str]) -> Dict[str, Any]:
    """Counts and problems of one scenario's copies (pure)."""
    false_isolated, inconsistent = [], []
    for gt in ground_truth:
        false_isolated += agents.copy_safety_problems(gt, backup_segments)
        p = consistency_problem(gt, backup_segments)
        if p:
            inconsistent.append(p)
    verdicts: Dict[str, int] = {}
    for gt in ground_truth:
        v = gt.get("verdict_at_copy", "UNKNOWN")
        verdicts[v] = verdicts.get(v, 0) + 1
    return {"pairs": len(ground_truth), "verdicts": verdicts, "false_isolated": false_isolated,
            "inconsistent": inconsistent}


# ---- running ---------------------------------------------------------------------------------

def run_one(seed: int, out: str, bin_dir: str, keep: bool,
            source: Optional[str] = None) -> Dict[str, Any]:
    doc = generate(seed)
    if source:
        for h in doc["hosts"]:
            h["source"] = source  # written into the replay file too
    path = os.path.join(out, f"seed-{seed}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    sc = scenario.parse(doc)  # a generator bug shows as a ScenarioError naming the seed
    t0 = time.monotonic()
    lab = Lab(sc, os.path.join(out, f"run-{seed}"), bin_dir)
    try:
        lab.setup()
        agents.start_agents(lab, bin_dir)
        agents.wait_for_settled(lab, timeout_s=45)
        for t in sc.traffic:
            lab.run_traffic(t)
        lab.write_ground_truth()
        res = judge(lab.ground_truth, lab.backup_segments())
    finally:
        with signals_deferred():  # a signal during teardown stops the run after it
            left = lab.teardown()
    res.update({"seed": seed, "hosts": len(sc.hosts), "proxies": len(sc.proxies),
                "seconds": round(time.monotonic() - t0, 1), "scenario": path, "left": left})
    res["ok"] = not res["false_isolated"] and not res["inconsistent"] and not left
    if res["ok"] and not keep:
        os.unlink(path)
        _rmtree(os.path.join(out, f"run-{seed}"))
    return res


def _rmtree(path: str) -> None:
    import shutil
    shutil.rmtree(path, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="verify.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--random", type=int, default=10, metavar="N", help="scenarios to run (10)")
    p.add_argument("--seed", type=int, default=None, metavar="S",
                   help="first seed (default: from the clock, printed)")
    p.add_argument("--bin", default=os.environ.get("BNFC_BIN_DIR"), help="build/bin")
    p.add_argument("--out", default="out/verify", help="scenario files and results (out/verify)")
    p.add_argument("--keep", action="store_true", help="keep the files of passing scenarios too")
    p.add_argument("--source", choices=vsphere.SOURCES, default=None,
                   help="'vsphere': every host in API mode (facts and tag through bnfc-vcsim)")
    p.add_argument("--print", action="store_true", dest="print_only",
                   help="only print the scenario of --seed (no root needed)")
    p.add_argument("--skip-code-77", action="store_true",
                   help="exit 77 (skipped) instead of 3 when not root (ctest)")
    a = p.parse_args(argv)
    if a.random < 1:
        p.error("--random must be at least 1")
    seed = a.seed if a.seed is not None else int(time.time()) % 1000000
    if a.print_only:
        print(json.dumps(generate(seed), indent=1))
        return 0
    try:
        if not a.bin:
            raise LabError("--bin is needed to find esxsim and the agents")
        agents.check_agent_binaries(a.bin)
        preflight(a.bin)
    except LabError as e:
        print(f"verify: {e}", file=sys.stderr)
        return 77 if a.skip_code_77 and e.exit_code == 3 else e.exit_code
    os.makedirs(a.out, exist_ok=True)
    bin_dir = os.path.abspath(a.bin)
    print(f"verify: {a.random} random scenario(s) from seed {seed}", flush=True)
    failed = false_iso = pairs = 0
    raising = signals_raise()
    raising.__enter__()
    try:
        for s in range(seed, seed + a.random):
            try:
                res = run_one(s, a.out, bin_dir, a.keep, a.source)
            except (LabError, scenario.ScenarioError) as e:
                res = {"seed": s, "ok": False, "error": str(e), "false_isolated": [],
                       "inconsistent": [], "pairs": 0,
                       "scenario": os.path.join(a.out, f"seed-{s}.json")}
            with open(os.path.join(a.out, "verify.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps(res) + "\n")
            pairs += res.get("pairs", 0)
            false_iso += len(res["false_isolated"])
            mark = "ok" if res["ok"] else "FAILED"
            print(f"verify: seed {s}: {mark}: {res.get('hosts', '?')} hosts, "
                  f"{res.get('proxies', '?')} proxies, verdicts {res.get('verdicts', {})}, "
                  f"{res.get('seconds', '?')} s", flush=True)
            if not res["ok"]:
                failed += 1
                for msg in res["false_isolated"] + res["inconsistent"] + \
                        ([res["error"]] if res.get("error") else []):
                    print(f"verify: seed {s}: {msg}", flush=True)
                print(f"verify: seed {s}: replay: ./run lab --scenario {res['scenario']} "
                      f"--out out/replay-{s}", flush=True)
    except Interrupted as e:
        print(f"verify: {e}; stopped", file=sys.stderr)
        return 128 + e.signum
    finally:
        raising.__exit__(None, None, None)
    print(f"verify: {a.random} scenarios, {pairs} copies, {failed} failed, "
          f"{false_iso} false ISOLATED", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
