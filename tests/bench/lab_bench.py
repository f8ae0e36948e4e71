#!/usr/bin/env python3
"""End-to-end benchmarks in the network lab (root): convergence, NBD throughput, host agent cost.

Every figure is printed next to a baseline measured in the same run, with the ratio:

  a) convergence: esx01's backup vmknic lacks vSphereBackupNFC, tag_policy = ensure. At t0 the
     host agent starts (the proxy agent already runs and has no pin and no report for the host).
     Measured: t0 -> the proxy's kernel holds the /32 pin for the backup address (read from
     `ip route show table 902`, not from the agent's files) and t0 -> report.json says ISOLATED.
     Baseline: one local `bnfc-hostd tag` cycle on the same untagged host (process start, reads,
     tag add and read-back), and the configured intervals.
  b) NBD throughput (nbdcopy, ground truth from the bridge counters): backup segment with the pin
     and the proxy agent running; the same backup segment with the proxy agent stopped (its pins
     removed, checked in the kernel); the management segment shaped to 1 Gbit/s.
  c) host agent cost: stripped size of bnfc-hostd, VmRSS/VmHWM after steady cycles, and command
     launches per steady cycle counted by a shim in front of esxcli/localcli/vmkping (independent
     of the agent's own `command_launches`), against the documented limits.

Only lab namespaces carry traffic; the lab tears everything down on every exit path.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))

from labkit import agents, scenario  # noqa: E402
from labkit.netlab import Lab, preflight  # noqa: E402
from labkit.runner import LabError  # noqa: E402
from labkit.signals import GuardedLab, Interrupted, exit_code, signals_raise  # noqa: E402
from labkit.scenario import Traffic  # noqa: E402

TAG = "vSphereBackupNFC"
BACKUP_ADDR = "10.99.0.11"
# Documented goals/limits the host-agent figures are compared with (docs/host-agent.md,
# docs/performance.md, test host_agent_is_static_and_small).
SIZE_LIMIT = 5 * 1000 * 1000
RSS_GOAL_KB = 8 * 1024
LAUNCH_LIMIT = 6


def scenario_doc(interval_s: int) -> dict:
    """esx01: backup vmknic untagged, ensure (the convergence subject and the backup copies).
    esx02: untagged, observe, so its NFC address stays vmk0 and its copy crosses management."""
    def host(n, policy):
        return {"id": f"esx0{n}",
                "vmknics": [{"name": "vmk0", "segment": "mgmt", "ipv4": f"10.98.0.1{n}/24",
                             "tags": ["Management"]},
                            {"name": "vmk2", "segment": "backup", "ipv4": f"10.99.0.1{n}/24",
                             "mtu": 9000, "portgroup": "Backup NFC", "tags": []}],
                "agent": {"backup_vmk": "vmk2", "tag_policy": policy, "interval_s": interval_s}}
    return {"description": "lab_bench: convergence, throughput and host agent cost",
            "segments": [{"name": "mgmt", "mtu": 1500, "rate": "1gbit"},
                         {"name": "backup", "mtu": 9000}],
            "hosts": [host(1, "ensure"), host(2, "observe")],
            "proxies": [{"id": "proxy01", "interfaces": [
                {"name": "eth0", "segment": "mgmt", "ipv4": "10.98.0.100/24"},
                {"name": "eth1", "segment": "backup", "ipv4": "10.99.0.100/24", "mtu": 9000}]}]}


def install_counting_shims(lab: Lab, host_id: str, esxsim: str) -> str:
    """Replaces the host's esxcli/localcli/vmkping symlinks with shims that append one line per
    launch to a log and exec the real esxsim command; returns the log path. The real commands
    stay reachable in DIR/real/ for the bench's own esxcli calls, which must not be counted."""
    d = lab.host_dir(host_id)
    real = os.path.join(d, "real")
    os.makedirs(real, exist_ok=True)
    log = os.path.join(d, "launches.log")
    open(log, "w").close()
    for name in ("esxcli", "localcli", "vmkping"):
        target = os.path.join(real, name)
        if not os.path.lexists(target):
            os.symlink(esxsim, target)  # esxsim dispatches on argv[0]'s basename
        shim = os.path.join(d, "bin", name)
        if os.path.lexists(shim):
            os.unlink(shim)
        with open(shim, "w") as f:
            # Shell builtins only, so the shim adds no process of its own besides the shell.
            f.write("#!/bin/sh\n"
                    f"printf '%s %s\\n' \"${{0##*/}}\" \"$*\" >> '{log}'\n"
                    f"exec '{target}' \"$@\"\n")
        os.chmod(shim, 0o755)
    return log


