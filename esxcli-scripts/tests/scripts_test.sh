#!/bin/sh
# Tests of the ESXi shell scripts, run under `busybox sh` (ESXi's shell) with a fake root
# (BNFC_ROOT) and stub esxcli/localcli/logger/watchdog.sh/bnfc-hostd on PATH.
#   busybox sh scripts_test.sh CASE      (exit 0 pass, 1 fail, 77 skip)
# Each case asserts real behaviour; `fail` prints what was expected and what happened.

SRC=$(cd "$(dirname "$0")/.." && pwd)
CASE=$1
SH="${BNFC_TEST_SH:-busybox sh}"
T=$(mktemp -d /tmp/bnfc-scripts-test.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
ROOT="$T/root"
export BNFC_ROOT="$ROOT" STUB_LOG="$T/calls.log" HOST="$T/host"
mkdir -p "$T/bin" "$ROOT/sbin" "$ROOT/opt/bnfc/bin" "$ROOT/etc/bnfc" "$HOST/tags" "$T/wd"
cp "$SRC/hostd.conf" "$ROOT/etc/bnfc/hostd.conf"
export PATH="$T/bin:$PATH"

fail() {
  echo "FAIL [$CASE]: $*"
  echo "--- calls:"
  cat "$STUB_LOG" 2>/dev/null
  exit 1
}
expect_contains() { # FILE-OR-TEXT NEEDLE WHAT
  case "$1" in *"$2"*) ;; *) fail "$3: expected to find '$2' in: $1" ;; esac
}
expect_not_contains() {
  case "$1" in *"$2"*) fail "$3: did not expect '$2' in: $1" ;; esac
}
need_python() {
  command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is needed for XML checks"; exit 77; }
}

# --- stubs ---------------------------------------------------------------------------------
cat >"$T/bin/logger" <<'S'
#!/bin/sh
echo "logger $*" >>"$STUB_LOG"
S
cat >"$T/bin/localcli" <<'S'
#!/bin/sh
echo "localcli $*" >>"$STUB_LOG"
S
cat >"$T/bin/setsid" <<'S'
#!/bin/sh
exec "$@"
S
cat >"$T/bin/pidof" <<'S'
#!/bin/sh
echo "pidof $*" >>"$STUB_LOG"
S
cat >"$ROOT/sbin/watchdog.sh" <<S
#!/bin/sh
echo "watchdog.sh \$*" >>"\$STUB_LOG"
case "\$1" in
  -s) : >"$T/wd/\$2" ;;
  -k) rm -f "$T/wd/\$2" ;;
  -r) if [ -f "$T/wd/\$2" ]; then echo 1; else echo 0; fi ;;
esac
S
cat >"$ROOT/opt/bnfc/bin/bnfc-hostd" <<'S'
#!/bin/sh
echo "bnfc-hostd $*" >>"$STUB_LOG"
case "$1" in
  keygen)
    echo "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" >"$3/hostd.key"
    echo "secret" >"$3/hostd.key_secret"
    echo "created $3/hostd.key: SHA256:abcd"
    ;;
  key)
    [ -f "$4/hostd.key" ] || { echo "no key" >&2; exit 1; }
    cat "$4/hostd.key"; echo "SHA256:abcd" ;;
  status) echo "backup vmknic vmk2 <ok> & tagged ]]> done"; exit 0 ;;
  check) echo "TAG_MISSING: vmk2 lacks vSphereBackupNFC"; exit 1 ;;
  tag) echo "tagged vmk2"; exit 0 ;;
