#!/bin/sh
# ./run bench: runs every benchmark the build made (BUILD/bench/*) and every bench script here
# (*_bench.sh, e.g. lab_bench.sh: the end-to-end lab figures, root only), printing each one's
# figures with the machine they ran on. Every benchmark prints its figure next to a baseline
# measured in the same run and the ratio between them; nothing here is a pass/fail test.
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "machine: $(nproc) vCPU${cpu:+ ($cpu)}, $(uname -sr), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
status=0
ran=""
failed=""
run_one() {
  name=$1
  shift
  echo
  echo "== $name"
  start=$(date +%s)
  if "$@"; then
    ran="$ran $name"
  else
    echo "(failed: $name)"
    failed="$failed $name"
    status=1
  fi
  echo "($name took $(($(date +%s) - start)) s)"
}
for bench in "$build"/bench/*; do
  [ -x "$bench" ] || continue
  run_one "$(basename "$bench")" "$bench"
done
for script in "$here"/*_bench.sh; do
  [ -x "$script" ] || continue
  run_one "$(basename "$script")" "$script" "$build"
done
echo
echo "benchmarks run:${ran:- none}; failed:${failed:- none}"
exit $status
