"""The agent step: start bnfc-hostd in every host namespace and bnfc-proxyd in every proxy
namespace, with generated keys and enrolment; stop and restart them (scenario `agent` steps);
and check what the proxies report against a scenario's expectations (`expect` steps).

`check_agent_binaries` refuses, precisely, when the binaries are missing or offer no `run`
command. `start_agents` writes keys and configuration and launches every agent; `start_agent` and
`stop_agent` act on one node's agent later. Every agent process is in `lab.processes`, so teardown
stops it on every path.
"""

import json
import os
import re
import signal
import subprocess
import time
from typing import Any, Dict, List, Optional, Tuple

from .runner import LabError, pid_alive, stop_pid
from . import vsphere
from .scenario import Expectation, Node, management_iface

AGENTS = ("bnfc-hostd", "bnfc-proxyd")


def has_run_command(help_text: str) -> bool:
    """True when a --help/usage text lists a `run` command (a line starting with 'run' as a
    command word, or 'usage: PROG run')."""
    for line in help_text.splitlines():
        if re.match(r"^\s+run(\s|$)", line) or re.search(r"usage:\s+\S+\s+run(\s|$)", line):
            return True
    return False


def check_agent_binaries(bin_dir: str) -> List[str]:
    """Paths of the two agents; LabError naming what is missing and how to go on without them."""
    hint = "run the lab with --no-agents until the agents are built"
    paths = []
    for name in AGENTS:
        path = os.path.join(bin_dir, name)
        if not os.access(path, os.X_OK):
            raise LabError(f"agent binary {path} is missing (build it: ./run build); or {hint}")
        try:
            cp = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10,
                                errors="replace")
            text = cp.stdout + cp.stderr
        except (OSError, subprocess.TimeoutExpired) as e:
            raise LabError(f"{path} --help failed ({e}); {hint}") from None
        if not has_run_command(text):
            first = text.strip().splitlines()[0] if text.strip() else "(no output)"
            raise LabError(f"{path} has no 'run' command yet (its --help starts: '{first}'); {hint}")
        paths.append(path)
    return paths


def render_proxyd_conf(proxy: Node, state_dir: str, listen_port: int = 9902) -> str:
    """bnfc-proxyd's key=value configuration for a scenario proxy (pure)."""
    lines = [f"proxy_id = {proxy.id}", f"listen = 0.0.0.0:{listen_port}",
             "http_listen = 127.0.0.1:9903", f"state_dir = {state_dir}"]
    for m in proxy.mapping:
        lines.append(f"mapping = {m['address']} {m['interface']}" +
                     (f" via {m['via']}" if m.get("via") else ""))
    if "allow_public_plaintext" in proxy.agent:
        lines.append(f"allow_public_plaintext = {str(proxy.agent['allow_public_plaintext']).lower()}")
    if "freshness_s" in proxy.agent:
        lines.append(f"freshness = {proxy.agent['freshness_s']}s")
    return "\n".join(lines) + "\n"


def render_hostd_conf(host: Node, proxy_endpoints: List[str], key_dir: str) -> str:
    """bnfc-hostd's key=value configuration for a scenario host (pure). `proxy_endpoints` are
    'ADDRESS:PORT SERVERKEY' strings."""
    a = host.agent
    lines = [f"host_id = {host.id}"]
    for key in ("backup_vmk", "backup_portgroup", "backup_subnet"):
        if key in a:
            lines.append(f"{key} = {a[key]}")
    if not any(k in a for k in ("backup_vmk", "backup_portgroup", "backup_subnet")):
        lines.append("backup_vmk = vmk2")
    lines.append(f"tag_policy = {a.get('tag_policy', 'ensure')}")
    if "exclusive" in a:
        lines.append(f"exclusive = {str(a['exclusive']).lower()}")
    if a.get("fallback"):
        lines.append(f"fallback = {a['fallback']}")
    if "fallback_after" in a:
        lines.append(f"fallback_cycles = {a['fallback_after']}")
    lines.append(f"interval = {a.get('interval_s', 2)}s")
    for p in proxy_endpoints:
        lines.append(f"proxy = {p}")
    lines += [f"public_key_file = {key_dir}/hostd.key",
              f"secret_key_file = {key_dir}/hostd.key_secret"]
    return "\n".join(lines) + "\n"