def real_esxcli(lab: Lab, host_id: str, *args: str):
    return lab.host_cmd(host_id, [os.path.join(lab.host_dir(host_id), "real", "esxcli"), *args])


def tag_remove(lab: Lab, host_id: str) -> None:
    real_esxcli(lab, host_id, "network", "ip", "interface", "tag", "remove", "-i", "vmk2",
                "-t", TAG)


def has_tag(lab: Lab, host_id: str) -> bool:
    st = lab.read_state(host_id)
    for v in st.get("vmknics", []):
        if v.get("name") == "vmk2":
            return TAG in (v.get("tags") or [])
    return False


def proc_status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise LabError(f"/proc/{pid}/status has no {key}")


def wait_until(pred, timeout_s: float, step_s: float = 0.02):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step_s)
    return None


def summary(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def fmt_s(v):
    return "n/a" if v is None else f"{v:.2f} s"


def convergence(lab: Lab, bin_dir: str, reps: int, interval_s: int, log) -> dict:
    hostd = os.path.join(bin_dir, "bnfc-hostd")
    conf = os.path.join(lab.host_dir("esx01"), "hostd.conf")
    rows = []
    for i in range(reps):
        # Clean start for the pair: hostd stopped; proxyd stopped cleanly (removes its pins) so it
        # forgets the host; tag removed; the old report deleted so a stale ISOLATED cannot count.
        for node in ("esx01", "proxy01"):
            if agents.agent_running(lab, node):
                agents.stop_agent(lab, node)
        tag_remove(lab, "esx01")
        if has_tag(lab, "esx01"):
            raise LabError("esx01: the tag is still on vmk2 after tag remove")
        # Baseline: one local cycle doing the same work (reads, tag add, read-back), process
        # start included; then the tag is removed again.
        t = time.monotonic()
        cp = lab.host_cmd("esx01", [hostd, "tag", "--config", conf])
        cycle_s = time.monotonic() - t
        if not has_tag(lab, "esx01"):
            raise LabError(f"bnfc-hostd tag did not add the tag (exit {cp.returncode}): "
                           f"{(cp.stderr or cp.stdout).strip()[-300:]}")
        tag_remove(lab, "esx01")
        for name in ("report.json", "pins.json"):
            try:
                os.unlink(agents.report_path(lab, "proxy01", name))
            except OSError:
                pass
        agents.start_agent(lab, "proxy01")
        if not wait_until(lambda: os.path.exists(agents.report_path(lab, "proxy01")), 15, 0.05):
            raise LabError("proxy01 wrote no report.json within 15 s of starting")
        restored = BACKUP_ADDR in agents.kernel_pins(lab, "proxy01")
        t0 = time.monotonic()
        agents.start_agent(lab, "esx01")
        t_pin = t_iso = None
        while time.monotonic() - t0 < 60 and (t_pin is None or t_iso is None):
            now = time.monotonic() - t0
            if t_pin is None and agents.kernel_pins(lab, "proxy01").get(BACKUP_ADDR) == "eth1":
                t_pin = now
            if t_iso is None and agents.current_pair_verdict(lab, "proxy01", "esx01") == "ISOLATED":
                t_iso = now
            time.sleep(0.02)
        rows.append({"rep": i + 1, "pin_s": t_pin, "isolated_s": t_iso, "local_cycle_s": cycle_s,
                     "pin_present_before_t0": restored})
        log(f"  convergence rep {i + 1}: pin {fmt_s(t_pin)}, ISOLATED {fmt_s(t_iso)}, "
            f"local cycle {fmt_s(cycle_s)}" + ("  (pin was already there at t0!)" if restored else ""))
    return {"reps": rows, "pin": summary([r["pin_s"] for r in rows]),
            "isolated": summary([r["isolated_s"] for r in rows]),
            "local_cycle": summary([r["local_cycle_s"] for r in rows]),
            "hostd_interval_s": interval_s, "proxyd_interval_s": 1}


def copy(lab: Lab, host: str, size: int, want_segment: str) -> dict:
    rec = lab.run_traffic(Traffic(proxy="proxy01", host=host, bytes=size,
                                  timeout_s=30 + size / (5 << 20), where="lab_bench"))
    if not rec["ok"] or rec["segment"] != want_segment:
        raise LabError(f"copy from {host} crossed {rec['segment']!r} (ok={rec['ok']}, "
                       f"error={rec['error']}); expected {want_segment!r}")
    return rec


def wait_pinned(lab: Lab) -> None:
    if not wait_until(lambda: agents.kernel_pins(lab, "proxy01").get(BACKUP_ADDR) == "eth1", 30, 0.1):
        raise LabError(f"no pin for {BACKUP_ADDR} via eth1 within 30 s of the proxy agent running")


def throughput(lab: Lab, copies: int, size: int, log) -> dict:
    """Rounds of: pinned copy and management copy (proxy agent running), then the proxy agent
    stopped cleanly (its pins removed, checked in the kernel) and the unpinned copy, then the
    agent started again. Interleaving keeps slow drifts of the machine out of the ratios."""
    if not agents.agent_running(lab, "proxy01"):
        agents.start_agent(lab, "proxy01")
    wait_pinned(lab)
    res = {"pinned": [], "unpinned": [], "mgmt": []}
    copy(lab, "esx01", size, "backup")  # warm-up (page cache, nbdkit restart at the new size)
    copy(lab, "esx02", size, "mgmt")
    for _ in range(copies):
        res["pinned"].append(copy(lab, "esx01", size, "backup")["mb_per_s"])
        res["mgmt"].append(copy(lab, "esx02", size, "mgmt")["mb_per_s"])
        agents.stop_agent(lab, "proxy01")  # a clean stop removes its pins
        left = agents.kernel_pins(lab, "proxy01")
        if left:
            raise LabError(f"pins left after stopping proxy01: {left}")
        res["unpinned"].append(copy(lab, "esx01", size, "backup")["mb_per_s"])
        agents.start_agent(lab, "proxy01")
        wait_pinned(lab)
    log(f"  throughput MB/s: pinned {res['pinned']}, unpinned {res['unpinned']}, mgmt {res['mgmt']}")
    return {k: summary(v) | {"all": v} for k, v in res.items()} | {"bytes": size}


def host_agent_cost(lab: Lab, bin_dir: str, launches_log: str, interval_s: int,
                    cycles: int, log) -> dict:
    hostd = os.path.join(bin_dir, "bnfc-hostd")
    with tempfile.TemporaryDirectory() as td:
        stripped = os.path.join(td, "hostd")
        subprocess.run(["strip", "-o", stripped, hostd], check=True)
        size_stripped = os.path.getsize(stripped)
    if not agents.agent_running(lab, "esx01"):
        agents.start_agent(lab, "esx01")
    # Let a few cycles pass, then count launches per cycle over `cycles` steady cycles. A cycle
    # starts with the interface list (`network ip interface list`), so the log is split there.
    time.sleep(2 * interval_s + 1)
    start = os.path.getsize(launches_log)
    time.sleep((cycles + 1) * interval_s + 0.5)
    with open(launches_log) as f:
        f.seek(start)
        lines = [ln.strip() for ln in f if ln.strip()]
    per_cycle, cur = [], None
    for ln in lines:
        if "network ip interface list" in ln:
            if cur is not None:
                per_cycle.append(cur)
            cur = 0
        if cur is not None:
            cur += 1
    # The last cycle may still be running; only cycles followed by another one are complete.
    pid = agents.agent_pid(lab, "esx01")
    rss = proc_status_kb(pid, "VmRSS")
    hwm = proc_status_kb(pid, "VmHWM")
    ppid = agents.agent_pid(lab, "proxy01")
    prss = proc_status_kb(ppid, "VmRSS") if ppid else None
    kinds = {}
    for ln in lines:
        k = " ".join(ln.split()[:4])
        kinds[k] = kinds.get(k, 0) + 1
    log(f"  launches per steady cycle: {per_cycle}; kinds in window: {kinds}")
    return {"size_unstripped": os.path.getsize(hostd), "size_stripped": size_stripped,
            "rss_kb": rss, "hwm_kb": hwm, "proxyd_rss_kb": prss,
            "launches_per_cycle": per_cycle, "launch_kinds": kinds}


def ratio(a, b):
    return "n/a" if a is None or not b else f"{a / b:.2f}"


def print_tables(res: dict) -> None:
    c = res["convergence"]
    print(f"\nConvergence (hostd interval {c['hostd_interval_s']} s, proxyd interval "
          f"{c['proxyd_interval_s']} s, {len(c['reps'])} reps; t0 = hostd start, tag missing, "
          "tag_policy ensure)")
    print("| measure | median | min | max | baseline: one local `bnfc-hostd tag` cycle (median) "
          "| ratio | ratio to hostd interval |")
    print("|---|---|---|---|---|---|---|")
    base = c["local_cycle"]["median"]
    for key, label in (("pin", "t0 → kernel pin (table 902)"), ("isolated", "t0 → report ISOLATED")):
        s = c[key]
        if s is None:
            print(f"| {label} | not reached | | | {base:.2f} s | | |")
            continue
        print(f"| {label} | {s['median']:.2f} s | {s['min']:.2f} s | {s['max']:.2f} s | "
              f"{base:.2f} s | {ratio(s['median'], base)} | "
              f"{ratio(s['median'], c['hostd_interval_s'])} |")
    t = res["throughput"]
    mib = t["bytes"] >> 20
    print(f"\nNBD copy throughput (nbdcopy {mib} MiB, MB/s = 10^6 bytes/s, "
          f"{t['pinned']['n']} copies each, median (min–max))")
    print("| path | MB/s | ratio to backup pinned |")
    print("|---|---|---|")
    p = t["pinned"]["median"]
    for key, label in (("pinned", "backup segment, pinned (proxy agent running)"),
                       ("unpinned", "backup segment, unpinned (proxy agent stopped, no pins)"),
                       ("mgmt", "management segment shaped to 1 Gbit/s")):
        s = t[key]
        print(f"| {label} | {s['median']:.0f} ({s['min']:.0f}–{s['max']:.0f}) | "
              f"{ratio(s['median'], p)} |")
    h = res["host_agent"]
    lpc = h["launches_per_cycle"]
    print("\nHost agent (esx01, after steady cycles)")
    print("| measure | value | limit / goal | ratio |")
    print("|---|---|---|---|")
    print(f"| bnfc-hostd stripped size | {h['size_stripped'] / 1e6:.2f} MB "
          f"(unstripped {h['size_unstripped'] / 1e6:.2f} MB) | 5 MB | "
          f"{ratio(h['size_stripped'], SIZE_LIMIT)} |")
    print(f"| bnfc-hostd VmRSS / VmHWM | {h['rss_kb'] / 1024:.1f} / {h['hwm_kb'] / 1024:.1f} MiB "
          f"| 8 MiB | {ratio(h['hwm_kb'], RSS_GOAL_KB)} |")
    mx = max(lpc) if lpc else None
    print(f"| command launches per steady cycle (shim count) | "
          f"{'/'.join(map(str, lpc)) or 'none counted'} | ≤ 6 | {ratio(mx, LAUNCH_LIMIT)} |")
    if h["proxyd_rss_kb"]:
        print(f"| bnfc-proxyd VmRSS (2 hosts) | {h['proxyd_rss_kb'] / 1024:.1f} MiB | | |")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="lab_bench.py",
        description="End-to-end lab benchmarks (root): convergence of a missing tag to a kernel "
                    "pin and an ISOLATED verdict, NBD throughput pinned/unpinned/management, and "
                    "bnfc-hostd size, memory and command launches. Prints tables with ratios.")
    p.add_argument("--bin", default=os.environ.get("BNFC_BIN_DIR"),
                   help="directory with esxsim, bnfc-hostd, bnfc-proxyd (default $BNFC_BIN_DIR)")
    p.add_argument("--reps", type=int, default=5, help="convergence repetitions (default 5)")
    p.add_argument("--copies", type=int, default=5, help="copies per path (default 5)")
    p.add_argument("--copy-mib", type=int, default=256, help="size of each copy in MiB (default 256)")
    p.add_argument("--interval", type=int, default=2,
                   help="bnfc-hostd interval in seconds (default 2)")
    p.add_argument("--cycles", type=int, default=5,
                   help="steady cycles over which launches are counted (default 5)")
    p.add_argument("--out", help="lab output folder (default: a temporary folder, removed)")
    p.add_argument("--json", help="also write the results as JSON to this file")
    a = p.parse_args(argv)
    if not a.bin:
        p.error("--bin is required (or set BNFC_BIN_DIR)")
    for n in ("reps", "copies", "copy_mib", "interval", "cycles"):
        if getattr(a, n) < 1:
            p.error(f"--{n.replace('_', '-')} must be at least 1")
    return a


