#!/bin/sh
# The ESXi profile and bnfc-hostd under it (docs/install-esxi.md, "What the ESXi profile proves").
#   profile_test.sh BIN_DIR
# BIN_DIR holds esxi-profile, esxi-relay, bnfc-hostd and esxsim (with its esxcli/localcli/vmkping
# links). Skips (77) when the kernel refuses the namespaces the profile needs. Network traffic:
# none (the report channel points at a 127.0.0.1 port where nothing listens).
set -u
BIN=$(cd "$1" && pwd)
PROFILE="$BIN/esxi-profile"
HOSTD="$BIN/bnfc-hostd"
T=$(mktemp -d)
relay_pid=""
AGENT_PID=""
cleanup() {
  [ -n "$AGENT_PID" ] && kill -9 "$AGENT_PID" 2>/dev/null
  [ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

if ! "$PROFILE" -- /bin/true 2>"$T/probe.err"; then
  echo "SKIP: the ESXi profile cannot be set up here: $(cat "$T/probe.err")"
  exit 77
fi

# --- the profile itself -------------------------------------------------------------------------
n=$("$PROFILE" -- /bin/sh -c 'ls -A /proc /sys | grep -vc ":$\|^$"')
[ "$n" = "0" ] && ok "/proc and /sys are empty" || fail "/proc or /sys not empty ($n entries)"
py() { "$PROFILE" "$@" 2>&1; }
out=$(py -- python3 -c 'import socket
try: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
except OSError as e: print(e.errno)')
[ "$out" = "97" ] && ok "netlink sockets: EAFNOSUPPORT" || fail "netlink socket: $out"
out=$(py -- python3 -c 'import os
for f in (lambda: os.getrandom(1), lambda: os.eventfd(0)):
    try: f(); print("ran")
    except OSError as e: print(e.errno)')
[ "$out" = "$(printf '38\n38')" ] && ok "getrandom and eventfd2: ENOSYS" || fail "getrandom/eventfd2: $out"
out=$(py --as 64 -- python3 -c 'bytearray(256 << 20)' | tail -1)
case "$out" in *MemoryError*) ok "address-space limit" ;; *) fail "no address-space limit: $out" ;; esac
out=$(py --deny bogus -- /bin/true; echo "rc=$?")
case "$out" in *"unknown syscall 'bogus'"*rc=2) ok "unknown --deny refused" ;; *) fail "$out" ;; esac

# --- bnfc-hostd under the profile, esxsim outside it through the relay ------------------------------
. "$(dirname "$0")/profile_lib.sh"
# The backup vmknic starts untagged: the agent under the profile has to add the tag.
sed 's/"tags": \["vSphereBackupNFC"\]/"tags": []/' "$profile_dir/esx01-state.json" >"$T/state.json"
profile_start_relay "$T" "$BIN" "@bnfc-profile-test-$$" || { fail "relay did not start"; exit 1; }

if "$PROFILE" -- "$HOSTD" keygen --dir "$T" >"$T/keygen.out" 2>&1; then
  ok "keygen under the profile (libsodium randomness without getrandom)"
else
  fail "keygen under the profile: $(cat "$T/keygen.out")"
fi
profile_hostd_conf "$T" 200ms
out=$("$PROFILE" -- "$HOSTD" check --config "$T/hostd.conf" 2>&1)
case "$out" in
  *"check 10.99.0.100 from vmk2: 3/3 replies, DF at MTU 9000 ok"*) ok "check under the profile" ;;
  *) fail "check under the profile: $out" ;;
esac

# The daemon: libzmq (I/O thread, signaler, poller) and the command helper, several cycles.
"$PROFILE" -- "$HOSTD" run --foreground --config "$T/hostd.conf" >"$T/run.log" 2>&1 &
AGENT_PID=$!
i=0
while ! grep -q "planned, not applied" "$T/run.log" 2>/dev/null && kill -0 "$AGENT_PID" 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 600 ] && break; sleep 0.05
done
sleep 1 # a few more cycles
if kill -0 "$AGENT_PID" 2>/dev/null; then
  kill -TERM "$AGENT_PID"
  wait "$AGENT_PID"
  rc=$?
else
  wait "$AGENT_PID"
  rc=$?
fi
AGENT_PID=""
if [ $rc -eq 0 ] && grep -q "planned, not applied" "$T/run.log" && grep -q "stopping" "$T/run.log"; then
  ok "run under the profile: cycles, a withheld plan, clean stop"
else
  fail "run under the profile (exit $rc): $(cat "$T/run.log")"
fi

# Take away what the agent truly needs: a clear line and a clean exit, never an abort.
for deny in socketpair clone; do
  "$PROFILE" --deny "$deny" -- "$HOSTD" run --foreground --config "$T/hostd.conf" >"$T/deny.log" 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q "cannot start the command helper: .*Function not implemented" "$T/deny.log"; then
    ok "$deny denied: $(grep -o "cannot start the command helper: .*" "$T/deny.log" | head -1)"
  else
    fail "$deny denied: exit $rc: $(cat "$T/deny.log")"
  fi
done

# The command helper dies while the daemon runs (libzmq's threads up, so no new fork): a clear
# line and exit 1 for the watchdog, not a daemon that keeps cycling without commands.
"$PROFILE" -- "$HOSTD" run --foreground --config "$T/hostd.conf" >"$T/helper.log" 2>&1 &
AGENT_PID=$!
i=0
until grep -q "planned, not applied" "$T/helper.log" 2>/dev/null || [ $i -gt 600 ]; do
  i=$((i + 1)); sleep 0.05
done
helper=$(pgrep -P "$AGENT_PID" | head -1)
if [ -n "$helper" ]; then
  kill -9 "$helper"
  wait "$AGENT_PID"
  rc=$?
  AGENT_PID=""
  if [ $rc -eq 1 ] && grep -q "the command helper is gone; stopping" "$T/helper.log"; then
    ok "a dead command helper stops the daemon with exit 1 and a log line"
  else
    fail "helper killed: exit $rc: $(cat "$T/helper.log")"
  fi
else
  fail "no command helper found under pid $AGENT_PID"
fi

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
