#!/usr/bin/env python3
"""backupnfc network lab: build a scenario out of network namespaces, move real NBD traffic and
record which segment carried it (docs/lab.md).

Exit status: 0 done, 1 the lab or a step failed, 2 bad command line or scenario, 3 not root or
namespaces not permitted, 77 the scenario cannot run in API mode (its "vsphere": {"skip"} says
why), 130 interrupted. Teardown runs in every case.
"""

import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from labkit import agents, scenario, vsphere  # noqa: E402
from labkit.netlab import Lab, preflight  # noqa: E402
from labkit.runner import LabError  # noqa: E402
from labkit.signals import Interrupted, signals_ignored, signals_raise  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="lab.py",
        description="Build a network lab from a scenario (one namespace per ESXi host and proxy, "
                    "one bridge per segment), run NBD traffic with nbdkit/nbdcopy and write "
                    "OUT/ground-truth.json. Needs root. See docs/lab.md.")
    p.add_argument("--scenario", required=True, help="scenario JSON file")
    p.add_argument("--out", help="output folder (ground-truth.json, topology.json, steps.json, "
                                 "lab.log, hosts/*); required unless --check")
    p.add_argument("--bin", default=None, help="folder with esxsim and the agents (build/bin)")
    p.add_argument("--no-agents", action="store_true", help="run without bnfc-hostd/bnfc-proxyd")
    p.add_argument("--source", choices=vsphere.SOURCES, default=None,
                   help="how every host reaches the proxy: 'agent' (bnfc-hostd), 'vsphere' "
                        "(API mode: bnfc-vcsim in each proxy's namespace) or 'both' (agent and "
                        "API, cross-checked); default: each host's \"source\" in the scenario")
    p.add_argument("--no-esxi-profile", action="store_true",
                   help="run bnfc-hostd without the ESXi profile (for debugging)")
    p.add_argument("--keep-going", action="store_true",
                   help="continue after a step that did not give its expected result")
    p.add_argument("--check", action="store_true",
                   help="only validate the scenario (no root needed) and exit")
    p.add_argument("--demo", action="store_true", help="print the demo summary (./run demo)")
    p.add_argument("--run-id", help="6 hex digits naming this run's namespaces (default: random)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every command")
    a = p.parse_args(argv)
    if a.no_esxi_profile:
        os.environ["BNFC_LAB_ESXI_PROFILE"] = "0"
    if not a.check and not a.out:
        p.error("--out is required (unless --check)")
    if a.run_id and not (len(a.run_id) == 6 and all(c in "0123456789abcdef" for c in a.run_id)):
        p.error("--run-id must be 6 lower-case hex digits")
    return a


def print_summary(gt, out_dir):
    if not gt:
        print("lab: no traffic items in this scenario")
        return
    print(f"{'proxy':<12} {'host':<12} {'address':<16} {'vmknic':<7} {'segment':<10} "
          f"{'MiB':>6} {'s':>7} {'MB/s':>8}  result")
    for r in gt:
        err = (r.get("error") or "").strip().splitlines()
        result = "ok" if r["ok"] else "FAILED: " + (err[-1][:60] if err else "")
        print(f"{r['proxy']:<12} {r['host']:<12} {str(r['address']):<16} {str(r.get('vmknic')):<7} "
              f"{str(r['segment']):<10} {r['bytes'] / 1048576:>6.0f} {r['seconds']:>7.2f} "
              f"{r.get('mb_per_s', 0):>8.1f}  {result}")
    print(f"lab: ground truth in {os.path.join(out_dir, 'ground-truth.json')}")


def print_demo_lines(gt):
    for r in gt:
        if not r["ok"]:
            what = f"its NBD copy from {r['address']} failed ({(r.get('error') or '').strip()[-80:]})"
        elif r["segment"] is None:
            what = f"its NBD copy from {r['address']} crossed no single segment"
        else:
            what = f"its NBD copy from {r['address']} ({r.get('vmknic')}) crossed segment '{r['segment']}'"
        print(f"ground truth: {r['host']}: {what}")


