#!/bin/sh
# The host agent must run on ESXi: a fully static x86-64 executable, at most 5 MB once stripped,
# without the calls ESXi's userworld lacks.
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
# Functions that abort or fail on ESXi's userworld (field notes: glibc's select is pselect6 with
# no fallback, closefrom aborts without close_range and /proc, libzmq aborts without eventfd2,
# epoll_create1 or accept4; posix_spawn may use clone3/vfork): none may be linked in.
banned=$(nm "$bin" 2>/dev/null | awk '$2 ~ /^[TtWw]$/ {print $3}' |
  grep -xE '(__)?(select|pselect|epoll_create1?|epoll_pwait2?|eventfd|accept4|closefrom|posix_spawnp?)' || true)
if [ -n "$banned" ]; then
  echo "FAIL: $bin links functions ESXi's userworld lacks: $(echo $banned)" >&2
  exit 1
fi
echo "no select, epoll, eventfd, accept4, closefrom or posix_spawn linked in"
"$bin" --version
