#!/bin/sh
# The vSphere source at scale: bnfc-vcsim serves N generated hosts (default 1000) on 127.0.0.1;
# vsphere_read_bench reads and evaluates all of them like one bnfc-proxyd interval, and pyVmomi
# reads the same properties as the baseline. Prints both and the ratios.
# Usage: vsphere_bench.sh BUILD [HOSTS]
set -eu
build=$1
n=${2:-1000}
here=$(cd "$(dirname "$0")" && pwd)
vcsim=$build/bin/bnfc-vcsim
bench=$build/bench-tools/vsphere_read_bench
if [ ! -x "$vcsim" ] || [ ! -x "$bench" ]; then
  echo "SKIP: $vcsim or $bench not built (bnfc-vcsim needs golang-go and govmomi's sources)"
  exit 0
fi
dir=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
"$vcsim" --listen 127.0.0.1:0 --info-file "$dir/info.json" --generate-hosts "$n" \
  >"$dir/vcsim.log" 2>&1 &
pid=$!
i=0
while [ ! -s "$dir/info.json" ]; do
  i=$((i + 1))
  if [ $i -gt 1200 ]; then
    echo "bnfc-vcsim did not serve within 120 s: $(tail -n 3 "$dir/vcsim.log")"
    exit 1
  fi
  sleep 0.1
done
ours=$("$bench" "$dir/info.json")
echo "$ours" | grep -v '^RESULT'
if base=$(/usr/bin/python3 "$here/vsphere_pyvmomi_baseline.py" "$dir/info.json" 2>&1); then
  echo "$base" | grep -v '^RESULT'
  o=$(echo "$ours" | sed -n 's/^RESULT //p')
  b=$(echo "$base" | sed -n 's/^RESULT //p')
  /usr/bin/python3 - "$o" "$b" <<'PY'
import sys
o = dict(kv.split("=") for kv in sys.argv[1].split())
b = dict(kv.split("=") for kv in sys.argv[2].split())
print(f"ratio bnfc/pyVmomi: time {float(o['steady_ms']) / float(b['steady_ms']):.2f} "
      f"(bnfc also builds facts and verdicts), peak RSS "
      f"{float(o['rss_mib']) / float(b['rss_mib']):.2f}")
PY
else
  echo "baseline not run: pyVmomi failed: $(echo "$base" | tail -n 1)"
fi
