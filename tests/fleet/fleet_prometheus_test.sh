#!/bin/bash
# The fleet view on a real Prometheus: two bnfc-proxyd processes (`run`) on 127.0.0.1 with their
# own ports and state, scraped by Prometheus loaded with the shipped rules; the recorded fleet
# series carry each proxy's id, and the rules fire per proxy (a pending key on one, a store that
# cannot be applied on the other). Root only: the daemons reconcile pins, so everything runs in a
# private network namespace (unshare -n) and nothing touches the machine's routes.
set -u
proxyd=$1
rules=$2
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root (a private network namespace for the two proxies)" >&2
  exit 77
fi
if [ "${BNFC_FLEET_INSIDE:-}" != 1 ]; then
  BNFC_FLEET_INSIDE=1 exec unshare -n "$0" "$@"
fi
ip link set lo up
work=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  for p in $pids; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# proxy NAME CONTROL_PORT HTTP_PORT
proxy() {
  mkdir -p "$work/$1"
  cat > "$work/$1/proxyd.conf" <<CONF
proxy_id = $1
listen = 127.0.0.1:$2
http_listen = 127.0.0.1:$3
state_dir = $work/$1
interval = 1s
CONF
  "$proxyd" keygen --config "$work/$1/proxyd.conf" > /dev/null || fail "keygen $1"
}
proxy proxy-a 19902 19903
proxy proxy-b 19912 19913

# A host key waiting on proxy-a: a key made by keygen elsewhere, enrolled, then set back to
# pending in the store's own format.
mkdir -p "$work/k"
printf 'proxy_id = k\nstate_dir = %s/k\n' "$work" > "$work/k/conf"
"$proxyd" keygen --config "$work/k/conf" > /dev/null
key=$("$proxyd" keys show-server-key --config "$work/k/conf" | head -1)
"$proxyd" keys add esx09 --key "$key" --source 192.0.2.9/32 --config "$work/proxy-a/proxyd.conf" \
  > /dev/null || fail "keys add"
python3 - "$work/proxy-a/enrolment.json" <<'PY' || fail "cannot make the key pending"
import json, sys
doc = json.load(open(sys.argv[1]))
for k in doc["keys"]:
    k["state"], k["host_id"], k["sources"], k["last_address"] = "pending", "", [], "192.0.2.9"
json.dump(doc, open(sys.argv[1], "w"))
PY
for p in proxy-a proxy-b; do
  "$proxyd" run --foreground --config "$work/$p/proxyd.conf" 2> "$work/$p/log" &
  pids="$pids $!"
done

cat > "$work/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: ["$rules"]
scrape_configs:
  - job_name: bnfc-proxyd
    static_configs:
      - targets: ["127.0.0.1:19903", "127.0.0.1:19913"]
CONF
promtool check config "$work/prometheus.yml" > /dev/null || fail "prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address=127.0.0.1:19090 > "$work/prometheus.log" 2>&1 &
pids="$pids $!"

# query EXPR: the instant vector as "label=value ... => value" lines, sorted.
query() {
  curl -sf --get --data-urlencode "query=$1" http://127.0.0.1:19090/api/v1/query |
    python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
out = []
for s in r:
    m = s["metric"]
    out.append(" ".join("%s=%s" % (k, m[k]) for k in sorted(m) if k not in ("__name__", "instance", "job")) + " => " + s["value"][1])
print("\n".join(sorted(out)))'
}
# wait_for EXPR WANT: until the query's output is WANT (at most 60 s).
wait_for() {
  local got=""
  for _ in $(seq 1 60); do
    got=$(query "$1" 2>/dev/null)
    [ "$got" = "$2" ] && return 0
    sleep 0.5
  done
  fail "$1: got '$got', want '$2'"
}

wait_for 'sum(up{job="bnfc-proxyd"})' ' => 2'
# proxy-b's store turns unreadable while it runs: it keeps the previous one and says so.
echo '{"version": 1, "keys": [' > "$work/proxy-b/enrolment.json"
wait_for 'proxy:bnfc_enrolment_keys_pending:count' 'proxy=proxy-a => 1
proxy=proxy-b => 0'
wait_for 'proxy:bnfc_keystore_stale:bool' 'proxy=proxy-a => 0
proxy=proxy-b => 1'
# No enrolled pairs anywhere: the fleet is not "all ISOLATED", and no pair exists.
wait_for 'fleet:bnfc_all_hosts_isolated:min' ' => 0'
wait_for 'sum(verdict:bnfc_pairs:sum)' ' => 0'
wait_for 'proxy:bnfc_pins_missing:count' 'proxy=proxy-a => 0
proxy=proxy-b => 0'
# Both compute verdicts every second: both reports are current.
wait_for 'count(proxy:bnfc_report_age:seconds < 30)' ' => 2'
# The rules, evaluated by Prometheus itself: the store alert fires after its 5 minutes, so here
# it is pending, on proxy-b only; the key alert is pending on proxy-a only.
wait_for 'ALERTS{alertname=~"BnfcKeyStoreNotReloading|BnfcEnrolmentKeyPending"}' \
  'alertname=BnfcEnrolmentKeyPending alertstate=pending proxy=proxy-a severity=info => 1
alertname=BnfcKeyStoreNotReloading alertstate=pending proxy=proxy-b severity=critical => 1'

if [ $fails -ne 0 ]; then
  for p in proxy-a proxy-b; do echo "--- $p log" >&2; tail -5 "$work/$p/log" >&2; done
  tail -5 "$work/prometheus.log" >&2
fi
[ $fails -eq 0 ] && echo "fleet: Prometheus scraped two proxies; recorded series and alerts per proxy"
exit $((fails > 0))
