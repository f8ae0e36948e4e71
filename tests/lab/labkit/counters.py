"""Bridge-port byte counters and the ground-truth decision (pure functions)."""

import json
from typing import Dict, List, Optional, Tuple

# A segment "carried" a copy when one of its ports moved at least this share of the copied bytes.
CARRY_THRESHOLD = 0.9

Counters = Dict[str, Tuple[int, int]]  # port -> (rx_bytes, tx_bytes)


def parse_ip_link_stats(text: str) -> Counters:
    """Parse `ip -s -j link show`: the kernel's per-device rx/tx byte counters (the same numbers
    as /sys/class/net/DEV/statistics/{rx,tx}_bytes in that namespace)."""
    out: Counters = {}
    for dev in json.loads(text or "[]"):
        st = dev.get("stats64") or dev.get("stats") or {}
        rx = (st.get("rx") or {}).get("bytes", 0)
        tx = (st.get("tx") or {}).get("bytes", 0)
        out[dev["ifname"]] = (int(rx), int(tx))
    return out


def per_segment_bytes(before: Counters, after: Counters,
                      ports_by_segment: Dict[str, List[str]]) -> Dict[str, int]:
    """Bytes a segment carried = the largest rx or tx delta of any of its bridge ports.

    A copy from host H to proxy P crosses two ports of a bridge: H's port receives the data (rx)
    and P's port sends it on (tx); taking the maximum counts it once, with framing overhead.
    """
    out: Dict[str, int] = {}
    for seg, ports in ports_by_segment.items():
        best = 0
        for port in ports:
            b = before.get(port, (0, 0))
            a = after.get(port, (0, 0))
            best = max(best, a[0] - b[0], a[1] - b[1])
        out[seg] = best
    return out


def carrying_segment(per_segment: Dict[str, int], nbytes: int,
                     threshold: float = CARRY_THRESHOLD) -> Tuple[Optional[str], List[str]]:
    """The segment that carried the copy (most bytes among those at or above threshold*nbytes),
    or None, plus every segment above the threshold (more than one means a routed path)."""
    need = threshold * nbytes
    over = sorted((s for s, n in per_segment.items() if n >= need),
                  key=lambda s: (-per_segment[s], s))
    return (over[0] if over else None), over


def bytes_sent_by_node(before: Counters, after: Counters,
                       port_owner: Dict[str, str]) -> Dict[str, Dict[str, int]]:
    """node id -> {interface: bytes it sent} (pure). A node's interface is one end of a veth
    pair whose other end is a bridge port, so what the port received (rx) is what the node sent;
    each host namespace runs its own NBD server, so this is that server's output."""
    out: Dict[str, Dict[str, int]] = {}
    for port, owner in port_owner.items():
        node, _, iface = owner.partition("/")
        delta = after.get(port, (0, 0))[0] - before.get(port, (0, 0))[0]
        out.setdefault(node, {})[iface] = delta
    return out


def serving_host(sent: Dict[str, Dict[str, int]], hosts: List[str], nbytes: int,
                 threshold: float = CARRY_THRESHOLD) -> Tuple[Optional[str], Optional[str]]:
    """(host, vmknic) that sent the copy: the host whose interfaces together sent at least
    threshold*nbytes (the most, if several did), and its busiest vmknic; (None, None) if no
    host did (pure)."""
    need = threshold * nbytes
    totals = {h: sum(sent.get(h, {}).values()) for h in hosts}
    over = sorted((h for h, n in totals.items() if n >= need), key=lambda h: (-totals[h], h))
    if not over:
        return None, None
    ifaces = sent[over[0]]
    return over[0], max(sorted(ifaces), key=lambda i: ifaces[i])
