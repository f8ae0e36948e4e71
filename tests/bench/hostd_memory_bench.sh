#!/bin/sh
# bnfc-hostd's footprint after 10 steady cycles, under the ESXi profile, beside the figures of
# the agent before the ESXi work and the goals (docs/performance.md). Root only (the profile's
# mount namespace); esxsim behind esxi-relay; reports to a 127.0.0.1 port where nothing listens,
# so libzmq's threads run.
#   hostd_memory_bench.sh BUILD
set -eu
build=$(cd "$1" && pwd)
bin="$build/bin"
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: needs root (the ESXi profile's mount namespace)"
  exit 0
fi
t=$(mktemp -d)
relay_pid=""
agent_pid=""
cleanup() {
  [ -n "$agent_pid" ] && kill -9 "$agent_pid" 2>/dev/null
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
  rm -rf "$t"
}
trap cleanup EXIT
. "$(dirname "$0")/../esxi-profile/profile_lib.sh"
profile_start_relay "$t" "$bin" "@bnfc-memory-bench-$$" "$t/launches.log" ||
  { echo "esxi-relay did not start"; exit 1; }
"$bin/bnfc-hostd" keygen --dir "$t" >/dev/null
profile_hostd_conf "$t" 300ms
"$bin/esxi-profile" -- "$bin/bnfc-hostd" run --foreground --config "$t/hostd.conf" >"$t/agent.log" 2>&1 &
agent_pid=$!
cycles() { grep -c "network ip interface list" "$t/launches.log" 2>/dev/null || echo 0; }
# 11 cycle starts: the first cycle (start-up reads) and 10 steady cycles.
i=0
until [ "$(cycles)" -ge 12 ]; do
  i=$((i + 1)); [ $i -gt 1200 ] && { echo "fewer than 12 cycles in 60 s"; cat "$t/agent.log"; exit 1; }
  kill -0 "$agent_pid" 2>/dev/null || { echo "bnfc-hostd exited"; cat "$t/agent.log"; exit 1; }
  sleep 0.05
done
status=/proc/$agent_pid/status
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "$status"; }
vmpeak=$(kb VmPeak)
vmsize=$(kb VmSize)
rss=$(kb VmRSS)
threads=$(sed -n 's/^Threads:[[:space:]]*//p' "$status")
children=0
helper_rss=0
for s in /proc/[0-9]*/stat; do
  ppid=$(sed 's/^.*) . \([0-9]*\) .*/\1/' "$s" 2>/dev/null) || continue
  if [ "$ppid" = "$agent_pid" ]; then
    children=$((children + 1))
    helper_rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "${s%/stat}/status")
  fi
done
processes=$((children + 1))
# Launches per steady cycle: the commands from the 2nd to the 12th cycle start, over 10 cycles.
launches=$(awk '/network ip interface list/ {n++} n >= 2 && n < 12 {c++} END {print c}' "$t/launches.log")
cp "$bin/bnfc-hostd" "$t/stripped"
strip "$t/stripped"
size=$(stat -c %s "$t/stripped")
kill -TERM "$agent_pid"
wait "$agent_pid" || true
agent_pid=""

mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
echo "bnfc-hostd under the ESXi profile after 10 steady cycles (1 proxy, 1 probe address):"
printf '%-26s %12s %12s %10s\n' "figure" "now" "before" "goal"
printf '%-26s %12s %12s %10s\n' "VmPeak" "$(mb "$vmpeak")" "152 MB" "<= 32 MB"
printf '%-26s %12s %12s %10s\n' "VmSize" "$(mb "$vmsize")" "86 MB" "-"
printf '%-26s %12s %12s %10s\n' "RSS" "$(mb "$rss")" "3.5 MB" "<= 8 MB"
printf '%-26s %12s %12s %10s\n' "RSS of the command helper" "$(mb "${helper_rss:-0}")" "-" "-"
printf '%-26s %12s %12s %10s\n' "threads" "$threads" "3" "-"
printf '%-26s %12s %12s %10s\n' "processes (daemon+helper)" "$processes" "1" "-"
printf '%-26s %12s %12s %10s\n' "launches per steady cycle" "$(awk -v c="$launches" 'BEGIN { printf "%.1f", c / 10 }')" "6" "<= 6"
printf '%-26s %12s %12s %10s\n' "stripped static binary" "$(awk -v b="$size" 'BEGIN { printf "%.1f MB", b / 1048576 }')" "-" "<= 5 MB"