esac
S
# A fake host: vmk0 Management, vmk1 (Management tag too), vmk2 backup, vmk3 on vmotion stack.
cat >"$HOST/interfaces" <<'S'
vmk0 defaultTcpipStack
vmk1 defaultTcpipStack
vmk2 defaultTcpipStack
vmk3 vmotion
S
echo "Management" >"$HOST/tags/vmk0"
echo "Management, VMotion" >"$HOST/tags/vmk1"
: >"$HOST/tags/vmk2"
: >"$HOST/tags/vmk3"
cat >"$T/bin/esxcli" <<'S'
#!/bin/sh
echo "esxcli $*" >>"$STUB_LOG"
xml=0
if [ "$1" = "--formatter=xml" ]; then xml=1; shift; fi
[ "$ESXCLI_FAIL" = "$*" ] && { echo "Error: simulated failure" >&2; exit 1; }
case "$*" in
  "network ip interface list")
    while read -r n s; do
      if [ $xml = 1 ]; then echo "<structure><field name=\"Name\"><string>$n</string></field></structure>"
      else printf '%s\n   Name: %s\n   Netstack Instance: %s\n   MTU: 1500\n\n' "$n" "$n" "$s"; fi
    done <"$HOST/interfaces" ;;
  "network ip interface tag get -i "*)
    f="$HOST/tags/$7"; [ -f "$f" ] || { echo "Error: no such vmknic $7" >&2; exit 1; }
    if [ $xml = 1 ]; then echo "<tags>$(cat "$f")</tags>"; else echo "   Tags: $(cat "$f")"; fi ;;
  "network ip interface tag add -i "*" -t "*)
    f="$HOST/tags/$7"; t=$(cat "$f")
    if [ -n "$t" ]; then echo "$t, $9" >"$f"; else echo "$9" >"$f"; fi ;;
  "network ip interface tag remove -i "*" -t "*)
    f="$HOST/tags/$7"
    sed "s/, $9//; s/^$9, //; s/^$9\$//" "$f" >"$f.new" && mv "$f.new" "$f" ;;
  *) if [ $xml = 1 ]; then echo "<output>$*</output>"; else echo "output of $*"; fi ;;
esac
S
chmod 755 "$T/bin/"* "$ROOT/sbin/watchdog.sh" "$ROOT/opt/bnfc/bin/bnfc-hostd"

INIT="$SRC/init.d/bnfc-hostd"
WRAP="$SRC/esxcli/bnfc-esxcli.sh"
calls() { cat "$STUB_LOG" 2>/dev/null; }
count() { grep -c "$1" "$STUB_LOG" 2>/dev/null || true; }
# `start` launches the watchdog in the background (as on ESXi), so wait until the call NEEDLE has
# been made N times (up to 10 s) before looking at what start did.
wait_calls() { # NEEDLE N
  i=0
  while [ "$(count "$1")" -lt "$2" ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  [ "$(count "$1")" -ge "$2" ] || fail "'$1' was called $(count "$1") times, expected $2"
}

# --- cases ---------------------------------------------------------------------------------
case "$CASE" in
init_header)
  head -12 "$INIT" | grep -q '^# chkconfig: on [0-9]* [0-9]*$' || fail "no chkconfig header"
  head -12 "$INIT" | grep -q '^# description: ' || fail "no description header"
  tag=$(sed -n 's/^TAG=\([^ ]*\).*/\1/p' "$INIT")
  [ -n "$tag" ] && [ ${#tag} -le 15 ] || fail "watchdog tag '$tag' must be 1..15 chars"
  $SH -n "$INIT" || fail "syntax"
  ;;
init_start_install)
  out=$($SH "$INIT" start install) || fail "start install exited $?"
  wait_calls 'watchdog.sh -s' 1
  [ -s "$ROOT/etc/bnfc/hostd.key" ] && [ -s "$ROOT/etc/bnfc/hostd.key_secret" ] ||
    fail "keys not generated into /etc/bnfc"
  expect_contains "$(calls)" "bnfc-hostd keygen --dir $ROOT/etc/bnfc" "keygen call"
  expect_contains "$(calls)" "watchdog.sh -s bnfc-hostd $ROOT/opt/bnfc/bin/bnfc-hostd ++group=host/vim/vmvisor/plugins/bnfc-hostd run --config $ROOT/etc/bnfc/hostd.conf" "watchdog start"
  expect_contains "$(calls)" "sched group add --group-name=bnfc-hostd --parent-path=host/vim/vmvisor/plugins" "resource group"
  expect_contains "$(calls)" "sched group setmemconfig -g host/vim/vmvisor/plugins/bnfc-hostd --min=0 --max=64 --minlimit=-1 -u mb" "memory cap"
  expect_contains "$(calls)" "logger -t bnfc-hostd VIB installed" "lifecycle log"
  $SH "$INIT" status >/dev/null || fail "status after start should exit 0"
  ;;
init_start_twice)
  $SH "$INIT" start >/dev/null || fail "first start"
  wait_calls 'watchdog.sh -s' 1
  key1=$(cat "$ROOT/etc/bnfc/hostd.key")
  out=$($SH "$INIT" start) || fail "second start"
  expect_contains "$out" "already running" "second start"
  [ "$(count 'watchdog.sh -s')" = 1 ] || fail "watchdog started $(count 'watchdog.sh -s') times"
  [ "$(count 'keygen')" = 1 ] || fail "keys generated again"
  [ "$key1" = "$(cat "$ROOT/etc/bnfc/hostd.key")" ] || fail "key changed"
  ;;
