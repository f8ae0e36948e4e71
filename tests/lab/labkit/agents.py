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


def start_agents(lab, bin_dir: str) -> None:
    """Launch the agents in their namespaces (lab.processes keeps them for teardown)."""
    check_agent_binaries(bin_dir)
    raise LabError("the agents offer 'run', but the lab does not yet write their configuration "
                   "(keys, enrolment, proxy mapping): extend tests/lab/labkit/agents.py; "
                   "meanwhile use --no-agents")
