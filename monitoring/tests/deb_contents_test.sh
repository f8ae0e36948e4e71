#!/bin/sh
# The proxy .deb carries the rules, the dashboard and the Alertmanager example at the paths
# docs/operations.md names (CPack packs what monitoring/CMakeLists.txt installs).
set -eu
build_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/out" > "$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log" >&2
  echo "FAIL: cpack could not build the package" >&2
  exit 1
}
deb=$(ls "$work"/out/bnfc-proxyd_*_amd64.deb)
dpkg-deb -c "$deb" > "$work/contents.txt"
for path in prometheus/bnfc-rules.yml grafana/bnfc-fleet.json alertmanager/bnfc-route.yml; do
  grep -q " \./usr/share/bnfc-proxyd/monitoring/$path\$" "$work/contents.txt" ||
    { echo "FAIL: the .deb lacks /usr/share/bnfc-proxyd/monitoring/$path" >&2; exit 1; }
done
echo "ok: the .deb installs the monitoring files"