def proxy_address_for(proxy: Node, host: Node) -> str:
    """The proxy's address on the host's management segment (the control channel's path)."""
    seg = management_iface(host).segment
    for i in proxy.ifaces:
        if i.segment == seg and i.ipv4 is not None:
            return str(i.ipv4.ip)
    raise LabError(f"proxy {proxy.id} has no IPv4 interface on {host.id}'s management segment "
                   f"'{seg}'; the control channel cannot reach it")


def _run(lab, argv, ns, env=None) -> str:
    cp = lab.runner.run(argv, ns=ns, check=False, timeout=30, env=env)
    if cp.returncode != 0:
        raise LabError(f"{' '.join(argv[:3])} failed in {ns}: {(cp.stderr or cp.stdout).strip()}")
    return cp.stdout


def start_agents(lab, bin_dir: str) -> None:
    """Generate keys, enrol every host on every proxy, start the agents in their namespaces
    (kept in lab.processes, so teardown stops them on every path)."""
    hostd, proxyd = check_agent_binaries(bin_dir)
    sc = lab.sc
    server_keys = {}
    confs = {}
    for p in sc.proxies:
        pdir = os.path.join(lab.out, "proxies", p.id)
        os.makedirs(pdir, exist_ok=True)
        conf = os.path.join(pdir, "proxyd.conf")
        text = render_proxyd_conf(p, pdir)
        text += "interval = 1s\n"
        for name in backup_interfaces(sc, p):
            text += f"backup_interface = {name}\n"
        # API-mode hosts: this proxy's own bnfc-vcsim (in its namespace) and source files.
        for line in vsphere.setup_proxy(lab, p, bin_dir):
            text += line + "\n"
        with open(conf, "w") as f:
            f.write(text)
        confs[p.id] = conf
        _run(lab, [proxyd, "keygen", "--config", conf], lab.ns(p.id))
        server_keys[p.id] = _run(lab, [proxyd, "keys", "show-server-key", "--config", conf],
                                 lab.ns(p.id)).split()[0]
    agent_hosts = [h for h in sc.hosts if vsphere.has_agent(h)]
    for h in agent_hosts:
        key_dir = os.path.join(lab.host_dir(h.id), "keys")
        os.makedirs(key_dir, exist_ok=True)
        env = lab.host_env(h.id)
        _run(lab, [hostd, "keygen", "--dir", key_dir], lab.ns(h.id), env)
        with open(os.path.join(key_dir, "hostd.key")) as f:
            host_key = f.read().strip()
        source = str(management_iface(h).ipv4.ip) + "/32"
        endpoints = []
        for p in sc.proxies:
            _run(lab, [proxyd, "keys", "add", h.id, "--key", host_key, "--source", source,
                       "--config", confs[p.id]], lab.ns(p.id))
            endpoints.append(f"{proxy_address_for(p, h)}:9902 {server_keys[p.id]}")
        with open(os.path.join(lab.host_dir(h.id), "hostd.conf"), "w") as f:
            f.write(render_hostd_conf(h, endpoints, key_dir))
    for p in sc.proxies:
        lab.agent_cmds[p.id] = ([proxyd, "run", "--foreground", "--config", confs[p.id]],
                                lab.ns(p.id), os.path.join(lab.out, "proxies", p.id, "agent.log"),
                                None)
        start_agent(lab, p.id)
    # Every bnfc-hostd runs under the ESXi profile (tests/esxi-profile: ENOSYS for the syscalls
    # ESXi lacks, no netlink, empty /proc and /sys, an address-space limit) unless
    # BNFC_LAB_ESXI_PROFILE=0 (lab.py/soak.py --no-esxi-profile, for debugging). On ESXi,
    # esxcli/localcli/vmkping are VMware's and not bound by the agent's limits; here they are
    # esxsim, which needs netlink and /proc, so the agent reaches them through esxi-relay, whose
    # server runs outside the profile in the host's namespace.
    esxi_profile = os.environ.get("BNFC_LAB_ESXI_PROFILE", "1") != "0"
    if esxi_profile:
        for tool in ("esxi-profile", "esxi-relay"):
            if not os.access(os.path.join(bin_dir, tool), os.X_OK):
                raise LabError(f"{os.path.join(bin_dir, tool)} is missing (build it: ./run build); "
                               "or run the lab with --no-esxi-profile")
    for h in agent_hosts:
        lab.agent_cmds[h.id] = hostd_command(lab, hostd, h, bin_dir, esxi_profile)
        start_agent(lab, h.id)


