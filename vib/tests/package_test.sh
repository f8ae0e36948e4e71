#!/bin/sh
# The VIB and bundle `./run build` makes: both verify for ESXi 7.0 and 8.0, the payload holds the
# agent's files, a rebuild from the same staged tree (in another time zone) gives the same bytes,
# and the real VIBs pass the releases they were built for and fail the others.
#   package_test.sh BNFC_VIB VIB ZIP STAGE MANIFEST FIXTURE_DIR
set -u
tool=$1 vib=$2 zip=$3 stage=$4 manifest=$5 fixtures=$6
fail() { echo "FAIL: $*"; exit 1; }
[ -f "$vib" ] && [ -f "$zip" ] || { echo "SKIP: $vib / $zip not built (target bnfc-hostd-vib)"; exit 77; }

for target in 7.0 8.0; do
  "$tool" verify --target "$target" "$vib" || fail "the VIB does not verify for ESXi $target"
  "$tool" verify --target "$target" "$zip" || fail "the offline bundle does not verify for ESXi $target"
done
# The real VIBs: each passes the releases it was built for and fails the others with ESXi's reason.
expect() {  # FILE TARGET 0|1 [TEXT]
  out=$("$tool" verify --target "$2" "$fixtures/$1")
  rc=$?
  [ "$rc" = "$3" ] || { echo "$out"; fail "$1 for ESXi $2: exit $rc, expected $3"; }
  [ -z "${4:-}" ] || echo "$out" | grep -qF "$4" || { echo "$out"; fail "$1 for ESXi $2: no '$4'"; }
}
nogz="does not have sha-256 gunzip checksum"
expect esxcli-nsx-ext.vib 8.0 0
expect esxcli-nsx-ext.vib 7.0 0 ESXI7_GUNZIP_SHA256_UNPROVEN
expect ghettoVCB-2019.vib 7.0 0
expect ghettoVCB-2019.vib 8.0 1 "$nogz"
expect hwmond-xserve-3.2.5.vib 7.0 0
expect hwmond-xserve-3.2.5.vib 8.0 1 "$nogz"
json=$("$tool" inspect "$vib" --json) || fail "inspect"
for path in opt/bnfc/bin/bnfc-hostd etc/init.d/bnfc-hostd etc/vmware/firewall/bnfc-hostd.xml \
            etc/bnfc/hostd.conf usr/lib/vmware/esxcli/ext/bnfc.xml opt/bnfc/bin/bnfc-esxcli.sh; do
  echo "$json" | grep -q "\"$path\"" || fail "payload lacks $path"
done
echo "$json" | grep -q '"acceptance_level": "community"' || fail "not community level"
tmp=$(mktemp -d /tmp/bnfc-vib-package.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$tool" build --manifest "$manifest" --payload "$stage" --out "$tmp/again.vib" >/dev/null ||
  fail "rebuild"
cmp "$vib" "$tmp/again.vib" || fail "rebuilding from the same inputs gave different bytes"
# Another time zone must not change the zip's DOS times.
TZ=Asia/Tokyo "$tool" bundle --vib "$tmp/again.vib" --out "$tmp/again.zip" --vendor-code BNFC \
  --vendor-name backupnfc >/dev/null || fail "re-bundle"
cmp "$zip" "$tmp/again.zip" || fail "re-bundling gave different bytes"
echo "PASS: $(basename "$vib") and $(basename "$zip") verify and rebuild byte-identical"
