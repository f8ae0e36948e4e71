#!/bin/sh
# lintian on the proxy .deb: no error and no warning (informational tags are printed, not failed;
# docs/install-proxy.md says why each remains).
set -eu
build_dir=$1
command -v lintian >/dev/null || { echo "SKIP: lintian is not installed (./run setup installs it)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; echo "FAIL: cpack could not build the package" >&2; exit 1; }
deb=$(ls "$work"/out/bnfc-proxyd_*_amd64.deb)
# --fail-on: exit non-zero on any error or warning; overridden tags are listed (--show-overrides)
# so the reasons stay visible in the test log.
status=0
lintian --fail-on error,warning --show-overrides --display-info "$deb" >"$work/lintian.txt" 2>&1 ||
  status=$?
cat "$work/lintian.txt"
grep -E '^[EW]: ' "$work/lintian.txt" && { echo "FAIL: lintian errors or warnings" >&2; exit 1; }
[ "$status" = 0 ] || { echo "FAIL: lintian exited $status" >&2; exit 1; }
echo "ok: lintian: no errors or warnings"
