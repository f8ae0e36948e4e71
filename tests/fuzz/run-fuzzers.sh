#!/usr/bin/env bash
# Builds every fuzz harness (tests/fuzz/<x>_fuzzer.cpp) as a libFuzzer binary with clang, ASan and
# UBSan, and runs each for SECONDS (default 30) starting from its committed corpus
# (tests/fuzz/corpus/<x>/) and, for the esxcli and VIB readers, the third-party fixtures in
# ../shared/fixtures/. New inputs go to the build folder, never into the committed corpus;
# a crash leaves its input in <build>/artifacts/ and makes this script fail. Copy a worthwhile
# input into the corpus to keep it as a regression test.
#   usage: tests/fuzz/run-fuzzers.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SECONDS_EACH=${1:-30}
BUILD=${BNFC_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
JOBS=${BNFC_JOBS:-$(nproc)}

if ! command -v clang++ >/dev/null; then
  echo "run-fuzzers: clang++ is needed for libFuzzer (apt-get install clang)" >&2
  exit 1
fi

targets=()
for src in "$ROOT"/tests/fuzz/*_fuzzer.cpp; do
  targets+=("$(basename "$src" .cpp)")
done

CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DBNFC_LIBFUZZER=ON -DBNFC_BUILD_TESTS=OFF \
  -DBNFC_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}"

mkdir -p "$BUILD/artifacts"
failed=0
# Third-party fixtures seed some harnesses where they are (never copied into the corpus); the
# same folders bnfc_fuzz_replay(... SHARED ...) replays in tests/CMakeLists.txt.
FIXTURES=${BNFC_FIXTURES_DIR:-$ROOT/../shared/fixtures}
shared_seeds() {
  case $1 in
    esxcli_parse_fuzzer) echo "$FIXTURES/esxcli" ;;
    vib_inspect_fuzzer) echo "$FIXTURES/vib" ;;
  esac
}
for t in "${targets[@]}"; do
  seeds=("$ROOT/tests/fuzz/corpus/${t%_fuzzer}")
  shared=$(shared_seeds "$t")
  if [ -n "$shared" ]; then
    if [ ! -d "$shared" ]; then
      echo "run-fuzzers: $t needs the fixtures in $shared (set BNFC_FIXTURES_DIR)" >&2
      exit 1
    fi
    seeds+=("$shared")
  fi
  work="$BUILD/corpus/${t%_fuzzer}"
  mkdir -p "$work"
  echo "run-fuzzers: $t for ${SECONDS_EACH}s (seeds: ${seeds[*]#"$ROOT"/})"
  if ! "$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
    -artifact_prefix="$BUILD/artifacts/$t-" "$work" "${seeds[@]}"; then
    echo "run-fuzzers: $t FAILED; the input is in $BUILD/artifacts/" >&2
    failed=1
  fi
done
exit $failed
