#!/bin/sh
# The VIB and bundle `./run build` makes: both verify, the payload holds the agent's files, a
# rebuild from the same staged tree gives the same bytes, and the real fixtures verify too.
#   package_test.sh BNFC_VIB VIB ZIP STAGE MANIFEST FIXTURE_DIR
set -u
tool=$1 vib=$2 zip=$3 stage=$4 manifest=$5 fixtures=$6
fail() { echo "FAIL: $*"; exit 1; }
[ -f "$vib" ] && [ -f "$zip" ] || { echo "SKIP: $vib / $zip not built (target bnfc-hostd-vib)"; exit 77; }

"$tool" verify "$vib" || fail "the VIB does not verify"
"$tool" verify "$zip" || fail "the offline bundle does not verify"
for f in "$fixtures"/esxcli-nsx-ext.vib "$fixtures"/hwmond-xserve-3.2.5.vib; do
  "$tool" verify "$f" >/dev/null || fail "fixture $f does not verify"
done
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
"$tool" bundle --vib "$tmp/again.vib" --out "$tmp/again.zip" --vendor-code BNFC \
  --vendor-name backupnfc >/dev/null || fail "re-bundle"
cmp "$zip" "$tmp/again.zip" || fail "re-bundling gave different bytes"
echo "PASS: $(basename "$vib") and $(basename "$zip") verify and rebuild byte-identical"
