#!/bin/sh
# The same sources built in two different places give byte-identical bnfc-hostd, VIB and offline
# bundle. The first place is the project's own build (BUILD_DIR, in the checkout as ./run makes
# it); the checkout is copied (tracked and new files git does not ignore; changed files only) to
# WORK/other-place/checkout and built out of tree there (another name and depth). Only the targets
# the VIB needs are built in the copy, which stays in WORK so a rerun is incremental.
#   reproducible_test.sh SOURCE_DIR BUILD_DIR WORK [ZMQ_SOURCE]
# ZMQ_SOURCE: an unpacked zeromq3 source to seed the copy with instead of fetching it.
set -u
src=$1 a_build=$2 work=$3 zmq=${4:-}
fail() { echo "FAIL: $*"; exit 1; }
command -v git >/dev/null || { echo "SKIP: git is needed to list the tracked files"; exit 77; }
[ -d "$src/.git" ] || [ -f "$src/.git" ] || { echo "SKIP: $src is not a git checkout"; exit 77; }

b_src=$work/other-place/checkout b_build=$work/other-place/out-of-tree
jobs=${BNFC_JOBS:-2}
# ccache must not hand the copy the project build's objects: with the working folder hashed (it
# differs between the trees) each tree only reuses its own earlier results.
unset CCACHE_NOHASHDIR
export CCACHE_HASHDIR=1

copy() {  # DEST: the tracked files of $src as they are now (uncommitted edits included)
  mkdir -p "$1"
  # Only files whose bytes differ are copied, and they get the current time: a copied file that
  # kept an older mtime than the copy's object built from its previous content would not be
  # rebuilt, and the test would compare a stale build.
  (cd "$src" && git ls-files --cached --others --exclude-standard |
    while IFS= read -r f; do
      [ -f "$f" ] || continue
      cmp -s "$f" "$1/$f" 2>/dev/null && continue
      mkdir -p "$1/$(dirname "$f")" && cp "$f" "$1/$f" || exit 1
    done) || fail "copying to $1"
  # files deleted since the last run
  (cd "$1" && find . -path ./build -prune -o -type f -print | sed 's|^\./||' | sort) > "$work/have"
  (cd "$src" && git ls-files --cached --others --exclude-standard | sort) > "$work/want"
  comm -23 "$work/have" "$work/want" | (cd "$1" && xargs -r rm -f)
}

build() {  # SRC BUILD
  if [ -n "$zmq" ] && [ -f "$zmq/CMakeLists.txt" ] && [ ! -f "$2/_deps/zmq/src/zmq_static_build/CMakeLists.txt" ]; then
    mkdir -p "$2/_deps/zmq/src" && cp -a "$zmq" "$2/_deps/zmq/src/zmq_static_build"
  fi
  cmake -S "$1" -B "$2" -DBNFC_BUILD_TESTS=ON -DBNFC_BUILD_BENCHMARKS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$2.configure.log" 2>&1 || { cat "$2.configure.log"; fail "configure $1"; }
  cmake --build "$2" -j "$jobs" --target bnfc-hostd-vib >"$2.build.log" 2>&1 ||
    { tail -50 "$2.build.log"; fail "build in $2"; }
}

copy "$b_src"
build "$b_src" "$b_build"

version=$(sed -n 's/^project(backupnfc VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
status=0
for f in bin/bnfc-hostd bin/bnfc-vib "bnfc-hostd-$version.vib" "bnfc-hostd-$version-offline-bundle.zip"; do
  [ -f "$a_build/$f" ] && [ -f "$b_build/$f" ] || fail "$f was not built"
  if cmp -s "$a_build/$f" "$b_build/$f"; then
    echo "same: $f ($(wc -c <"$a_build/$f") bytes, sha256 $(sha256sum "$a_build/$f" | cut -c1-16)...)"
  else
    echo "DIFFERENT: $f: $(cmp -l "$a_build/$f" "$b_build/$f" 2>/dev/null | wc -l) bytes differ" \
      "(sizes $(wc -c <"$a_build/$f") and $(wc -c <"$b_build/$f"))"
    status=1
  fi
done
[ $status = 0 ] && echo "PASS: built in $a_build and $b_build: identical bytes"
exit $status
