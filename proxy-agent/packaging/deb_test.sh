#!/bin/sh
# Builds the proxy .deb with CPack into a scratch directory, then checks its control data and
# every file the package must carry, and runs the packaged binary from an extracted root.
set -eu
build_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/out" >cpack.log 2>&1 || {
  cat cpack.log >&2
  echo "FAIL: cpack could not build the package" >&2
  exit 1
}
deb=$(ls "$work"/out/bnfc-proxyd_*_amd64.deb)
echo "package: $(basename "$deb")"
dpkg-deb -I "$deb" > info.txt
for field in "Package: bnfc-proxyd" "Architecture: amd64" "Section: admin"; do
  grep -q "$field" info.txt || { echo "FAIL: control lacks '$field'" >&2; cat info.txt >&2; exit 1; }
done
grep -q "Depends:.*libzmq\|Depends:.*libpoco\|Depends:.*libc6" info.txt ||
  { echo "FAIL: no shared-library dependencies recorded" >&2; exit 1; }
dpkg-deb -c "$deb" > contents.txt
for path in ./usr/sbin/bnfc-proxyd ./lib/systemd/system/bnfc-proxyd.service \
    ./etc/bnfc/proxyd.conf ./etc/iproute2/rt_protos.d/bnfc.conf; do
  grep -q " $path\$" contents.txt || { echo "FAIL: package lacks $path" >&2; cat contents.txt >&2; exit 1; }
done
dpkg-deb -e "$deb" control
grep -qx /etc/bnfc/proxyd.conf control/conffiles || { echo "FAIL: proxyd.conf is not a conffile" >&2; exit 1; }
dpkg-deb -x "$deb" root
unit=root/lib/systemd/system/bnfc-proxyd.service
for line in "CapabilityBoundingSet=CAP_NET_ADMIN" "ProtectSystem=strict" "NoNewPrivileges=yes" \
    "Restart=on-failure" "ReadWritePaths=/var/lib/bnfc"; do
  grep -qx "$line" "$unit" || { echo "FAIL: unit lacks $line" >&2; exit 1; }
done
grep -q "^190[[:space:]]bnfc$" root/etc/iproute2/rt_protos.d/bnfc.conf || { echo "FAIL: rt_protos entry" >&2; exit 1; }
"root/usr/sbin/bnfc-proxyd" --version
"root/usr/sbin/bnfc-proxyd" --help | grep -q "keys accept" || { echo "FAIL: --help lacks keys accept" >&2; exit 1; }
echo "ok: package contents, control data, unit hardening and binary checked"
