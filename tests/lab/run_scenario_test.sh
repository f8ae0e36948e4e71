#!/bin/sh
# One fault-matrix scenario end to end with the real agents: lab.py runs every step, waits for each
# `expect` (the verdict and findings the scenario promises), checks every copy against its expected
# ground truth and against the safety rule (ISOLATED only when the bytes crossed a backup segment),
# and exits non-zero on any miss. Exits 77 (skipped, reason printed) when not root.
#   usage: run_scenario_test.sh SCENARIO.json [lab.py options, e.g. --source vsphere]
# Exits 77 as well when the scenario says it cannot run in API mode (lab.py prints why).
set -eu
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: the lab needs root to create network namespaces"
  exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
scenario=$1
shift
python3 "$BNFC_SOURCE_DIR/tests/lab/lab.py" --bin "$BNFC_BIN_DIR" --scenario "$scenario" \
  --out "$out" --keep-going "$@" || rc=$?
if [ "$rc" -eq 77 ]; then
  exit 77
fi
if [ "$rc" -ne 0 ]; then
  echo "--- steps.json" >&2
  cat "$out/steps.json" >&2 2>/dev/null || true
  for log in "$out"/proxies/*/agent.log "$out"/proxies/*/vcsim/vcsim.log "$out"/hosts/*/agent.log; do
    [ -f "$log" ] && { echo "--- $log (last 15 lines)" >&2; tail -n 15 "$log" >&2; }
  done
  exit "$rc"
fi
# lab.py itself fails when any namespace of its run is left (other runs may be going on).
echo "ok: $(basename "$scenario") $*: every expectation met, ground truth as expected, nothing left behind"