def hostd_command(lab, hostd: str, host: Node, bin_dir: str, esxi_profile: bool) -> tuple:
    """How the lab runs bnfc-hostd in a host namespace: (argv, namespace, log file, env). The one
    place that decides it. Under the ESXi profile it also starts the host's esxi-relay server
    (kept in lab.processes) and waits until it serves."""
    argv = [hostd, "run", "--foreground", "--config",
            os.path.join(lab.host_dir(host.id), "hostd.conf")]
    env = lab.host_env(host.id)
    if esxi_profile:
        relay = os.path.join(bin_dir, "esxi-relay")
        relay_bin = os.path.join(lab.host_dir(host.id), "relay-bin")
        os.makedirs(relay_bin, exist_ok=True)
        for name in ("esxcli", "localcli", "vmkping"):
            link = os.path.join(relay_bin, name)
            if not os.path.lexists(link):
                os.symlink(relay, link)
        sock = f"@bnfc-relay-{lab.run_id}-{host.id}"
        relay_log = os.path.join(lab.host_dir(host.id), "relay.log")
        real_bin = env["PATH"].split(":")[0]  # the host's esxsim personalities
        lab.processes.append(lab.runner.popen([relay, "serve", sock, real_bin], lab.ns(host.id),
                                              relay_log, env=env))
        deadline = time.monotonic() + 10
        while "esxi-relay: serving" not in (open(relay_log, errors="replace").read()
                                            if os.path.exists(relay_log) else ""):
            if time.monotonic() > deadline:
                raise LabError(f"{host.id}: esxi-relay did not start (see {relay_log})")
            time.sleep(0.05)
        env = dict(env, PATH=relay_bin + ":" + env["PATH"], ESXI_RELAY_SOCKET=sock)
        argv = [os.path.join(bin_dir, "esxi-profile"), "--"] + argv
    return (argv, lab.ns(host.id), os.path.join(lab.host_dir(host.id), "agent.log"), env)


def backup_interfaces(sc, proxy: Node) -> List[str]:
    """The proxy's backup_interface lines: what the scenario names, else its interfaces on backup
    segments (none for a proxy whose only card is on management)."""
    if proxy.backup_interfaces is not None:
        return list(proxy.backup_interfaces)
    return [i.name for i in proxy.ifaces if sc.segment(i.segment).role == "backup"]


def agent_running(lab, node_id: str) -> bool:
    p = lab.agent_procs.get(node_id)
    return p is not None and p.poll() is None


