#!/bin/sh
# bnfc-proxyd run with a vsphere_source: the hosts of bnfc-vcsim appear in report.json as pairs
# with "source": "vsphere", judged from the API's facts. Runs in a network namespace of its own
# (the daemon manages routes and rules); root only (exit 77 otherwise); always cleans up.
# Usage: vsphere_run_test.sh BIN_DIR
set -eu
bin=$1
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: needs root (network namespace)"
  exit 77
fi
if [ ! -x "$bin/bnfc-vcsim" ]; then
  echo "SKIP: $bin/bnfc-vcsim is not built (golang-go and golang-github-vmware-govmomi-dev)"
  exit 77
fi
ns=bnfc-vsrc-$$
dir=$(mktemp -d)
vcsim_pid=""
cleanup() {
  [ -n "$vcsim_pid" ] && kill "$vcsim_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" "$bin/bnfc-vcsim" --listen 127.0.0.1:0 --info-file "$dir/info.json" \
  --generate-hosts 3 >"$dir/vcsim.log" 2>&1 &
vcsim_pid=$!
i=0
while [ ! -s "$dir/info.json" ]; do
  i=$((i + 1))
  [ $i -le 600 ] || { echo "FAIL: bnfc-vcsim did not serve: $(tail -n 3 "$dir/vcsim.log")"; exit 1; }
  sleep 0.1
done
python3 - "$dir" <<'PY'
import json, os, sys
d = sys.argv[1]
i = json.load(open(f"{d}/info.json"))
fd = os.open(f"{d}/cred", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, f"username = {i['username']}\npassword = {i['password']}\n".encode())
os.close(fd)
open(f"{d}/vc1.conf", "w").write(
    f"name = vc1\nurl = {i['url']}\ncredentials = {d}/cred\nthumbprint = {i['thumbprint']}\n")
os.mkdir(f"{d}/state")
open(f"{d}/proxyd.conf", "w").write(
    f"proxy_id = vsrc\nlisten = 127.0.0.1:0\nhttp_listen = 127.0.0.1:0\nstate_dir = {d}/state\n"
    f"interval = 1s\nvsphere_source = {d}/vc1.conf\n")
PY
"$bin/bnfc-proxyd" keygen --config "$dir/proxyd.conf" >/dev/null
rc=0
ip netns exec "$ns" timeout 10 "$bin/bnfc-proxyd" run --foreground --config "$dir/proxyd.conf" \
  >"$dir/proxyd.log" 2>&1 || rc=$?
[ $rc -eq 124 ] || { echo "FAIL: bnfc-proxyd run exited $rc: $(tail -n 5 "$dir/proxyd.log")"; exit 1; }
python3 - "$dir/state/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
pairs = {p["host"]: p for p in r["pairs"]}
want = {"gen-esx00001", "gen-esx00002", "gen-esx00003"}
assert set(pairs) == want, f"pairs {sorted(pairs)} != {sorted(want)}"
for h, p in pairs.items():
    checks = {c["id"]: c["status"] for c in p["checks"]}
    assert p["source"] == "vsphere", (h, p["source"])
    assert p["nfc_vmknic"] == "vmk1" and p["nfc_address"].startswith("10.1."), (h, p)
    for c in ("report_fresh", "tag", "own_subnet", "own_l2"):
        assert checks[c] == "passed", (h, c, checks)
    assert checks["mtu"] != "passed", (h, checks)
    assert p["verdict"] != "ISOLATED", (h, p["verdict"])
    # No backup interface in this namespace: the NFC address cannot be mapped.
    assert "NO_MAPPING" in [f["code"] for f in p["findings"]], (h, p["findings"])
print(f"ok: {len(pairs)} vSphere pairs in report.json, e.g. "
      f"{pairs['gen-esx00001']['host']} {pairs['gen-esx00001']['verdict']}")
PY
