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
from .scenario import Expectation, Node

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


def management_iface(host: Node):
    return host.iface("vmk0") or host.ifaces[0]


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
    mgmt_segments = {management_iface(h).segment for h in sc.hosts}
    server_keys = {}
    confs = {}
    for p in sc.proxies:
        pdir = os.path.join(lab.out, "proxies", p.id)
        os.makedirs(pdir, exist_ok=True)
        conf = os.path.join(pdir, "proxyd.conf")
        text = render_proxyd_conf(p, pdir)
        text += "interval = 1s\n"
        for i in p.ifaces:
            if i.segment not in mgmt_segments:
                text += f"backup_interface = {i.name}\n"
        with open(conf, "w") as f:
            f.write(text)
        confs[p.id] = conf
        _run(lab, [proxyd, "keygen", "--config", conf], lab.ns(p.id))
        server_keys[p.id] = _run(lab, [proxyd, "keys", "show-server-key", "--config", conf],
                                 lab.ns(p.id)).split()[0]
    for h in sc.hosts:
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
    for h in sc.hosts:
        argv = [hostd, "run", "--foreground", "--config",
                os.path.join(lab.host_dir(h.id), "hostd.conf")]
        env = lab.host_env(h.id)
        if esxi_profile:
            relay = os.path.join(bin_dir, "esxi-relay")
            relay_bin = os.path.join(lab.host_dir(h.id), "relay-bin")
            os.makedirs(relay_bin, exist_ok=True)
            for name in ("esxcli", "localcli", "vmkping"):
                link = os.path.join(relay_bin, name)
                if not os.path.lexists(link):
                    os.symlink(relay, link)
            sock = f"@bnfc-relay-{lab.run_id}-{h.id}"
            relay_log = os.path.join(lab.host_dir(h.id), "relay.log")
            real_bin = env["PATH"].split(":")[0]  # the host's esxsim personalities
            lab.processes.append(lab.runner.popen([relay, "serve", sock, real_bin], lab.ns(h.id),
                                                  relay_log, env=env))
            deadline = time.monotonic() + 10
            while "esxi-relay: serving" not in (open(relay_log, errors="replace").read()
                                                if os.path.exists(relay_log) else ""):
                if time.monotonic() > deadline:
                    raise LabError(f"{h.id}: esxi-relay did not start (see {relay_log})")
                time.sleep(0.05)
            env = dict(env, PATH=relay_bin + ":" + env["PATH"], ESXI_RELAY_SOCKET=sock)
            argv = [os.path.join(bin_dir, "esxi-profile"), "--"] + argv
        lab.agent_cmds[h.id] = (argv, lab.ns(h.id), os.path.join(lab.host_dir(h.id), "agent.log"),
                                env)
        start_agent(lab, h.id)


def agent_running(lab, node_id: str) -> bool:
    p = lab.agent_procs.get(node_id)
    return p is not None and p.poll() is None


def start_agent(lab, node_id: str) -> int:
    """(Re)starts one node's agent with the command start_agents prepared; returns its pid."""
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


def current_pair(lab, proxy_id: str, host_id: str) -> Optional[Dict[str, Any]]:
    """The host's row in the proxy's latest report.json, or None."""
    doc = _read_json(report_path(lab, proxy_id))
    for row in (doc or {}).get("pairs", []):
        if row.get("host") == host_id:
            return row
    return None


def current_verdict(lab, host_id: str) -> str:
    """The host's verdict across proxies: the most severe one (UNKNOWN when none reports it)."""
    order = ("NOT_ISOLATED", "UNREACHABLE", "UNKNOWN", "DEGRADED", "ISOLATED")
    found = [row["verdict"] for p in lab.sc.proxies
             for row in [current_pair(lab, p.id, host_id)] if row and row.get("verdict") in order]
    return min(found, key=order.index) if found else "UNKNOWN"


def safety_problem(verdict: str, gt: Dict[str, Any], backup_segments: List[str]) -> Optional[str]:
    """The rule no scenario may break (pure): ISOLATED only when the copy worked and its bytes
    crossed exactly one segment, a backup one. None when the verdict is not contradicted."""
    over = gt.get("segments_over_threshold") or []
    if verdict == "ISOLATED" and not (gt.get("ok") and len(over) == 1
                                      and over[0] in backup_segments):
        return (f"SAFETY: verdict ISOLATED while the copy crossed {over or 'no segment'} "
                f"(ok={gt.get('ok')}; backup segments: {backup_segments})")
    return None


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


def wait_for_expectation(lab, e: Expectation) -> Dict[str, Any]:
    """Polls until the expectation holds (then returns at once) or within_s passes."""
    start = time.monotonic()
    while True:
        met, seen = check_expectation(lab, e)
        waited = round(time.monotonic() - start, 1)
        if met or waited >= e.within_s:
            return {"ok": met, "seen": seen, "waited_s": waited}
        time.sleep(0.25)


def wait_for_verdicts(lab, timeout_s: float = 60.0, settle_s: float = 0.0) -> dict:
    """Polls every proxy's report.json until each host has a verdict other than UNKNOWN (or the
    timeout passes); returns {proxy id: report}."""
    deadline = time.time() + timeout_s
    reports = {}
    while True:
        reports = {}
        done = True
        for p in lab.sc.proxies:
            try:
                with open(report_path(lab, p.id)) as f:
                    doc = json.load(f)
            except (OSError, ValueError):
                done = False
                continue
            reports[p.id] = doc
            verdicts = {r["host"]: r["verdict"] for r in doc.get("pairs", [])}
            if any(verdicts.get(h.id, "UNKNOWN") == "UNKNOWN" for h in lab.sc.hosts):
                done = False
        if done or time.time() > deadline:
            break
        time.sleep(0.5)
    if settle_s:
        time.sleep(settle_s)
    return reports