def start_agent(lab, node_id: str) -> int:
    """(Re)starts one node's agent with the command start_agents prepared; returns its pid."""
    if any(h.id == node_id and not vsphere.has_agent(h) for h in lab.sc.hosts):
        raise LabError(f"{node_id} is in API mode (source vsphere): it has no agent to start or "
                       "stop; a scenario that needs one declares \"vsphere\": {\"skip\": ...}")
    if node_id not in lab.agent_cmds:
        raise LabError(f"{node_id}: no agent was set up for this node (are agents running?)")
    if agent_running(lab, node_id):
        raise LabError(f"{node_id}: its agent is already running (pid {lab.agent_procs[node_id].pid})")
    argv, ns, log, env = lab.agent_cmds[node_id]
    proc = lab.runner.popen(argv, ns, log, env=env)
    lab.processes.append(proc)
    lab.agent_procs[node_id] = proc
    return proc.pid


def stop_agent(lab, node_id: str, kill: bool = False) -> None:
    """Stops one node's agent: SIGTERM (a clean stop, SIGKILL after 5 s) or, with kill, SIGKILL
    at once (a crash: nothing is cleaned up)."""
    if not agent_running(lab, node_id):
        if any(h.id == node_id and not vsphere.has_agent(h) for h in lab.sc.hosts):
            raise LabError(f"{node_id} is in API mode (source vsphere): it has no agent to stop")
        raise LabError(f"{node_id}: its agent is not running")
    proc = lab.agent_procs[node_id]
    if kill:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    elif not stop_pid(proc.pid):
        raise LabError(f"{node_id}: agent pid {proc.pid} did not stop")
    proc.wait(timeout=5)
    lab.runner.log(f"{node_id}: agent pid {proc.pid} {'killed' if kill else 'stopped'} "
                   f"(exit {proc.returncode})")


def agent_pid(lab, node_id: str) -> Optional[int]:
    return lab.agent_procs[node_id].pid if agent_running(lab, node_id) else None


def report_path(lab, proxy_id: str, name: str = "report.json") -> str:
    return os.path.join(lab.out, "proxies", proxy_id, name)


