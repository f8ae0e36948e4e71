#!/bin/sh
# Fetch and unpack Debian's zeromq3 source package into $1 without touching the machine's own
# package lists: a private sources list, private list and cache directories.
set -eu
dest=$1
work=$(dirname "$dest")/apt-src
if [ -f "$dest/CMakeLists.txt" ]; then
  exit 0
fi
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/unpack"
mirror=${BNFC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" \
  > "$work/sources.list"
apt_opts="-o Dir::Etc::sourcelist=$work/sources.list -o Dir::Etc::sourceparts=/dev/null \
 -o Dir::State::Lists=$work/lists -o Dir::Cache=$work/cache -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get -qq $apt_opts update
cd "$work/unpack"
# shellcheck disable=SC2086
apt-get -qq $apt_opts source --download-only zeromq3
dsc=$(ls ./*.dsc | head -n1)
rm -rf "$dest"
dpkg-source --no-check -x "$dsc" "$dest" >/dev/null
