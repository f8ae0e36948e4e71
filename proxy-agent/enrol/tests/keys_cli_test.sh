#!/bin/sh
# `bnfc-proxyd keys` against hostile input: every refusal is a precise error with exit status 1
# (never an abort), writes nothing, and echoes no raw control bytes to the terminal.
set -eu
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
printf 'proxy_id = p1\nstate_dir = %s\n' "$dir" >"$dir/proxyd.conf"
proxyd() { "$bin" --config "$dir/proxyd.conf" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

proxyd keygen >/dev/null
key=$(proxyd keys show-server-key | head -n 1)  # any valid key will do as a host key
proxyd keys add esx01 --key "$key" --source 10.98.0.0/24 >/dev/null
cp "$dir/enrolment.json" "$dir/before.json"

# expect_refused WHAT ARGS...: exit status 1, "WHAT" in the message, no ESC/BEL, store unchanged.
expect_refused() {
  what=$1
  shift
  status=0
  proxyd "$@" >"$dir/out" 2>"$dir/err" || status=$?
  [ "$status" -eq 1 ] || fail "keys $*: exit status $status, want 1: $(cat "$dir/err")"
  grep -q "$what" "$dir/err" || fail "keys $*: no '$what' in: $(cat "$dir/err")"
  if LC_ALL=C grep -q "$(printf '[\033\007]')" "$dir/err" "$dir/out"; then
    fail "keys $*: raw control bytes in the output"
  fi
  [ "$(wc -c <"$dir/err")" -lt 1000 ] || fail "keys $*: message longer than 1000 bytes"
  cmp -s "$dir/enrolment.json" "$dir/before.json" || fail "keys $*: the store changed"
}

long=$(head -c 10000 /dev/zero | tr '\0' a)
for id in "$(printf 'esx\377\376')" "../x" "$long" "$(printf 'esx\n02')" "$(printf 'esx\033]0;x\007')" ""; do
  expect_refused "host id" keys add "$id" --key "$key" --source 10.98.0.0/24
  expect_refused "host id" keys revoke "$id"
done
expect_refused "source prefix" keys add esx02 --key "$key" --source 999.0.0.1/40

# A store of a newer release: refused by every command, never rewritten.
printf '{"version": 99, "keys": []}\n' >"$dir/enrolment.json"
cp "$dir/enrolment.json" "$dir/before.json"
expect_refused "version 99 is not supported" keys list
expect_refused "version 99 is not supported" keys revoke esx01
expect_refused "version 99 is not supported" keys add esx02 --key "$key" --source 10.98.0.0/24
echo "ok"