init_upgrade)
  $SH "$INIT" start upgrade >/dev/null || fail "start upgrade"
  expect_contains "$(calls)" "logger -t bnfc-hostd VIB upgraded" "upgrade log"
  ;;
init_stop_remove)
  $SH "$INIT" start install >/dev/null || fail "start"
  wait_calls 'watchdog.sh -s' 1
  $SH "$INIT" stop remove >/dev/null || fail "stop remove"
  expect_contains "$(calls)" "watchdog.sh -k bnfc-hostd" "watchdog stop"
  expect_contains "$(calls)" "sched group delete --group-path=host/vim/vmvisor/plugins/bnfc-hostd" "group removed"
  $SH "$INIT" status >/dev/null
  [ $? = 3 ] || fail "status after stop should exit 3"
  [ -s "$ROOT/etc/bnfc/hostd.key" ] || fail "keys must survive removal"
  ;;
init_restart)
  $SH "$INIT" start >/dev/null
  wait_calls 'watchdog.sh -s' 1
  $SH "$INIT" restart >/dev/null || fail "restart"
  wait_calls 'watchdog.sh -s' 2
  [ "$(count 'watchdog.sh -s')" = 2 ] || fail "restart should start again"
  [ "$(count 'watchdog.sh -k')" = 1 ] || fail "restart should stop once"
  ;;
init_missing_binary)
  rm "$ROOT/opt/bnfc/bin/bnfc-hostd"
  out=$($SH "$INIT" start) && fail "start without the binary must fail"
  expect_contains "$out" "is missing" "message"
  [ "$(count 'watchdog.sh -s')" = 0 ] || fail "watchdog must not start"
  ;;
init_usage)
  $SH "$INIT" frobnicate 2>/dev/null && fail "unknown action must fail"
  true
  ;;
firewall_xml)
  need_python
  python3 - "$SRC/firewall/bnfc-hostd.xml" <<'P' || fail "firewall XML shape"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "ConfigRoot", root.tag
services = root.findall("service")
assert len(services) == 1
s = services[0]
assert s.get("id") == "0000"
assert s.findtext("id") == "bnfcHostd"
rules = s.findall("rule")
assert len(rules) == 1, "exactly one rule"
r = rules[0]
assert (r.findtext("direction"), r.findtext("protocol"), r.findtext("porttype"), r.findtext("port")) == ("outbound", "tcp", "dst", "9902"), [c.text for c in r]
assert s.findtext("enabled") == "true" and s.findtext("required") == "false"
P
  ;;
plugin_xml)
  need_python
  python3 - "$SRC/esxcli/bnfc.xml" <<'P' || fail "plugin XML shape"
import sys, xml.etree.ElementTree as ET
ns = "{http://www.vmware.com/Products/ESX/5.0/esxcli/}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "plugin", root.tag
spaces = [n.get("path") for n in root.iter(ns + "namespace")]
assert spaces == ["backupnfc", "backupnfc.proxy", "backupnfc.key"], spaces
cmds = {c.get("path"): c for c in root.iter(ns + "command")}
want = ["backupnfc.status", "backupnfc.check", "backupnfc.tag", "backupnfc.proxy.add",
        "backupnfc.proxy.remove", "backupnfc.proxy.list", "backupnfc.key.show"]
