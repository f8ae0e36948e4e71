#!/bin/sh
# One checker for every bnfc binary's command line (common/include/bnfc/cli.h): each command's
# `--help` and `-h` print its own usage with its exit statuses and exit 0 without reading a config
# file; an unknown option and an extra argument are usage errors that name the culprit; the
# global --help lists every command. The commands, and the binary's own extra cases, come from a
# list file next to the binary's tests.
#
# usage: cli_help_test.sh PROGRAM BINARY LIST
# LIST lines ('#' starts a comment):
#   WORDS|USAGE_EXIT|SURPLUS|CONFIG   a command: its words, the exit status of a usage error,
#                                     operands that are one too many, and "config" when the
#                                     command takes --config FILE (its help must list it)
#   =EXIT|SHELL                       one more case: SHELL runs under sh with $BIN (the binary)
#                                     and $WORK (a scratch directory) set and must exit EXIT
set -u
prog=$1
BIN=$2
list=$3
WORK=$(mktemp -d)
export BIN WORK
trap 'rm -rf "$WORK"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
missing="$WORK/no-such.conf"
commands=0

"$BIN" --help > "$WORK/global" 2> "$WORK/err" || fail "$prog --help exited $?"

while IFS= read -r line; do
  case "$line" in
    '' | '#'*) continue ;;
    '='*)
      want=${line%%|*}
      want=${want#=}
      script=${line#*|}
      sh -c "$script" > "$WORK/out" 2> "$WORK/err"
      rc=$?
      [ "$rc" -eq "$want" ] || fail "'$script' exited $rc, want $want: $(cat "$WORK/err")"
      continue
      ;;
  esac
  IFS='|' read -r words usage extra config <<ROW
$line
ROW
  commands=$((commands + 1))
  cfg=""
  [ "$config" = config ] && cfg="--config $missing"
  grep -q "^  $words\( \|$\)" "$WORK/global" || fail "$prog --help does not list '$words'"
  for h in --help -h; do
    # shellcheck disable=SC2086
    "$BIN" $words $h $cfg > "$WORK/out" 2> "$WORK/err"
    rc=$?
    [ $rc -eq 0 ] || fail "'$words $h' exited $rc: $(cat "$WORK/err")"
    grep -q "^usage: $prog $words" "$WORK/out" || fail "'$words $h' lacks its usage line"
    grep -q "^Exit status:" "$WORK/out" || fail "'$words $h' lacks the exit statuses"
    grep -q "^  0  " "$WORK/out" || fail "'$words $h' does not say what 0 means"
    grep -q "^  $usage  .*usage" "$WORK/out" || fail "'$words $h' does not list $usage (usage)"
    if [ -n "$cfg" ]; then
      grep -q -- "--config FILE" "$WORK/out" || fail "'$words $h' does not list --config"
    fi
  done
  # shellcheck disable=SC2086
  "$BIN" $words --no-such-option $cfg > "$WORK/out" 2> "$WORK/err"
  rc=$?
  [ $rc -eq "$usage" ] || fail "'$words --no-such-option' exited $rc, want $usage"
  grep -q "unknown option '--no-such-option'" "$WORK/err" || fail "'$words': $(cat "$WORK/err")"
  if [ -n "$extra" ]; then
    # shellcheck disable=SC2086
    "$BIN" $words $extra $cfg > "$WORK/out" 2> "$WORK/err"
    rc=$?
    [ $rc -eq "$usage" ] || fail "'$words $extra' exited $rc, want $usage"
    grep -q "unexpected argument\|takes no argument" "$WORK/err" ||
      fail "'$words $extra': $(cat "$WORK/err")"
  fi
done < "$list"

[ $commands -gt 0 ] || fail "$list names no command"
"$BIN" no-such-command > "$WORK/out" 2> "$WORK/err"
[ $? -eq 2 ] || fail "an unknown command"

[ $fails -eq 0 ] && echo "$prog: $commands commands: --help, -h, unknown options, extra arguments"
exit $((fails > 0))
