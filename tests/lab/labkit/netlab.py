"""The network lab: namespaces, bridges, veth pairs, esxsim state, nbdkit, traffic, teardown.

Usage from Python (tests do this):

    with Lab(scenario, out_dir, bin_dir) as lab:      # builds everything, tears down on exit
        gt = lab.run_traffic(Traffic(...))            # one copy, one ground-truth record
        lab.esxcli("esx01", "network", "ip", "interface", "tag", "remove", "-i", "vmk2",
                   "-t", "vSphereBackupNFC")

Everything lives in namespaces named  bnfc-lab-<run id>-<node id>  (plus  bnfc-lab-<run id>-_lab
for the bridges). Nothing is connected to the machine's own interfaces, so nothing can leave.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import time
from typing import Any, Dict, List, Optional

from . import agents, counters
from .esxstate import build_state, nfc_vmknic, state_ipv4, vmknic_mac
from .runner import LabError, Runner, pid_alive, stop_pid
from .scenario import Node, Scenario, Step, Traffic, mac_for

GLOBAL_PREFIX = "bnfc-lab-"
RUN_DIR = "/run/bnfc-lab"  # <run id>.pid marks a live run; namespaces of dead runs are stale
NBD_PORT = 902
TOOLS = {"ip": "iproute2", "tc": "iproute2", "nbdkit": "nbdkit", "nbdcopy": "libnbd-bin"}
SYS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NS_RE = re.compile(r"^bnfc-lab-([0-9a-f]{6})-")


def stale_namespaces(names: List[str], live_runs: List[str]) -> List[str]:
    """Lab namespaces whose run is not alive any more (pure)."""
    out = []
    for n in names:
        m = NS_RE.match(n)
        if n.startswith(GLOBAL_PREFIX) and (m is None or m.group(1) not in live_runs):
            out.append(n)
    return out


def list_namespaces(runner: Runner) -> List[str]:
    cp = runner.run(["ip", "netns", "list"], check=False)
    # Lines look like "name" or "name (id: 3)".
    return [line.split()[0] for line in cp.stdout.splitlines() if line.strip()]


def live_runs() -> List[str]:
    out = []
    try:
        entries = os.listdir(RUN_DIR)
    except OSError:
        return out
    for e in entries:
        if not e.endswith(".pid"):
            continue
        try:
            with open(os.path.join(RUN_DIR, e), encoding="ascii") as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if pid_alive(pid):
            out.append(e[:-4])
        else:
            try:
                os.unlink(os.path.join(RUN_DIR, e))
            except OSError:
                pass
    return out


def remove_namespace(runner: Runner, ns: str) -> None:
    """Kill whatever still runs in ns, then delete it."""
    cp = runner.run(["ip", "netns", "pids", ns], check=False)
    for tok in cp.stdout.split():
        if tok.isdigit() and int(tok) != os.getpid():
            stop_pid(int(tok), grace_s=2.0)
    runner.run(["ip", "netns", "del", ns], check=False)


def cleanup_stale(runner: Runner) -> List[str]:
    stale = stale_namespaces(list_namespaces(runner), live_runs())
    for ns in stale:
        runner.log(f"removing stale namespace {ns}")
        remove_namespace(runner, ns)
    return stale


def preflight(bin_dir: Optional[str]) -> None:
    """Root, tools, and permission to create namespaces; raises LabError with the remedy."""
    if os.geteuid() != 0:
        raise LabError("the lab needs root: it creates network namespaces, bridges and veth pairs "
                       "(run it as root, e.g. sudo ./run lab --scenario FILE --out DIR)", 3)
    missing = [f"{t} (Debian package {p})" for t, p in TOOLS.items() if shutil.which(t) is None]
    if missing:
        raise LabError("missing tools: " + ", ".join(missing) + "; ./run setup installs them", 3)


class Lab:
    def __init__(self, scenario: Scenario, out_dir: str, bin_dir: Optional[str] = None,
                 run_id: Optional[str] = None, verbose: bool = False):
        self.sc = scenario
        self.out = os.path.abspath(out_dir)
        self.bin_dir = os.path.abspath(bin_dir) if bin_dir else None
        self.run_id = run_id or secrets.token_hex(3)
        self.prefix = f"{GLOBAL_PREFIX}{self.run_id}-"
        self.lab_ns = self.prefix + "_lab"
        os.makedirs(self.out, exist_ok=True)
        self.runner = Runner(os.path.join(self.out, "lab.log"), verbose=verbose)
        self.created: List[str] = []
        self.nbdkit: Dict[str, Dict[str, Any]] = {}  # host id -> {"pid", "size"}
        self.processes: List[Any] = []  # Popen objects the lab started (agents)
        self.agent_cmds: Dict[str, Any] = {}  # node id -> (argv, namespace, log, env)
        self.agent_procs: Dict[str, Any] = {}  # node id -> its agent's current Popen
        self.ports: Dict[str, List[str]] = {s.name: [] for s in scenario.segments}
        self.port_owner: Dict[str, str] = {}  # bridge port -> "node/iface"
        self.ground_truth: List[Dict[str, Any]] = []
        self.step_log: List[Dict[str, Any]] = []
        self.esxsim = os.path.join(self.bin_dir, "esxsim") if self.bin_dir else None
        self._torn_down = False

    # ---- names and paths ---------------------------------------------------------------------
    def ns(self, node_id: str) -> str:
        return self.prefix + node_id

    def bridge(self, segment: str) -> str:
        return f"br{self.sc.segment(segment).index}"

    def host_dir(self, host_id: str) -> str:
        return os.path.join(self.out, "hosts", host_id)

    def state_path(self, host_id: str) -> str:
        return os.path.join(self.host_dir(host_id), "state.json")

    def host_env(self, host_id: str) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PATH", "ESXSIM_STATE")}
        env["PATH"] = os.path.join(self.host_dir(host_id), "bin") + ":" + SYS_PATH
        env["ESXSIM_STATE"] = self.state_path(host_id)
        return env

    # ---- context manager ---------------------------------------------------------------------
    def __enter__(self) -> "Lab":
        try:
            self.setup()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.teardown()

    # ---- build -------------------------------------------------------------------------------
    def setup(self) -> None:
        r = self.runner
        r.log(f"run {self.run_id}: {len(self.sc.segments)} segments, {len(self.sc.hosts)} hosts, "
              f"{len(self.sc.proxies)} proxies, {len(self.sc.routers)} routers")
        for name in ("ground-truth.json", "steps.json", "topology.json"):
            try:
                os.unlink(os.path.join(self.out, name))
            except OSError:
                pass
        stale = cleanup_stale(r)
        if stale:
            print(f"lab: removed {len(stale)} stale namespace(s) of an earlier run: {', '.join(stale)}",
                  flush=True)
        os.makedirs(RUN_DIR, exist_ok=True)
        with open(os.path.join(RUN_DIR, self.run_id + ".pid"), "w", encoding="ascii") as f:
            f.write(f"{os.getpid()}\n")
        self._add_ns(self.lab_ns)
        # The switch namespace has no addresses; keep IPv6 off so bridges add no noise.
        for key in ("all", "default"):
            r.run(["sysctl", "-qw", f"net.ipv6.conf.{key}.disable_ipv6=1"], ns=self.lab_ns, check=False)
        for seg in self.sc.segments:
            br = self.bridge(seg.name)
            r.run(["ip", "-n", self.lab_ns, "link", "add", br, "type", "bridge",
                   "stp_state", "0", "forward_delay", "0"])
        for node in self.sc.nodes():
            self._add_node(node)
        for seg in self.sc.segments:
            br = self.bridge(seg.name)
            r.run(["ip", "-n", self.lab_ns, "link", "set", br, "mtu", str(seg.mtu)])
            self.set_segment_up(seg.name, seg.up)
        for node in self.sc.nodes():
            self._add_routes(node)
        for host in self.sc.hosts:
            self._prepare_host(host)
        self._write_topology()

    def _add_ns(self, ns: str) -> None:
        cp = self.runner.run(["ip", "netns", "add", ns], check=False)
        if cp.returncode != 0:
            raise LabError(f"cannot create network namespace {ns}: {cp.stderr.strip()} "
                           "(the lab needs root with CAP_SYS_ADMIN and namespaces enabled)", 3)
        self.created.append(ns)
        self.runner.run(["ip", "-n", ns, "link", "set", "lo", "up"])

    def _add_node(self, node: Node) -> None:
        r = self.runner
        ns = self.ns(node.id)
        self._add_ns(ns)
        # No reverse-path filter (ESXi answers on asymmetric paths too), set before the
        # interfaces exist so "default" applies to them.
        for key in ("all", "default"):
            r.run(["sysctl", "-qw", f"net.ipv4.conf.{key}.rp_filter=0"], ns=ns)
        if node.kind == "router":
            r.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"], ns=ns)
        letter = {"host": "h", "proxy": "p", "router": "r"}[node.kind]
        for it in node.ifaces:
            seg = self.sc.segment(it.segment)
            port = f"{letter}{node.index}i{it.index}"
            r.run(["ip", "-n", self.lab_ns, "link", "add", port, "mtu", str(seg.mtu), "type", "veth",
                   "peer", "name", it.name, "netns", ns])
            r.run(["ip", "-n", self.lab_ns, "link", "set", port, "master", self.bridge(seg.name), "up"])
            if seg.rate:
                r.run(["tc", "-n", self.lab_ns, "qdisc", "replace", "dev", port, "root", "tbf",
                       "rate", seg.rate, "burst", "256kb", "latency", "50ms"])
            self.ports[seg.name].append(port)
            self.port_owner[port] = f"{node.id}/{it.name}"
            mac = it.mac or mac_for(node.kind, node.index, it.index)
            r.run(["ip", "-n", ns, "link", "set", it.name, "address", mac, "mtu", str(it.mtu)])
            for a4 in ([it.ipv4] if it.ipv4 is not None else []) + it.ipv4_secondary:
                r.run(["ip", "-n", ns, "addr", "add", str(a4), "dev", it.name])
            for a in it.ipv6:
                r.run(["ip", "-n", ns, "addr", "add", str(a), "dev", it.name, "nodad"])
            if it.enabled:
                r.run(["ip", "-n", ns, "link", "set", it.name, "up"])

    def _add_routes(self, node: Node) -> None:
        ns = self.ns(node.id)
        routes = [(r.to, str(r.via)) for r in node.routes]
        vmk0 = node.iface("vmk0") if node.kind == "host" else None
        if node.kind == "host" and node.gateway is not None and vmk0 is not None and vmk0.enabled:
            # What ESXi has too; it points into the lab (a router or nobody), never outside.
            routes.append(("default", str(node.gateway)))
        for to, via in routes:
            cp = self.runner.run(["ip", "-n", ns, "route", "add", to, "via", via], check=False)
            if cp.returncode != 0:
                print(f"lab: warning: {node.id}: route {to} via {via}: {cp.stderr.strip()}", flush=True)

    def _prepare_host(self, host: Node) -> None:
        d = self.host_dir(host.id)
        bindir = os.path.join(d, "bin")
        os.makedirs(bindir, exist_ok=True)
        with open(self.state_path(host.id), "w", encoding="utf-8") as f:
            json.dump(build_state(host), f, indent=2)
            f.write("\n")
        if self.esxsim and os.path.exists(self.esxsim):
            for name in ("esxcli", "localcli", "vmkping"):
                link = os.path.join(bindir, name)
                if os.path.lexists(link):
                    os.unlink(link)
                os.symlink(self.esxsim, link)
        self._start_nbdkit(host.id, self._first_size(host.id))

    def _first_size(self, host_id: str) -> int:
        items = list(self.sc.traffic) + [s.traffic for s in self.sc.steps if s.traffic]
        return next((t.bytes for t in items if t.host == host_id), 64 << 20)

    def _write_topology(self) -> None:
        topo = {
            "run_id": self.run_id,
            "lab_namespace": self.lab_ns,
            "segments": [{"name": s.name, "bridge": self.bridge(s.name), "mtu": s.mtu, "rate": s.rate,
                          "up": s.up, "ports": {p: self.port_owner[p] for p in self.ports[s.name]}}
                         for s in self.sc.segments],
            "nodes": [{"id": n.id, "kind": n.kind, "namespace": self.ns(n.id),
                       "interfaces": [{"name": i.name, "segment": i.segment,
                                       "ipv4": str(i.ipv4) if i.ipv4 else None,
                                       "mac": (vmknic_mac(n, i.index) if n.kind == "host"
                                               else i.mac or mac_for(n.kind, n.index, i.index)),
                                       "mtu": i.mtu} for i in n.ifaces]}
                      for n in self.sc.nodes()],
        }
        self._write_json("topology.json", topo)

    def _write_json(self, name: str, doc: Any) -> None:
        path = os.path.join(self.out, name)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)

    # ---- NBD server --------------------------------------------------------------------------
    def _start_nbdkit(self, host_id: str, size: int) -> None:
        d = self.host_dir(host_id)
        pidfile = os.path.join(d, "nbdkit.pid")
        try:
            os.unlink(pidfile)
        except OSError:
            pass
        # The pattern plugin returns real, non-zero data for every byte and noextents hides any
        # extent information, so the copy cannot skip anything: bytes on the wire = disk size.
        argv = ["nbdkit", "-P", pidfile, "-p", str(NBD_PORT), "--log=stderr",
                "--filter=noextents", "pattern", f"size={size}"]
        log = os.path.join(d, "nbdkit.log")
        with open(log, "ab") as out:
            full = Runner.wrap(argv, self.ns(host_id))
            self.runner.log("$ " + " ".join(full))
            rc = subprocess.run(full, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                                timeout=30).returncode
        end = time.monotonic() + 10
        pid = 0
        while time.monotonic() < end:
            try:
                with open(pidfile, encoding="ascii") as f:
                    pid = int(f.read().strip() or 0)
                if pid:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        if rc != 0 or not pid:
            with open(log, encoding="utf-8", errors="replace") as f:
                tail = f.read()[-400:].strip()
            raise LabError(f"{host_id}: nbdkit did not start on port {NBD_PORT} (exit {rc}): {tail}")
        self.nbdkit[host_id] = {"pid": pid, "size": size}
        self.runner.log(f"{host_id}: nbdkit pid {pid} serves {size} bytes on TCP {NBD_PORT}")

    def _stop_nbdkit(self, host_id: str) -> None:
        srv = self.nbdkit.pop(host_id, None)
        if srv and not stop_pid(srv["pid"]):
            self.runner.log(f"{host_id}: nbdkit pid {srv['pid']} did not stop")

    # ---- run-time operations (also the Python API for tests) ---------------------------------
    def host_cmd(self, host_id: str, argv: List[str], timeout: float = 60):
        """Run argv in the host's namespace with its esxsim commands on PATH."""
        return self.runner.run(argv, ns=self.ns(host_id), check=False, timeout=timeout,
                               env=self.host_env(host_id))

    def esxcli(self, host_id: str, *args: str):
        return self.host_cmd(host_id, ["esxcli", *args])

    def vmkping(self, host_id: str, *args: str):
        return self.host_cmd(host_id, ["vmkping", *args])

    def set_segment_up(self, segment: str, up: bool) -> None:
        self.runner.run(["ip", "-n", self.lab_ns, "link", "set", self.bridge(segment),
                         "up" if up else "down"])

    def read_state(self, host_id: str) -> Dict[str, Any]:
        with open(self.state_path(host_id), encoding="utf-8") as f:
            return json.load(f)

    def kernel_address(self, node_id: str, ifname: str, family: str = "inet") -> Optional[str]:
        """The interface's first address of that family ("inet" or "inet6", global scope)."""
        flag = "-4" if family == "inet" else "-6"
        cp = self.runner.run(["ip", "-n", self.ns(node_id), "-j", flag, "addr", "show", "dev",
                              ifname], check=False)
        try:
            for dev in json.loads(cp.stdout or "[]"):
                for a in dev.get("addr_info", []):
                    if a.get("family") == family and a.get("scope", "global") == "global":
                        return a["local"]
        except (ValueError, KeyError):
            pass
        return None

    def kernel_ipv4(self, node_id: str, ifname: str) -> Optional[str]:
        return self.kernel_address(node_id, ifname, "inet")

    def nfc_address(self, host_id: str) -> Dict[str, Any]:
        """The address vCenter would hand out now, from the host's esxsim state file."""
        try:
            state = self.read_state(host_id)
        except (OSError, ValueError) as e:
            return {"address": None, "vmknic": None, "error": f"cannot read esxsim state: {e}"}
        vmk = nfc_vmknic(state)
        if vmk is None:
            return {"address": None, "vmknic": None,
                    "error": "no vmknic carries vSphereBackupNFC and there is no vmk0"}
        name = vmk.get("name")
        addr = self.kernel_ipv4(host_id, name) if state.get("live") else state_ipv4(vmk)
        if addr is None:
            addr = state_ipv4(vmk)
        if addr is None:  # an IPv6-only vmknic: vCenter hands out its IPv6 address
            addr = self.kernel_address(host_id, name, "inet6") if state.get("live") else None
            if addr is None:
                addr = next((a.get("address") for a in vmk.get("ipv6") or [] if a.get("address")),
                            None)
        return {"address": addr, "vmknic": name,
                "tagged": "vSphereBackupNFC" in (vmk.get("tags") or []),
                "error": None if addr else f"{name} has no IP address"}

    def read_counters(self) -> counters.Counters:
        cp = self.runner.run(["ip", "-n", self.lab_ns, "-s", "-j", "link", "show"])
        return counters.parse_ip_link_stats(cp.stdout)

    def run_traffic(self, t: Traffic) -> Dict[str, Any]:
        """One NBD copy; appends and returns its ground-truth record."""
        nfc = self.nfc_address(t.host)
        rec: Dict[str, Any] = {"proxy": t.proxy, "host": t.host, "address": nfc["address"],
                               "vmknic": nfc["vmknic"], "segment": None, "bytes": t.bytes,
                               "seconds": 0.0, "ok": False, "mb_per_s": 0.0,
                               "per_segment_bytes": {}, "segments_over_threshold": [],
                               "served_by": None, "served_from": None,
                               "error": nfc["error"], "source": t.where}
        reports_before = agents.read_reports(self) if self.agent_procs else {}
        if nfc["address"]:
            srv = self.nbdkit.get(t.host)
            if srv is None or srv["size"] != t.bytes:
                self._stop_nbdkit(t.host)
                self._start_nbdkit(t.host, t.bytes)
            before = self.read_counters()
            t0 = time.monotonic()
            host = f"[{nfc['address']}]" if ":" in nfc["address"] else nfc["address"]
            cp = self.runner.run(["nbdcopy", "--no-extents", f"nbd://{host}:{NBD_PORT}",
                                  "null:"], ns=self.ns(t.proxy), check=False, timeout=t.timeout_s)
            secs = time.monotonic() - t0
            after = self.read_counters()
            per_seg = counters.per_segment_bytes(before, after, self.ports)
            seg, over = counters.carrying_segment(per_seg, t.bytes)
            served, served_from = counters.serving_host(
                counters.bytes_sent_by_node(before, after, self.port_owner),
                [h.id for h in self.sc.hosts], t.bytes)
            rec.update({"served_by": served, "served_from": served_from})
            rec.update({"seconds": round(secs, 3), "ok": cp.returncode == 0,
                        "segment": seg, "segments_over_threshold": over,
                        "per_segment_bytes": per_seg,
                        "mb_per_s": round(t.bytes / secs / 1e6, 1) if cp.returncode == 0 else 0.0,
                        "error": None if cp.returncode == 0 else
                        (cp.stderr.strip() or f"nbdcopy exit {cp.returncode}")[-300:]})
        if self.agent_procs:
            agents.record_copy_verdicts(rec, reports_before, agents.read_reports(self))
        self.ground_truth.append(rec)
        self.write_ground_truth()
        return rec

    def write_ground_truth(self) -> None:
        self._write_json("ground-truth.json", {"run_id": self.run_id, "traffic": self.ground_truth})

    def backup_segments(self) -> List[str]:
        """Segments whose role is backup (given, or derived: a proxy is on it, no management
        vmknic is)."""
        return sorted(self.sc.segments_with_role("backup"))

    def check_traffic(self, t: Traffic, gt: Dict[str, Any]) -> List[str]:
        """What is wrong with a copy's ground truth: against the scenario's own expectation and,
        while agents run, against the safety rule, judged by the verdict of the (proxy, host)
        pair that made the copy, read at the time of the copy."""
        problems = []
        if t.expect_ok is not None and gt["ok"] != t.expect_ok:
            problems.append(f"the copy {'succeeded' if gt['ok'] else 'failed'}, expected it to "
                            f"{'succeed' if t.expect_ok else 'fail'}")
        crossed = (sorted(gt["segments_over_threshold"]) if isinstance(t.expect_segment, list)
                   else gt["segment"])
        want = sorted(t.expect_segment) if isinstance(t.expect_segment, list) else t.expect_segment
        if t.check_segment and crossed != want:
            problems.append(f"bytes crossed {gt['segment']!r} (over the threshold: "
                            f"{gt['segments_over_threshold']}), expected {t.expect_segment!r}")
        if t.check_served_by and gt.get("served_by") != t.expect_served_by:
            problems.append(f"served by {gt.get('served_by')!r}, expected {t.expect_served_by!r}")
        if "verdict_at_copy" in gt:
            problems += agents.copy_safety_problems(gt, self.backup_segments())
        return problems

    def run_step(self, step: Step) -> Dict[str, Any]:
        rec: Dict[str, Any] = {"step": step.where, "kind": step.kind, "ok": True}
        if step.kind == "traffic":
            gt = self.run_traffic(step.traffic)
            problems = self.check_traffic(step.traffic, gt)
            rec.update({"ground_truth": gt})
            if problems:
                rec.update({"ok": False, "error": "; ".join(problems)})
        elif step.kind == "agent":
            if step.action == "start":
                agents.start_agent(self, step.node)
            else:
                agents.stop_agent(self, step.node, kill=(step.action == "kill"))
            rec.update({"node": step.node, "action": step.action})
        elif step.kind == "ip":
            cp = self.runner.run(["ip", "-n", self.ns(step.node), *step.args], check=False)
            rec.update({"node": step.node, "argv": ["ip", *step.args], "exit": cp.returncode,
                        "stderr": cp.stderr})
            if cp.returncode != step.expect_exit:
                rec.update({"ok": False, "error": f"exit {cp.returncode}, expected "
                                                  f"{step.expect_exit}: {cp.stderr.strip()}"})
        elif step.kind == "expect":
            res = agents.wait_for_expectation(self, step.expect)
            rec.update(res)
            if not res["ok"]:
                rec["error"] = f"not met within {step.expect.within_s} s; last seen: {res['seen']}"
        elif step.kind in ("esxcli", "localcli", "vmkping"):
            cp = self.host_cmd(step.host, [step.kind, *step.args])
            rec.update({"host": step.host, "argv": [step.kind, *step.args], "exit": cp.returncode,
                        "stdout": cp.stdout, "stderr": cp.stderr})
            if step.expect_exit is not None and cp.returncode != step.expect_exit:
                rec["ok"] = False
                rec["error"] = f"exit {cp.returncode}, expected {step.expect_exit}"
        elif step.kind == "sleep":
            time.sleep(step.seconds)
        elif step.kind == "segment":
            self.set_segment_up(step.segment, bool(step.up))
            rec.update({"segment": step.segment, "up": step.up})
        self.step_log.append(rec)
        self._write_json("steps.json", {"steps": self.step_log})
        return rec

    # ---- teardown ----------------------------------------------------------------------------
    def teardown(self) -> List[str]:
        """Stop everything the lab started and delete its namespaces; returns what is left."""
        if self._torn_down:
            return []
        self._torn_down = True
        r = self.runner
        for p in self.processes:
            if p.poll() is None:
                stop_pid(p.pid)
            try:
                p.wait(timeout=2)
            except Exception:  # noqa: BLE001 - teardown must go on
                pass
        for host_id in list(self.nbdkit):
            self._stop_nbdkit(host_id)
        for ns in reversed(self.created):
            remove_namespace(r, ns)
        left = [n for n in list_namespaces(r) if n.startswith(self.prefix)]
        for ns in left:  # one more try, then report
            remove_namespace(r, ns)
        left = [n for n in list_namespaces(r) if n.startswith(self.prefix)]
        try:
            os.unlink(os.path.join(RUN_DIR, self.run_id + ".pid"))
        except OSError:
            pass
        r.log(f"teardown done; left behind: {left or 'nothing'}")
        r.close()
        return left