assert sorted(cmds) == sorted(want), sorted(cmds)
for path, c in cmds.items():
    for part in ("description", "input-spec", "output-spec", "format-parameters", "execute"):
        assert c.find(ns + part) is not None, (path, part)
    assert c.findtext(ns + "execute").startswith("/opt/bnfc/bin/bnfc-esxcli.sh "), path
add = cmds["backupnfc.proxy.add"]
params = [p.get("name") for p in add.iter(ns + "parameter")]
assert params == ["address", "key"], params
assert "$val{address}" in add.findtext(ns + "execute")
P
  ;;
wrapper_xml)
  need_python
  $SH "$INIT" start >/dev/null
  for cmd in status check tag proxy-list key-show "proxy-add 10.98.0.100:9902 rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" "proxy-remove 10.98.0.100:9902"; do
    # shellcheck disable=SC2086
    $SH "$WRAP" $cmd >"$T/out.xml" || fail "$cmd exited $?"
    python3 - "$T/out.xml" "$cmd" <<'P' || fail "output of '$cmd' is not esxcli XML: $(cat "$T/out.xml")"
import sys, xml.etree.ElementTree as ET
ns = "{http://www.vmware.com/Products/ESX/5.0/esxcli/}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "output", root.tag
cmd = sys.argv[2].split()[0]
if cmd == "proxy-list":
    assert root.find(ns + "list").get("type") == "structure"
else:
    s = root.find(ns + "structure")
    fields = {f.get("name"): f.findtext(ns + "string") for f in s.findall(ns + "field")}
    if cmd == "key-show":
        assert fields["Public Key"] == "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", fields
        assert fields["Fingerprint"] == "SHA256:abcd"
    elif cmd == "check":
        assert fields["Status"] == "not ready", fields
        assert "TAG_MISSING" in fields["Message"]
    elif cmd == "status":
        assert fields["Status"] == "ok", fields
        assert fields["Message"] == "backup vmknic vmk2 <ok> & tagged ]]> done", fields
    else:
        assert fields["Status"] == "ok", fields
P
  done
  ;;
wrapper_proxy)
  need_python
  key='rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7'
  $SH "$WRAP" proxy-add 10.98.0.100:9902 "$key" >/dev/null
  $SH "$WRAP" proxy-add 10.98.0.101:9902 "$key" >/dev/null
  grep -qx "proxy = 10.98.0.100:9902 $key" "$ROOT/etc/bnfc/hostd.conf" || fail "proxy line not written"
  out=$($SH "$WRAP" proxy-add 10.98.0.100:9902 "$key")
  expect_contains "$out" "already configured" "duplicate add"
  out=$($SH "$WRAP" proxy-add 10.98.0:9902 "$key")
  expect_contains "$out" "<string>error</string>" "bad address"
  out=$($SH "$WRAP" proxy-add 10.98.0.102:9902 short)
  expect_contains "$out" "40-character" "bad key"
  $SH "$WRAP" proxy-list >"$T/list.xml"
  n=$(python3 -c "import sys,xml.etree.ElementTree as E;r=E.parse(sys.argv[1]).getroot();print([f.text for f in r.iter('{http://www.vmware.com/Products/ESX/5.0/esxcli/}string')])" "$T/list.xml")
  [ "$n" = "['10.98.0.100:9902', '$key', '10.98.0.101:9902', '$key']" ] || fail "list: $n"
  $SH "$WRAP" proxy-remove 10.98.0.100:9902 >/dev/null
  grep -q "^proxy = 10.98.0.100" "$ROOT/etc/bnfc/hostd.conf" && fail "proxy not removed"
  grep -q "10.98.0.101:9902" "$ROOT/etc/bnfc/hostd.conf" || fail "other proxy lost"
  grep -q "^backup_vmk = vmk2" "$ROOT/etc/bnfc/hostd.conf" || fail "other settings lost"
  out=$($SH "$WRAP" proxy-remove 10.98.0.100:9902)
  expect_contains "$out" "not configured" "removing twice"
  ;;
