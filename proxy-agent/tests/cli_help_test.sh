#!/bin/sh
# Every bnfc-proxyd command: `COMMAND --help` and `-h` print its own usage with its exit statuses
# and exit 0 without reading a config file; an unknown option and an extra argument are usage
# errors (2; 4 for report and pins, whose 0-3 are verdicts) that name the culprit.
set -u
proxyd=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
missing="$work/no-such.conf"
# A valid config with no report: a usage error must come before "no report" (5).
printf 'proxy_id = p\nstate_dir = %s\n' "$work" > "$work/ok.conf"

# command words | usage exit | an operand list that is one too many
while IFS='|' read -r words usage extra; do
  [ -z "$words" ] && continue
  for h in --help -h; do
    # shellcheck disable=SC2086
    "$proxyd" $words $h --config "$missing" > "$work/out" 2> "$work/err"
    rc=$?
    [ $rc -eq 0 ] || fail "'$words $h' exited $rc: $(cat "$work/err")"
    grep -q "^usage: bnfc-proxyd $words" "$work/out" || fail "'$words $h' lacks its usage line"
    grep -q "^Exit status:" "$work/out" || fail "'$words $h' lacks the exit statuses"
    grep -q "^  0  " "$work/out" || fail "'$words $h' does not say what 0 means"
    grep -q -- "--config FILE" "$work/out" || fail "'$words $h' does not list --config"
  done
  # shellcheck disable=SC2086
  "$proxyd" $words --no-such-option --config "$missing" > "$work/out" 2> "$work/err"
  rc=$?
  [ $rc -eq "$usage" ] || fail "'$words --no-such-option' exited $rc, want $usage"
  grep -q "unknown option '--no-such-option'" "$work/err" || fail "'$words': $(cat "$work/err")"
  if [ -n "$extra" ]; then
    # shellcheck disable=SC2086
    "$proxyd" $words $extra --config "$missing" > "$work/out" 2> "$work/err"
    rc=$?
    [ $rc -eq "$usage" ] || fail "'$words $extra' exited $rc, want $usage"
    grep -q "unexpected argument\|takes no argument" "$work/err" || fail "'$words $extra': $(cat "$work/err")"
  fi
done <<'LIST'
keys list|2|surplus
keys accept|2|esx01 surplus
keys add|2|esx01 surplus
keys reject|2|surplus
keys revoke|2|esx01 surplus
keys show-server-key|2|surplus
keygen|2|surplus
run|2|surplus
report|4|surplus
pins|4|surplus
check-networkd|2|surplus
setup-networkd|2|surplus
LIST

# A missing operand and a missing value are usage errors too; a flag given a value as well.
"$proxyd" keys revoke --config "$missing" 2> "$work/err"
[ $? -eq 2 ] || fail "keys revoke without HOST"
"$proxyd" report --config "$work/ok.conf" --format 2> "$work/err"
[ $? -eq 4 ] || fail "report --format without a value"
"$proxyd" pins --json=yes 2> "$work/err"
[ $? -eq 4 ] || fail "pins --json=yes"
"$proxyd" no-such-command 2> "$work/err"
[ $? -eq 2 ] || fail "an unknown command"
"$proxyd" report --json --format html --config "$work/ok.conf" 2> "$work/err"
[ $? -eq 4 ] || fail "--json with --format html"
"$proxyd" report --verdict FINE --config "$work/ok.conf" 2> "$work/err"
[ $? -eq 4 ] || fail "report --verdict FINE"
"$proxyd" report --verdict ISOLATED --host esx01 --config "$work/ok.conf" 2> "$work/err"
[ $? -eq 5 ] || fail "valid filters are refused: $(cat "$work/err")"
# The global help lists every command.
"$proxyd" --help > "$work/out" || fail "--help"
for c in "keys list" "keys accept" keygen run report pins check-networkd setup-networkd; do
  grep -q "^  $c" "$work/out" || fail "--help does not list '$c'"
done

[ $fails -eq 0 ] && echo "bnfc-proxyd: every command's --help, unknown options and extra arguments"
exit $((fails > 0))
