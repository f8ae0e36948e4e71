"""The agent step: start bnfc-hostd in every host namespace and bnfc-proxyd in every proxy
namespace, with generated keys and enrolment.

`check_agent_binaries` is what runs today: it refuses, precisely, when the binaries are missing or
do not offer a `run` command yet. `start_agents` is the single place that will launch them; the
keys and configuration it writes follow the agents' own config schemas once those exist.
"""

import json
import os
import re
import subprocess
import time
from typing import List

from .runner import LabError
from .scenario import Node

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
        log = os.path.join(lab.out, "proxies", p.id, "agent.log")
        lab.processes.append(lab.runner.popen([proxyd, "run", "--foreground", "--config",
                                               confs[p.id]], lab.ns(p.id), log))
    for h in sc.hosts:
        log = os.path.join(lab.host_dir(h.id), "agent.log")
        lab.processes.append(lab.runner.popen(
            [hostd, "run", "--foreground", "--config",
             os.path.join(lab.host_dir(h.id), "hostd.conf")], lab.ns(h.id), log,
            env=lab.host_env(h.id)))


def report_path(lab, proxy_id: str, name: str = "report.json") -> str:
    return os.path.join(lab.out, "proxies", proxy_id, name)


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
