"""API mode: hosts whose facts and tag reach the proxy through the vSphere API instead of
bnfc-hostd (scenario host field `"source": "vsphere"`, or lab.py --source vsphere).

Per proxy that has such hosts, the lab starts `bnfc-vcsim` inside that proxy's network namespace
on 127.0.0.1 (no API traffic leaves the lab's namespaces). Its inventory names each vSphere host
with the command form of esxsim, run in the host's own namespace on the host's state file, so the
API shows exactly what the lab's ground truth sees (live MACs and addresses included) and a tag
set through the API lands in the state file. The proxy gets one `vsphere_source` file per tag
policy, scoped to its hosts, pinned to the server's certificate thumbprint.
"""

import json
import os
import time
import re
import shutil
from typing import Any, Dict, List, Tuple

from .runner import LabError, pid_alive

VCSIM = "bnfc-vcsim"
# "both": the host runs bnfc-hostd AND is in vCenter's inventory, so the proxy can cross-check
# the agent's NFC address against vCenter's selectedVnic.
SOURCES = ("agent", "vsphere", "both")


def is_vsphere(host) -> bool:
    """In bnfc-vcsim's inventory (API mode or both)."""
    return getattr(host, "source", "agent") in ("vsphere", "both")


def has_agent(host) -> bool:
    return getattr(host, "source", "agent") in ("agent", "both")


def set_source(sc, source: str) -> None:
    """lab.py/verify.py --source: every host of the scenario reaches the proxy this way."""
    for h in sc.hosts:
        h.source = source


def vsphere_hosts(sc) -> List[Any]:
    return [h for h in sc.hosts if is_vsphere(h)]


def frozen_state_path(lab, host_id: str) -> str:
    """The copy of a host's state file that a "frozen" vCenter view reads."""
    return lab.state_path(host_id) + ".vcenter"


def render_inventory(lab, hosts, esxsim: str) -> Dict[str, Any]:
    """bnfc-vcsim's --inventory for these hosts (pure apart from naming paths): each host's
    esxsim runs in the host's namespace on its state file (on the frozen copy for a host whose
    "vcenter_view" is "frozen")."""
    def state(h):
        frozen = getattr(h, "vcenter_view", "live") == "frozen"
        return frozen_state_path(lab, h.id) if frozen else lab.state_path(h.id)
    return {"datacenter": "lab", "hosts": [
        {"name": h.id, "cluster": "lab-cluster",
         "esxsim": {"command": ["ip", "netns", "exec", lab.ns(h.id), esxsim, "--state",
                                state(h)]}} for h in hosts]}


def host_tag_policy(host) -> str:
    return host.agent.get("tag_policy", "ensure")


def host_backup_selector(host) -> Tuple[str, str]:
    """The source-file key naming the host's backup vmknic, in the agent's words."""
    if host.agent.get("backup_vmk"):
        return ("backup_vmk", host.agent["backup_vmk"])
    if host.agent.get("backup_portgroup"):
        return ("backup_portgroup", host.agent["backup_portgroup"])
    return ("", "")


def render_source(name: str, info: Dict[str, str], credentials: str, hosts: List[str],
                  tag_policy: str, backup: Tuple[str, str] = ("", "")) -> str:
    """A vsphere_source file (key=value, docs/vsphere-source.md) (pure)."""
    lines = [f"name = {name}", f"url = {info['url']}", f"credentials = {credentials}",
             f"thumbprint = {info['thumbprint']}", f"scope = hosts: {', '.join(hosts)}",
             f"tag_policy = {tag_policy}", "timeout = 10s"]
    if backup[0]:
        lines.append(f"{backup[0]} = {backup[1]}")
    return "\n".join(lines) + "\n"


def render_credentials(info: Dict[str, str]) -> str:
    return f"username = {info['username']}\npassword = {info['password']}\n"


