#!/bin/sh
# End to end with the real agents: the demo scenario (four hosts, one proxy) must give a verdict for
# every host that agrees with the ground truth (which segment carried the NBD bytes). lab.py --demo
# exits non-zero on any disagreement. Exits 77 (skipped, reason printed) when not root.
set -eu
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: the lab needs root to create network namespaces"
  exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 "$BNFC_SOURCE_DIR/tests/lab/lab.py" --bin "$BNFC_BIN_DIR" \
  --scenario "$BNFC_SOURCE_DIR/examples/demo.json" --out "$out" --demo
grep -q '"verdict": "ISOLATED"' "$out/report.json"
grep -q '<table' "$out/report.html"
# The proxy pinned both adjacent hosts and says why; `bnfc-proxyd pins` prints this file.
for h in esx01 esx02; do
  grep -q "^$h .*automatic: the subnet of eth1 holds it" "$out/proxies/proxy01/pins.txt" ||
    { echo "FAIL: $h is not pinned via eth1" >&2; cat "$out/proxies/proxy01/pins.txt" >&2; exit 1; }
done
# lab.py itself exits non-zero when any namespace of its run is left (other runs may be live).
echo "ok: every verdict agrees with ground truth; nothing left behind"
