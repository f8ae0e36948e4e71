#!/bin/sh
# `bnfc-proxyd report` and `pins` as a script or a monitoring check sees them: a report read while
# no daemon holds the state directory's lock, or older than `freshness`, is STALE and never
# ISOLATED; the exit status follows the most severe verdict (docs/report.md). The "daemon" here is
# flock(1) holding the lock the way `bnfc-proxyd run` does.
set -u
proxyd=$1
work=$(mktemp -d)
holder=""
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

mkdir -p "$work/state"
cat > "$work/proxyd.conf" <<CONF
proxy_id = proxy01
state_dir = $work/state
freshness = 90s
CONF

# report.json with one pair per verdict given, generated AGE seconds ago.
write_report() {
  age=$1
  shift
  python3 - "$work/state/report.json" "$age" "$@" <<'PY'
import json, sys, time
path, age, verdicts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
now = int(time.time() * 1000) - age * 1000
ids = ["report_fresh", "tag", "own_subnet", "own_l2", "mapping", "disjoint_path", "adjacency",
       "mtu", "pin", "flows"]
pairs = []
for i, v in enumerate(verdicts):
    checks = [{"id": c, "name": c, "status": "passed" if v == "ISOLATED" else "not_run",
               "evidence": "seen", "at": "2024-06-11T10:00:00Z", "at_unix_ms": now} for c in ids]
    findings = [] if v == "ISOLATED" else [
        {"code": "X_" + v, "impact": v, "advisory": False, "detail": "a finding", "evidence": ""}]
    pairs.append({"proxy": "proxy01", "host": "esx%02d" % i, "nfc_address": "10.99.0.%d" % (i + 1),
                  "nfc_vmknic": "vmk2", "interface": "eth1", "source_address": "10.99.0.100",
                  "verdict": v, "nbdssl_recommended": False, "report_age_s": 4.0,
                  "esxi_version": None, "agent_version": "0.1.0", "checks": checks,
                  "findings": findings})
json.dump({"schema_version": 2, "generated_at": "2024-06-11T10:00:00Z", "generated_unix_ms": now,
           "proxy": "proxy01", "versions": {"bnfc-proxyd": "0.1.0"},
           "summary": {"pairs": len(pairs), "counts": {}, "all_isolated": False},
           "stale": False, "stale_reason": None, "pairs": pairs}, open(path, "w"))
PY
}

# expect_exit CODE ARGS...: runs the CLI, keeps stdout in $work/out.
expect_exit() {
  want=$1
  shift
  "$proxyd" "$@" --config "$work/proxyd.conf" > "$work/out" 2> "$work/err"
  got=$?
  [ "$got" = "$want" ] || { fail "'$*' exited $got, want $want"; cat "$work/err" >&2; }
}

# No daemon: every format is stale, no pair ISOLATED, exit 3.
write_report 0 ISOLATED ISOLATED
expect_exit 3 report --format json
grep -q '"stale": true' "$work/out" || fail "json not marked stale"
grep -q '"verdict": "ISOLATED"' "$work/out" && fail "json shows ISOLATED with no daemon"
grep -q '"code": "STALE"' "$work/out" || fail "json lacks the STALE finding"
expect_exit 3 report --format text
grep -q "STALE: bnfc-proxyd is not running" "$work/out" || fail "text lacks the STALE line"
grep -E '^esx[0-9]+ .*[^_]ISOLATED' "$work/out" && fail "text shows an ISOLATED pair"
expect_exit 3 report --format html
grep -q 'id="stale"' "$work/out" || fail "html lacks the stale banner"
grep -q 'class="pair v-ISOLATED"' "$work/out" && fail "html shows an ISOLATED row"

# The daemon runs (holds the lock).
# One process that holds the lock itself (flock FILE CMD would leave it with CMD's child too).
(
  exec 9> "$work/state/proxyd.lock"
  flock -x 9
  exec sleep 120
) &
holder=$!
i=0
while flock -n -s "$work/state/proxyd.lock" true 2>/dev/null; do
  i=$((i + 1))
  [ $i -gt 100 ] && { fail "lock holder did not start"; break; }
  sleep 0.05