def publish_reports(lab) -> None:
    """Copies the proxies' report.json/report.html into the output folder (one proxy: as is;
    several: report-<proxy>.json, plus one combined report.json whose pairs carry their proxy)."""
    for p in lab.sc.proxies:
        suffix = "" if len(lab.sc.proxies) == 1 else f"-{p.id}"
        for name in ("report.json", "report.html", "report.txt"):
            src = agents.report_path(lab, p.id, name)
            if os.path.exists(src):
                base, ext = os.path.splitext(name)
                shutil.copyfile(src, os.path.join(lab.out, f"{base}{suffix}{ext}"))
    if len(lab.sc.proxies) > 1:
        lab._write_json("report.json", agents.combine_reports(agents.read_reports(lab),
                                                              [p.id for p in lab.sc.proxies]))


def print_text_reports(lab) -> None:
    for p in lab.sc.proxies:
        path = agents.report_path(lab, p.id, "report.txt")
        if os.path.exists(path):
            with open(path) as f:
                print(f.read())
    print(f"report: {os.path.join(lab.out, 'report.html')} and "
          f"{os.path.join(lab.out, 'report.json')}")


def print_agreement(lab) -> int:
    """For each copy: does the verdict of the (proxy, host) pair that made it, read at the time
    of the copy, agree with the ground truth? ISOLATED or DEGRADED must mean exactly one backup
    segment carried the bytes and the host itself served them; any other verdict must mean not."""
    backup = lab.backup_segments()
    disagreements = 0
    for g in lab.ground_truth:
        verdict = g.get("verdict_at_copy", "UNKNOWN")
        over = g.get("segments_over_threshold") or []
        on_backup = (bool(g["ok"]) and len(over) == 1 and over[0] in backup
                     and g.get("served_by") == g["host"])
        expected_backup = verdict in ("ISOLATED", "DEGRADED")
        agree = verdict != "UNKNOWN" and on_backup == expected_backup
        disagreements += 0 if agree else 1
        who = g["host"] if len(lab.sc.proxies) == 1 else f"{g['proxy']}/{g['host']}"
        print(f"check: {who}: verdict {verdict}, bytes crossed '{g['segment']}' served by "
              f"{g.get('served_by')} -> {'AGREES' if agree else 'DISAGREES'} with ground truth")
    return disagreements


