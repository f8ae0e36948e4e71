#!/bin/sh
# Test doubles live in test-only targets (bnfc_testing, hostagent_testing, bnfc_pin_testing): no
# product binary may carry a symbol whose demangled name contains "Fake".
#   no_fakes_test.sh BIN...                 fails when any BIN has such a symbol
#   no_fakes_test.sh --expect-fakes BIN     the control: fails unless BIN has one (a test binary),
#                                           so a broken check (no symbols read) cannot pass silently
set -eu
expect=0
if [ "${1:-}" = "--expect-fakes" ]; then
  expect=1
  shift
fi
[ $# -gt 0 ] || { echo "usage: $0 [--expect-fakes] BIN..." >&2; exit 2; }
status=0
for bin in "$@"; do
  [ -f "$bin" ] || { echo "FAIL: $bin does not exist" >&2; exit 1; }
  symbols=$(nm -C "$bin" 2>/dev/null || true)
  count=$(printf '%s\n' "$symbols" | grep -c . || true)
  # A stripped binary has no symbol table: the check would prove nothing.
  [ "$count" -gt 100 ] || { echo "FAIL: $bin has $count symbols; build it unstripped" >&2; exit 1; }
  fakes=$(printf '%s\n' "$symbols" | grep 'Fake' || true)
  n=$(printf '%s' "$fakes" | grep -c . || true)
  echo "$bin: $count symbols, $n with 'Fake'"
  if [ "$expect" -eq 1 ] && [ "$n" -eq 0 ]; then
    echo "FAIL: expected test doubles in $bin, found none: the check cannot see them" >&2
    status=1
  elif [ "$expect" -eq 0 ] && [ "$n" -gt 0 ]; then
    echo "FAIL: $bin links test doubles:" >&2
    printf '%s\n' "$fakes" | head -5 >&2
    status=1
  fi
done
exit $status