tag_safety)
  TAGSH="$SRC/bnfc-tag.sh"
  out=$($SH "$TAGSH" tag vmk0 2>&1) && fail "vmk0 must be refused"
  expect_contains "$out" "refusing vmk0" "vmk0"
  out=$($SH "$TAGSH" tag vmk1 2>&1) && fail "a Management vmknic must be refused"
  expect_contains "$out" "Management" "management"
  out=$($SH "$TAGSH" tag vmk3 2>&1) && fail "a vmotion-stack vmknic must be refused"
  expect_contains "$out" "defaultTcpipStack" "netstack"
  out=$($SH "$TAGSH" tag vmk9 2>&1) && fail "an unknown vmknic must be refused"
  out=$($SH "$TAGSH" tag eth0 2>&1) && fail "a non-vmknic name must be refused"
  expect_not_contains "$(calls)" "tag add" "no change on refusal"
  ;;
tag_roundtrip)
  TAGSH="$SRC/bnfc-tag.sh"
  $SH "$TAGSH" verify vmk2 >/dev/null && fail "verify before tagging should fail"
  out=$($SH "$TAGSH" tag vmk2) || fail "tag vmk2: $out"
  [ "$(cat "$HOST/tags/vmk2")" = vSphereBackupNFC ] || fail "tag not added"
  expect_contains "$(calls)" "esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC" "add call"
  out=$($SH "$TAGSH" tag vmk2) || fail "tag twice"
  expect_contains "$out" "already carries" "idempotent"
  out=$($SH "$TAGSH" verify vmk2) || fail "verify after tagging: $out"
  expect_contains "$out" "vmk2: ok" "verify"
  $SH "$TAGSH" untag vmk2 >/dev/null || fail "untag"
  [ -z "$(cat "$HOST/tags/vmk2")" ] || fail "tag not removed: $(cat "$HOST/tags/vmk2")"
  ;;
tag_verify_unsafe)
  echo "Management, vSphereBackupNFC" >"$HOST/tags/vmk0"
  out=$($SH "$SRC/bnfc-tag.sh" verify) && fail "tag on management must fail verify"
  expect_contains "$out" "UNSAFE: vmk0" "unsafe"
  ;;
collect)
  $SH "$SRC/bnfc-collect.sh" "$T/out" >/dev/null || fail "collect exited $?"
  for f in system_version_get network_ip_interface_list network_ip_interface_ipv4_get \
           network_ip_neighbor_list network_ip_route_ipv4_list network_ip_netstack_list \
           network_ip_interface_tag_get_vmk0 network_ip_interface_tag_get_vmk2 \
           network_ip_interface_tag_get_vmk3; do
    [ -s "$T/out/$f.txt" ] || fail "$f.txt missing"
    [ -s "$T/out/$f.xml" ] || fail "$f.xml missing"
  done
  grep -q "Tags: Management" "$T/out/network_ip_interface_tag_get_vmk0.txt" || fail "tag file content"
  expect_contains "$(calls)" "esxcli --formatter=xml network ip interface list" "xml twin"
  ls "$T/out" | grep -q '\.err$' && fail "no .err files expected"
  true
  ;;
collect_failure)
  export ESXCLI_FAIL="network ip neighbor list"
  $SH "$SRC/bnfc-collect.sh" "$T/out" >/dev/null 2>"$T/err" && fail "a failed command must make exit 1"
  grep -q "network_ip_neighbor_list.txt" "$T/err" || fail "failure not listed: $(cat "$T/err")"
  [ -s "$T/out/network_ip_neighbor_list.txt.err" ] || fail ".err file missing"
  [ -s "$T/out/network_ip_route_ipv4_list.txt" ] || fail "later commands must still be saved"
  ;;
*)
  echo "unknown case '$CASE'"
  exit 2
  ;;
esac
echo "PASS [$CASE]"