def main(argv) -> int:
    a = parse_args(argv)
    if os.geteuid() != 0:
        print("lab_bench: skipped: needs root (it builds network namespaces)")
        return 0
    bin_dir = os.path.abspath(a.bin)
    for name in ("esxsim", "bnfc-hostd", "bnfc-proxyd"):
        if not os.access(os.path.join(bin_dir, name), os.X_OK):
            print(f"lab_bench: {os.path.join(bin_dir, name)} is missing (build first)", file=sys.stderr)
            return 2
    try:
        preflight(bin_dir)
    except LabError as e:
        print(f"lab_bench: skipped: {e}")
        return 0
    out = a.out or tempfile.mkdtemp(prefix="bnfc-lab-bench-")
    sc = scenario.parse(scenario_doc(a.interval))
    rc = 0
    try:
        with signals_raise(), GuardedLab(sc, out, bin_dir, program="lab_bench") as lab:
            shims = install_counting_shims(lab, "esx01", os.path.join(bin_dir, "esxsim"))
            agents.start_agents(lab, bin_dir)
            log = lambda s: print(s, flush=True)  # noqa: E731
            res = {"convergence": convergence(lab, bin_dir, a.reps, a.interval, log)}
            res["throughput"] = throughput(lab, a.copies, a.copy_mib << 20, log)
            res["host_agent"] = host_agent_cost(lab, bin_dir, shims, a.interval, a.cycles, log)
        print_tables(res)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(res, f, indent=2)
    except (LabError, Interrupted, KeyboardInterrupt) as e:
        print(f"lab_bench: {e}", file=sys.stderr)
        rc = exit_code(e)
    finally:
        if not a.out:
            shutil.rmtree(out, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