def _read_json(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_reports(lab) -> Dict[str, Dict[str, Any]]:
    """proxy id -> its latest report.json (proxies whose report cannot be read are left out)."""
    out = {}
    for p in lab.sc.proxies:
        doc = _read_json(report_path(lab, p.id))
        if doc is not None:
            out[p.id] = doc
    return out


def pair_row(reports: Dict[str, Dict[str, Any]], proxy_id: str,
             host_id: str) -> Optional[Dict[str, Any]]:
    """The (proxy, host) pair's row in that proxy's report, or None (pure). Never another
    proxy's row: each copy is judged by the verdict of the pair that made it."""
    for row in (reports.get(proxy_id) or {}).get("pairs", []):
        if row.get("host") == host_id:
            return row
    return None


def pair_verdict(reports: Dict[str, Dict[str, Any]], proxy_id: str, host_id: str) -> str:
    row = pair_row(reports, proxy_id, host_id)
    return (row or {}).get("verdict") or "UNKNOWN"


def pair_codes(row: Optional[Dict[str, Any]]) -> List[str]:
    return [f.get("code") for f in (row or {}).get("findings", []) if f.get("code")]


def current_pair(lab, proxy_id: str, host_id: str) -> Optional[Dict[str, Any]]:
    """The host's row in the proxy's latest report.json, or None."""
    return pair_row({proxy_id: _read_json(report_path(lab, proxy_id)) or {}}, proxy_id, host_id)


def current_pair_verdict(lab, proxy_id: str, host_id: str) -> str:
    """The (proxy, host) pair's verdict now (UNKNOWN when the proxy does not report the host)."""
    return (current_pair(lab, proxy_id, host_id) or {}).get("verdict") or "UNKNOWN"


def record_copy_verdicts(gt: Dict[str, Any], before: Dict[str, Dict[str, Any]],
                         after: Dict[str, Dict[str, Any]]) -> None:
    """Stores in a copy's ground truth the verdict and findings of the pair that made it
    (gt's proxy and host), read just before and just after the copy (pure)."""
    row = pair_row(before, gt["proxy"], gt["host"])
    gt["verdict_at_copy"] = (row or {}).get("verdict") or "UNKNOWN"
    gt["findings_at_copy"] = pair_codes(row)
    gt["verdict_after_copy"] = pair_verdict(after, gt["proxy"], gt["host"])


def safety_problem(verdict: str, gt: Dict[str, Any], backup_segments: List[str]) -> Optional[str]:
    """The rule no scenario may break (pure): ISOLATED only when the copy worked, its bytes
    crossed exactly one segment, a backup one (so never a management one), and the host the copy
    was for served them (not another host answering for the same address). None when the
    verdict is not contradicted."""
    if verdict != "ISOLATED":
        return None
    over = gt.get("segments_over_threshold") or []
    served = gt.get("served_by")
    if gt.get("ok") and len(over) == 1 and over[0] in backup_segments \
            and served is not None and served == gt.get("host"):
        return None
    return (f"SAFETY: {gt.get('proxy')}/{gt.get('host')} was ISOLATED while the copy crossed "
            f"{over or 'no segment'}, served by {served or 'no host'} (ok={gt.get('ok')}; "
            f"backup segments: {backup_segments})")


def copy_safety_problems(gt: Dict[str, Any], backup_segments: List[str]) -> List[str]:
    """The safety rule against the pair's verdict at the start and at the end of the copy: an
    ISOLATED claim at either moment must hold for these bytes."""
    out = []
    for key in ("verdict_at_copy", "verdict_after_copy"):
        p = safety_problem(gt.get(key, "UNKNOWN"), gt, backup_segments)
        if p and p not in out:
            out.append(p)
    return out


def kernel_pins(lab, proxy_id: str) -> Dict[str, str]:
    """NFC address -> output interface of every route in the proxy's pin table (902), read from
    the kernel, not from the agent's own files."""
    out: Dict[str, str] = {}
    for fam in ("-4", "-6"):
        cp = lab.runner.run(["ip", "-n", lab.ns(proxy_id), fam, "-j", "route", "show", "table",
                             "902"], check=False)
        try:
            routes = json.loads(cp.stdout or "[]")
        except ValueError:
            routes = []
        for r in routes:
            dst = str(r.get("dst", "")).split("/")[0]
            if dst and dst != "default":
                out[dst] = r.get("dev", "")
    return out


def check_expectation(lab, e: Expectation) -> Tuple[bool, str]:
    """One look at every proxy named by e; (met, what was seen) (pure apart from reading files
    and the kernel's pin table)."""
    proxies = [p.id for p in lab.sc.proxies if not e.proxy or p.id == e.proxy]
    seen = []
    met = True
    for pid in proxies:
        row = current_pair(lab, pid, e.host)
        if row is None:
            seen.append(f"{pid}: no row for {e.host}")
            met = False
            continue
        codes = [f.get("code") for f in row.get("findings", [])]
        addr = row.get("nfc_address") or ""
        seen.append(f"{pid}: {row.get('verdict')} {addr} [{', '.join(c for c in codes if c)}]")
        if e.verdict is not None and row.get("verdict") != e.verdict:
            met = False
        if e.not_verdict and (row.get("verdict") in e.not_verdict
                              or (e.verdict is None and row.get("verdict", "UNKNOWN") == "UNKNOWN")):
            met = False  # "never X" needs a verdict: UNKNOWN before the first cycle proves nothing
        if any(c not in codes for c in e.findings) or any(c in codes for c in e.absent):
            met = False
        if e.address is not None and addr != e.address:
            met = False
        if e.pinned is not None or e.interface is not None or e.not_pinned:
            pins = kernel_pins(lab, pid)
            stale = [a for a in e.not_pinned if a in pins]
            if stale:
                seen.append(f"{pid}: still pinned: {', '.join(stale)}")
                met = False
            target = e.address or addr
            dev = pins.get(target)
            seen.append(f"{pid}: kernel pin for {target or '?'}: {dev or 'none'}")
            if e.pinned is not None and (dev is not None) != e.pinned:
                met = False
            if e.interface is not None and dev != e.interface:
                met = False
    return met, "; ".join(seen)


NOT_VERDICT_HOLD_S = 4.0  # two host cycles: a "never X" must survive the agent's next changes


def wait_for_expectation(lab, e: Expectation) -> Dict[str, Any]:
    """Polls until the expectation holds (then returns at once; one with not_verdict must hold
    for NOT_VERDICT_HOLD_S without a break) or within_s passes."""
    host = next((h for h in lab.sc.hosts if h.id == e.host), None)
    e = e.for_source(host.source if host is not None else "agent")
    start = time.monotonic()
    held_since = None
    while True:
        met, seen = check_expectation(lab, e)
        now = time.monotonic()
        held_since = (held_since or now) if met else None
        waited = round(now - start, 1)
        held = met and (not e.not_verdict or now - held_since >= NOT_VERDICT_HOLD_S)
        if held or waited >= e.within_s + (NOT_VERDICT_HOLD_S if e.not_verdict else 0):
            return {"ok": held, "seen": seen, "waited_s": waited}
        time.sleep(0.25)


def pair_verdicts(reports: Dict[str, Dict[str, Any]], proxies: List[str],
                  hosts: List[str]) -> Dict[Tuple[str, str], str]:
    """(proxy, host) -> verdict for every pair (UNKNOWN when not reported) (pure)."""
    return {(p, h): pair_verdict(reports, p, h) for p in proxies for h in hosts}


def wait_for_settled(lab, timeout_s: float = 60.0, quiet_s: float = 4.0) -> Dict[Tuple[str, str], str]:
    """Polls until every (proxy, host) pair has a verdict other than UNKNOWN and none changed for
    quiet_s (at least one host cycle, so a tag the agent just added shows in the verdict), or
    every pair has a row and none changed for 3 * quiet_s (UNKNOWN can be the answer, e.g. a
    check that cannot run), or until timeout_s; returns the last verdicts."""
    proxies = [p.id for p in lab.sc.proxies]
    hosts = [h.id for h in lab.sc.hosts]
    start = time.monotonic()
    last: Dict[Tuple[str, str], str] = {}
    since = start
    while True:
        reports = read_reports(lab)
        now_v = pair_verdicts(reports, proxies, hosts)
        now = time.monotonic()
        if now_v != last:
            last, since = now_v, now
        known = all(v != "UNKNOWN" for v in last.values())
        rows = all(pair_row(reports, p, h) is not None for p in proxies for h in hosts)
        quiet = now - since
        if (known and quiet >= quiet_s) or (rows and quiet >= 3 * quiet_s) \
                or now - start >= timeout_s:
            return last
        time.sleep(0.5)


def combine_reports(reports: Dict[str, Dict[str, Any]], proxies: List[str]) -> Dict[str, Any]:
    """One report for several proxies (pure): every proxy's pairs, each carrying its proxy, and
    the summary counts over all of them."""
    pairs = []
    counts: Dict[str, int] = {}
    newest = None
    for pid in proxies:
        doc = reports.get(pid) or {}
        if newest is None or doc.get("generated_unix_ms", 0) > newest.get("generated_unix_ms", 0):
            newest = doc
        for row in doc.get("pairs", []):
            row = dict(row)
            row["proxy"] = row.get("proxy") or pid
            pairs.append(row)
            counts[row.get("verdict", "UNKNOWN")] = counts.get(row.get("verdict", "UNKNOWN"), 0) + 1
    newest = newest or {}
    return {"schema_version": newest.get("schema_version"),
            "generated_at": newest.get("generated_at"),
            "generated_unix_ms": newest.get("generated_unix_ms"),
            "proxies": proxies,
            "missing": [p for p in proxies if p not in reports],
            "summary": {"pairs": len(pairs), "counts": counts,
                        "all_isolated": bool(pairs) and all(r.get("verdict") == "ISOLATED"
                                                            for r in pairs)},
            "pairs": pairs}
