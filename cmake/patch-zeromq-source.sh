#!/bin/sh
# Apply cmake/patches/zeromq-*.patch to the unpacked zeromq3 source in $1, each once: a patch that
# already applies in reverse is in place (a rebuild, or the copy the reproducibility test seeds).
set -eu
src=$1
patches=$(dirname "$0")/patches
for p in "$patches"/zeromq-*.patch; do
  if patch -d "$src" -p1 -R --dry-run -s -f <"$p" >/dev/null 2>&1; then
    continue
  fi
  patch -d "$src" -p1 -s -f --no-backup-if-mismatch <"$p" || {
    echo "patch-zeromq-source: $p does not apply to $src" >&2
    exit 1
  }
  echo "patch-zeromq-source: applied $(basename "$p")"
done
