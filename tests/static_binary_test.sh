#!/bin/sh
# The host agent must run on ESXi: a fully static x86-64 executable, at most 5 MB once stripped.
set -eu
bin=$1
limit=$((5 * 1024 * 1024))
description=$(file -b "$bin")
echo "file: $description"
case "$description" in
  *"ELF 64-bit"*x86-64*"statically linked"*) ;;
  *) echo "FAIL: $bin is not a statically linked x86-64 ELF executable" >&2; exit 1 ;;
esac
if ldd "$bin" >/dev/null 2>&1; then
  echo "FAIL: ldd lists dynamic dependencies for $bin" >&2
  exit 1
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
strip -o "$tmp" "$bin"
size=$(stat -c %s "$tmp")
echo "stripped size: $size bytes (limit $limit)"
[ "$size" -le "$limit" ] || { echo "FAIL: stripped size over 5 MB" >&2; exit 1; }
"$bin" --version