def main(argv=None) -> int:
    a = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        sc = scenario.load(a.scenario)
    except scenario.ScenarioError as e:
        for msg in e.errors:
            print(f"lab: {e.source}: {msg}", file=sys.stderr)
        return 2
    if a.source:
        vsphere.set_source(sc, a.source)
    if any(not vsphere.has_agent(h) for h in sc.hosts) and sc.vsphere_skip:
        print(f"lab: SKIPPED in API mode: {sc.vsphere_skip}")
        return 77
    if a.check:
        print(f"lab: {a.scenario}: valid ({len(sc.segments)} segments, {len(sc.hosts)} hosts, "
              f"{len(sc.proxies)} proxies, {len(sc.traffic)} traffic items, {len(sc.steps)} steps)")
        return 0
    bin_dir = a.bin or os.environ.get("BNFC_BIN_DIR")
    if bin_dir:
        bin_dir = os.path.abspath(bin_dir)  # the agents and bnfc-vcsim run in other directories
    try:
        if not a.no_agents:
            if not bin_dir:
                raise LabError("--bin is needed to find the agents (or use --no-agents)")
            agents.check_agent_binaries(bin_dir)
        preflight(bin_dir)
    except LabError as e:
        print(f"lab: {e}", file=sys.stderr)
        return e.exit_code
    if not bin_dir or not os.path.exists(os.path.join(bin_dir, "esxsim")):
        print(f"lab: warning: no esxsim in {bin_dir or '(no --bin)'}: hosts get a state file but no "
              "esxcli/localcli/vmkping", file=sys.stderr)

    try:
        lab = Lab(sc, a.out, bin_dir, run_id=a.run_id, verbose=a.verbose)
    except OSError as e:
        print(f"lab: cannot use output folder {a.out}: {e.strerror}", file=sys.stderr)
        return 1
    rc = 0
    raising = signals_raise()
    raising.__enter__()
    try:
        print(f"lab: run {lab.run_id}: building {len(sc.segments)} segments, {len(sc.hosts)} hosts, "
              f"{len(sc.proxies)} proxies (namespaces {lab.prefix}*)", flush=True)
        lab.setup()
        has_expectations = any(st.kind == "expect" for st in sc.steps)
        if not a.no_agents:
            agents.start_agents(lab, bin_dir)
            if has_expectations:
                print("lab: agents started; the scenario's expect steps wait for verdicts",
                      flush=True)
            else:
                print("lab: agents started; waiting for every pair's verdict to settle", flush=True)
                agents.wait_for_settled(lab, timeout_s=60)
        for t in sc.traffic:
            r = lab.run_traffic(t)
            problems = lab.check_traffic(t, r)
            print(f"lab: {t.where}: {t.proxy} <- {t.host} {r['address']}: "
                  f"{'ok' if r['ok'] else 'failed'}, segment {r['segment']}"
                  + (f", verdict then {r['verdict_at_copy']}" if "verdict_at_copy" in r else ""),
                  flush=True)
            if problems:
                print(f"lab: {t.where}: {'; '.join(problems)}", file=sys.stderr)
                rc = 1
        failed_steps = 0
        for st in sc.steps:
            rec = lab.run_step(st)
            if st.kind == "traffic":
                g = rec["ground_truth"]
                print(f"lab: {st.where}: {g['proxy']} <- {g['host']} {g['address']}: "
                      f"{'ok' if g['ok'] else 'failed'}, segment {g['segment']}"
                      + (f", verdict then {g['verdict_at_copy']}" if "verdict_at_copy" in g else ""),
                      flush=True)
            elif st.kind == "expect":
                e = st.expect
                want = " ".join(x for x in (e.verdict, " ".join(f"not {v}" for v in e.not_verdict),
                                            "+".join(e.findings),
                                            "pinned" if e.pinned else
                                            ("not pinned" if e.pinned is False else "")) if x)
                print(f"lab: {st.where}: {e.host} {want}: "
                      f"{'met' if rec['ok'] else 'NOT MET'} after {rec['waited_s']} s "
                      f"({rec['seen']})", flush=True)
            elif st.kind in ("agent", "ip", "segment"):
                print(f"lab: {st.where}: {st.kind} {st.node or st.segment} "
                      f"{st.action or ' '.join(st.args) or ('up' if st.up else 'down')}", flush=True)
            if not rec["ok"]:
                failed_steps += 1
                print(f"lab: {st.where}: {rec.get('error')}", file=sys.stderr)
                if not a.keep_going:
                    raise LabError(f"{st.where} did not give its expected result (see steps.json); "
                                   "--keep-going continues after such steps")
                rc = 1
        if failed_steps:
            print(f"lab: {failed_steps} of {len(sc.steps)} steps did not give their expected "
                  "result", file=sys.stderr)
        lab.write_ground_truth()
        if not a.no_agents:
            publish_reports(lab)
        print_summary(lab.ground_truth, lab.out)
        if a.demo:
            if not a.no_agents:
                print_text_reports(lab)
            print_demo_lines(lab.ground_truth)
            if not a.no_agents:
                disagreements = print_agreement(lab)
                if disagreements:
                    rc = 1
    except LabError as e:
        print(f"lab: {e}", file=sys.stderr)
        rc = e.exit_code
    except Interrupted as e:
        print(f"lab: {e}; tearing down", file=sys.stderr)
        rc = 128 + e.signum
    except KeyboardInterrupt:
        rc = 130
    finally:
        with signals_ignored():  # teardown must not be interrupted half-way
            left = lab.teardown()
        raising.__exit__(None, None, None)
    if left:
        print(f"lab: teardown could not remove: {', '.join(left)}", file=sys.stderr)
        return rc or 1
    print(f"lab: teardown done, no namespaces of run {lab.run_id} left", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
