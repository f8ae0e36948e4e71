"""The agent step: start bnfc-hostd in every host namespace and bnfc-proxyd in every proxy
namespace, with generated keys and enrolment.

`check_agent_binaries` is what runs today: it refuses, precisely, when the binaries are missing or
do not offer a `run` command yet. `start_agents` is the single place that will launch them; the
keys and configuration it writes follow the agents' own config schemas once those exist.
"""

import os
import re
import subprocess
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


def start_agents(lab, bin_dir: str) -> None:
    """Launch the agents in their namespaces (lab.processes keeps them for teardown)."""
    check_agent_binaries(bin_dir)
    # Still to wire once bnfc-hostd has its configuration: per proxy `keygen` in its state dir
    # and render_proxyd_conf(); per host a key pair and a config naming the proxies' server keys
    # and addresses; enrolment with `bnfc-proxyd keys add HOST --key Z85 --source PREFIX`; then
    # lab.runner.popen([path, "run", "--config", conf], ns, log, env) for each, kept in
    # lab.processes so teardown stops them.
    raise LabError("the agents offer 'run', but the lab does not yet write the host agent's "
                   "configuration and keys (tests/lab/labkit/agents.py); meanwhile use --no-agents")