def _write_private(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def start_vcsim(lab, proxy, bin_dir: str, hosts, timeout_s: float = 120) -> Dict[str, str]:
    """Starts bnfc-vcsim for `hosts` in the proxy's namespace (kept in lab.processes, so teardown
    stops it on every path); returns its info file's content once it serves."""
    exe = os.path.join(bin_dir, VCSIM)
    if not os.access(exe, os.X_OK):
        raise LabError(f"{exe} is missing: API-mode hosts need the vSphere test server "
                       "(./run build builds it when golang-go and golang-github-vmware-govmomi-dev "
                       "are installed; ./run setup installs them)")
    d = os.path.join(lab.out, "proxies", proxy.id, "vcsim")
    os.makedirs(d, exist_ok=True)
    inv = os.path.join(d, "inventory.json")
    with open(inv, "w") as f:
        json.dump(render_inventory(lab, hosts, os.path.join(bin_dir, "esxsim")), f, indent=1)
    info_path = os.path.join(d, "info.json")
    if os.path.exists(info_path):
        os.unlink(info_path)
    log = os.path.join(d, "vcsim.log")
    proc = lab.runner.popen([exe, "--listen", "127.0.0.1:0", "--inventory", inv, "--info-file",
                             info_path, "--username", f"bnfc-{proxy.id}"], lab.ns(proxy.id), log)
    lab.processes.append(proc)
    lab.vcsim_procs = getattr(lab, "vcsim_procs", {})
    lab.vcsim_procs[proxy.id] = proc
    deadline = time.monotonic() + timeout_s
    while not os.path.exists(info_path):
        if not pid_alive(proc.pid):
            raise LabError(f"{proxy.id}: {VCSIM} exited: {_tail(log)}")
        if time.monotonic() > deadline:
            raise LabError(f"{proxy.id}: {VCSIM} did not serve within {timeout_s} s: {_tail(log)}")
        time.sleep(0.05)
    with open(info_path) as f:
        return json.load(f)


def _tail(path: str, n: int = 5) -> str:
    try:
        with open(path, errors="replace") as f:
            return " | ".join(f.read().strip().splitlines()[-n:]) or "(no output)"
    except OSError:
        return "(no log)"


def setup_proxy(lab, proxy, bin_dir: str) -> List[str]:
    """Starts the proxy's bnfc-vcsim when the scenario has vSphere hosts and writes its source
    files; returns the proxyd.conf lines (`vsphere_source = PATH`)."""
    hosts = vsphere_hosts(lab.sc)
    if not hosts:
        return []
    for h in hosts:
        # Before any agent runs: the frozen view is the host as the lab built it.
        if getattr(h, "vcenter_view", "live") == "frozen" and \
                not os.path.exists(frozen_state_path(lab, h.id)):
            shutil.copyfile(lab.state_path(h.id), frozen_state_path(lab, h.id))
    info = start_vcsim(lab, proxy, bin_dir, hosts)
    d = os.path.join(lab.out, "proxies", proxy.id, "vcsim")
    cred = os.path.join(d, "credentials")
    _write_private(cred, render_credentials(info))
    lines = []
    # One source per tag policy and backup vmknic (a source names one backup vmknic for all
    # its hosts); under observe the proxy ignores the backup vmknic.
    groups: Dict[Tuple[str, Tuple[str, str]], List[str]] = {}
    for h in hosts:
        groups.setdefault((host_tag_policy(h), host_backup_selector(h)), []).append(h.id)
    for (policy, backup), names in sorted(groups.items()):
        suffix = policy + (("-" + re.sub(r"[^A-Za-z0-9_.-]", "_", backup[1])) if backup[0] else "")
        path = os.path.join(d, f"source-{suffix}.conf")
        with open(path, "w") as f:
            f.write(render_source(f"vc-{proxy.id}-{suffix}", info, cred, names, policy, backup))
        lines.append(f"vsphere_source = {path}")
    return lines