done

write_report 0 ISOLATED ISOLATED
expect_exit 0 report --format json
grep -q '"stale": false' "$work/out" || fail "fresh report marked stale"
write_report 0 ISOLATED DEGRADED
expect_exit 1 report --format json
write_report 0 DEGRADED UNKNOWN
expect_exit 3 report --format json
write_report 0 UNKNOWN UNREACHABLE DEGRADED
expect_exit 2 report --format json
write_report 0 ISOLATED NOT_ISOLATED
expect_exit 2 report --format text
# junit and csv: each pair a test case (csv: a row per check), each check that did not pass a
# failure carrying its evidence.
write_report 0 ISOLATED NOT_ISOLATED
expect_exit 2 report --format junit
python3 - "$work/out" <<'PY' || fail "junit output"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("tests") == "2" and root.get("failures") == "1", root.attrib
cases = root.findall("./testsuite/testcase")
assert [c.get("name") for c in cases] == ["esx00", "esx01"], [c.get("name") for c in cases]
assert cases[0].findall("failure") == [], "an ISOLATED pair has failures"
failures = cases[1].findall("failure")
assert len(failures) == 10, len(failures)
assert failures[8].get("type") == "pin" and failures[8].text == "seen", failures[8].attrib
assert failures[8].get("message").startswith("not run: "), failures[8].get("message")
PY
expect_exit 2 report --format csv
python3 - "$work/out" <<'PY' || fail "csv output"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 20, len(rows)
pin = [r for r in rows if r["host"] == "esx01" and r["check"] == "pin"]
assert len(pin) == 1 and pin[0]["status"] == "not_run" and pin[0]["evidence"] == "seen", pin
assert pin[0]["verdict"] == "NOT_ISOLATED" and pin[0]["proxy"] == "proxy01", pin
PY

# Filters: only the pairs asked for, and the exit status speaks of them.
write_report 0 ISOLATED NOT_ISOLATED DEGRADED
expect_exit 0 report --json --verdict ISOLATED
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [p["host"] for p in r["pairs"]] == ["esx00"], r["pairs"]' \
  "$work/out" || fail "--verdict ISOLATED"
expect_exit 2 report --json --host esx01 --host esx02
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [p["host"] for p in r["pairs"]] == ["esx01", "esx02"], r["pairs"]' \
  "$work/out" || fail "--host twice"
expect_exit 1 report --format text --verdict DEGRADED
grep -q "esx01" "$work/out" && fail "--verdict DEGRADED shows esx01"

# A host the report does not know is a usage error that names it, not an empty report.
expect_exit 4 report --json --host esx09
grep -q "no enrolled host 'esx09'" "$work/err" || fail "--host esx09: $(cat "$work/err")"
grep -q "esx00, esx01, esx02" "$work/err" || fail "--host esx09 does not list the hosts"

# Without --json or --format the output is text in a pipe too (stdout is a file here).
expect_exit 2 report
head -1 "$work/out" | grep -q "^backupnfc validation report - proxy proxy01" ||
  fail "report in a pipe is not text: $(head -c 200 "$work/out")"
# Advice longer than a line wraps at 100 columns; every word of it is there.
python3 - "$work/state/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["pairs"][1]["findings"][0]["detail"] = " ".join("advice%02d" % i for i in range(40)) + " END."
json.dump(r, open(sys.argv[1], "w"))
PY
expect_exit 2 report
awk 'length($0) > 100 { bad = 1 } END { exit bad }' "$work/out" || fail "a text line is over 100 columns"
tr -s ' \n' ' ' < "$work/out" | grep -q "advice00 advice01 .* advice39 END\." || fail "advice was cut"

