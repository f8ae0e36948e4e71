#!/usr/bin/env python3
"""Checks a Grafana dashboard: valid JSON, and every query reads only series recorded by the
rules file (never a raw bnfc_* metric), so the dashboard keeps working across renames behind the
rules and under federation of the recorded series only.

usage: check_dashboard.py DASHBOARD.json RULES.yml
"""
import json
import re
import sys


def queries(node):
    """Every PromQL text in the dashboard: panel targets and templating queries."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "definition") and isinstance(value, str):
                yield value
            elif key == "query" and isinstance(value, str):
                yield value
            else:
                yield from queries(value)
    elif isinstance(node, list):
        for item in node:
            yield from queries(item)


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            dashboard = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{sys.argv[1]}: not valid JSON: {e}", file=sys.stderr)
        return 1
    with open(sys.argv[2], encoding="utf-8") as f:
        recorded = set(re.findall(r"^\s*- record:\s*(\S+)\s*$", f.read(), re.M))
    if not recorded:
        print(f"{sys.argv[2]}: no recording rules found", file=sys.stderr)
        return 1
    errors = []
    used = set()
    exprs = [q for q in queries(dashboard.get("panels", [])) if q.strip()]
    exprs += [q for q in queries(dashboard.get("templating", {})) if "(" in q]
    if not exprs:
        errors.append("no queries in the dashboard")
    for q in exprs:
        names = set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]*", q))
        raw = set(re.findall(r"(?<![:\w])bnfc_[a-zA-Z0-9_]+(?![:\w])", q))
        if not names:
            errors.append(f"query reads no recorded series: {q}")
        for n in sorted(names - recorded):
            errors.append(f"query reads {n}, which no rule records: {q}")
        for n in sorted(raw):
            errors.append(f"query reads the raw metric {n} instead of a recorded series: {q}")
        used |= names
    for p in dashboard.get("panels", []):
        if not p.get("title"):
            errors.append(f"panel {p.get('id')} has no title")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print(f"ok: {len(exprs)} queries over {len(used)} recorded series")
    return 0


if __name__ == "__main__":
    sys.exit(main())
