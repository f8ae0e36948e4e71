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