# --merge: files and a loopback URL in one report; one unreadable source fails the whole view.
write_report 0 ISOLATED
cp "$work/state/report.json" "$work/a.json"
write_report 0 NOT_ISOLATED
sed 's/proxy01/proxy02/g' "$work/state/report.json" > "$work/b.json"
write_report 300 ISOLATED
sed 's/proxy01/proxy03/g' "$work/state/report.json" > "$work/old.json"
expect_exit 2 report --format json --merge "$work/a.json" "$work/b.json"
python3 - "$work/out" <<'PY' || fail "merged json"
import json, sys
r = json.load(open(sys.argv[1]))
got = [(p["proxy"], p["host"], p["verdict"]) for p in r["pairs"]]
assert got == [("proxy01", "esx00", "ISOLATED"), ("proxy02", "esx00", "NOT_ISOLATED")], got
assert r["stale"] is False, r["stale_reason"]
PY
python3 -u -m http.server --bind 127.0.0.1 --directory "$work" 0 > "$work/http.log" 2>&1 &
server=$!
port=""
i=0
while [ -z "$port" ] && [ $i -lt 600 ]; do  # up to 30 s on a loaded machine
  port=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$work/http.log" | head -1)
  i=$((i + 1))
  sleep 0.05
done
[ -n "$port" ] || fail "the loopback HTTP server did not start: $(cat "$work/http.log")"
expect_exit 2 report --format text --merge "http://127.0.0.1:$port/a.json" "$work/b.json"
grep -q "proxy01/esx00" "$work/out" || fail "merged text does not name proxy01's pair"
grep -q "proxy02/esx00" "$work/out" || fail "merged text does not name proxy02's pair"
expect_exit 5 report --format json --merge "http://127.0.0.1:$port/missing.json" "$work/a.json"
grep -q "404" "$work/err" || fail "a missing URL is not reported with its HTTP status"
kill "$server" && wait "$server" 2>/dev/null
# One old proxy: its pairs UNKNOWN, the merged report stale (exit 3), the others kept.
expect_exit 3 report --format json --merge "$work/a.json" "$work/old.json"
grep -q '"stale_reason": "proxy03: the report is 3[0-9][0-9] s old' "$work/out" || { cat "$work/out" >&2; fail "stale source not named"; }
expect_exit 5 report --format json --merge "$work/a.json" "$work/none.json"
expect_exit 4 report extra-argument

# Older than freshness while the daemon runs: stale all the same.
write_report 200 ISOLATED ISOLATED
expect_exit 3 report --format json
grep -q '"stale_reason": "the report is 200 s old' "$work/out" || fail "age not given as reason"

# Usage and I/O errors are 4 and up, never a verdict's code.
write_report 0 ISOLATED
expect_exit 4 report --format yaml
expect_exit 4 report --format
rm "$work/state/report.json"
expect_exit 5 report --format json

# pins: as written while the daemon ran; STALE (exit 3) once it is gone.
printf 'HOST NFC ADDRESS INTERFACE SOURCE WHY\n' > "$work/state/pins.txt"
printf '{"pins": [], "error": ""}\n' > "$work/state/pins.json"
expect_exit 0 pins
kill "$holder" && wait "$holder" 2>/dev/null
holder=""
expect_exit 3 pins
grep -q "^STALE: bnfc-proxyd is not running" "$work/out" || fail "pins text not marked stale"
expect_exit 3 pins --json
grep -q '"stale": true' "$work/out" || fail "pins json not marked stale"

# --help states the exit statuses.
"$proxyd" --help > "$work/help"
for line in "0  every pair ISOLATED" "1  some pair DEGRADED" "2  some pair NOT_ISOLATED or UNREACHABLE" \
    "3  some pair UNKNOWN" "4  usage error"; do
  grep -q "$line" "$work/help" || fail "--help lacks '$line'"
done

[ $fails -eq 0 ] && echo "report CLI: stale handling and exit statuses as documented"
exit $((fails > 0))
