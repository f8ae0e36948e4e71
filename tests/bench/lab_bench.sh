#!/bin/sh
# ./run bench: the end-to-end lab benchmarks (lab_bench.py). Needs root for network namespaces;
# without it lab_bench.py prints why it is skipped and exits 0.
set -eu
build=$1
exec python3 "$(dirname "$0")/lab_bench.py" --bin "$build/bin"
