#!/bin/sh
# ./run bench: runs every benchmark the build made (BUILD/bench/*) and every bench script here,
# printing each one's figures with the machine they ran on. Benchmarks compare against a baseline
# measured in the same run; nothing here is a pass/fail test.
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
echo "machine: $(nproc) vCPU, $(uname -sr), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
status=0
for bench in "$build"/bench/*; do
  [ -x "$bench" ] || continue
  echo
  echo "== $(basename "$bench")"
  "$bench" || { echo "(failed: $(basename "$bench"))"; status=1; }
done
for script in "$here"/*_bench.sh; do
  [ -x "$script" ] || continue
  echo
  echo "== $(basename "$script")"
  "$script" "$build" || { echo "(failed: $(basename "$script"))"; status=1; }
done
exit $status
