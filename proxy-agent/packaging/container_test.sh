#!/bin/sh
# The proxy .deb under a real, booted systemd: debootstrap a minimal Debian 12 (cached under
# BUILD/pkgtest, keyed by the package's dependencies), boot a fresh copy with systemd-nspawn (its
# own network namespace: only loopback), and check what Debian users rely on:
#   install  -> enabled and running, /healthz and /metrics answer, `keys` works, the open-file
#               limit and systemd-analyze security as designed
#   upgrade  -> a rebuilt package restarts the daemon (new MainPID)
#   stop     -> no route or rule of protocol bnfc (190) left in the container's kernel tables
#   remove   -> stopped, state and configuration kept;   purge -> state and configuration gone
#   container_test.sh BUILD_DIR
set -u
build=$1
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (debootstrap, systemd-nspawn)"; exit 77; }
for tool in debootstrap systemd-nspawn nsenter cpack dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (./run setup installs it)"; exit 77; }
done

pkgtest=$build/pkgtest
mkdir -p "$pkgtest"
out=$pkgtest/debs
rm -rf "$out" && mkdir -p "$out"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$pkgtest/cpack.log" 2>&1 ||
  { cat "$pkgtest/cpack.log"; fail "cpack"; }
deb=$(ls "$out"/bnfc-proxyd_*_amd64.deb)
version=$(dpkg-deb -f "$deb" Version)
# The upgrade: the same files under a higher version, as a rebuild would give.
dpkg-deb -R "$deb" "$out/v2" && sed -i "s/^Version: .*/Version: $version+rebuild1/" "$out/v2/DEBIAN/control" &&
  dpkg-deb -b --root-owner-group "$out/v2" "$out/upgrade.deb" >/dev/null || fail "making the upgrade package"

# The cached tree: minbase + systemd + what the package depends on (no network once cached).
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep -v '^$' | sort -u | tr '\n' ',')
key=$(echo "$deps" | sha256sum | cut -c1-12)
cache=$pkgtest/bookworm-$key
if [ ! -f "$cache/.complete" ]; then
  rm -rf "$cache"
  echo "debootstrap bookworm (minbase) into $cache"
  debootstrap --variant=minbase --include="systemd,systemd-sysv,dbus,iproute2,procps,${deps%,}" \
    bookworm "$cache" "${BNFC_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$pkgtest/debootstrap.log" 2>&1 ||
    { tail -30 "$pkgtest/debootstrap.log"; fail "debootstrap"; }
  echo bnfc-pkgtest >"$cache/etc/hostname"
  touch "$cache/.complete"
fi
root=$pkgtest/root
rm -rf "$root"
cp -a "$cache" "$root" || fail "copying the cached tree"
cp "$deb" "$root/root/v1.deb" && cp "$out/upgrade.deb" "$root/root/v2.deb"

# nspawn keeps its runtime state in /run/systemd/nspawn; on hosts without systemd that may be
# missing or read-only, so it gets a private tmpfs for the test's lifetime.
mounted=
if ! mountpoint -q /run/systemd/nspawn 2>/dev/null; then
  mkdir -p /run/systemd/nspawn && mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn && mounted=1
fi
nspawn_pid=
cleanup() {
  if [ -n "$nspawn_pid" ]; then
    kill -TERM "$nspawn_pid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      kill -0 "$nspawn_pid" 2>/dev/null || break
      sleep 1
    done
    kill -KILL "$nspawn_pid" 2>/dev/null
    wait "$nspawn_pid" 2>/dev/null
  fi
  [ -n "$mounted" ] && umount /run/systemd/nspawn
  rm -rf "$root"
}
trap cleanup EXIT INT TERM

systemd-nspawn -q -D "$root" -b --register=no --keep-unit --private-network \
  --machine=bnfc-pkgtest >"$pkgtest/console.log" 2>&1 &
nspawn_pid=$!
leader=
for _ in $(seq 1 60); do
  leader=$(pgrep -P "$nspawn_pid" | head -1)
  [ -n "$leader" ] && break
  sleep 1
done
[ -n "$leader" ] || { cat "$pkgtest/console.log"; fail "the container did not start"; }
inside() { nsenter -t "$leader" -m -u -i -n -p -- env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
state=
for _ in $(seq 1 90); do
  state=$(inside systemctl is-system-running 2>/dev/null)
  case $state in running|degraded) break ;; esac
  sleep 1
done
case $state in running|degraded) echo "container booted ($state)" ;; *) cat "$pkgtest/console.log"; fail "boot: $state" ;; esac

wait_active() {  # up to 30 s
  for _ in $(seq 1 30); do
    [ "$(inside systemctl is-active bnfc-proxyd)" = active ] && return 0
    sleep 1
  done
  inside journalctl -u bnfc-proxyd --no-pager | tail -30
  return 1
}
http_get() {  # PATH: the HTTP response from 127.0.0.1:9903 inside the container
  inside bash -c "exec 3<>/dev/tcp/127.0.0.1/9903 && printf 'GET $1 HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && cat <&3"
}
wait_healthy() {  # up to 20 s: the daemon serves, so its signal handling and loop are running
  for _ in $(seq 1 20); do
    http_get /healthz 2>/dev/null | head -1 | grep -q " 200" && return 0
    sleep 1
  done
  return 1
}

# --- install ---
inside dpkg -i /root/v1.deb >"$pkgtest/install.log" 2>&1 || { cat "$pkgtest/install.log"; fail "dpkg -i"; }
wait_active || fail "not active after install"
[ "$(inside systemctl is-enabled bnfc-proxyd)" = enabled ] || fail "not enabled after install"
echo "install: enabled and active"
wait_healthy || fail "/healthz does not answer 200"
http_get /metrics | grep -q "^bnfc_" || fail "/metrics has no bnfc_ metric"
echo "/healthz 200, /metrics serves bnfc_ metrics"
inside bnfc-proxyd keys list --config /etc/bnfc/proxyd.conf >/dev/null || fail "keys list"
inside bnfc-proxyd keys show-server-key --config /etc/bnfc/proxyd.conf | grep -q . || fail "keys show-server-key"
echo "keys list / show-server-key work"
pid1=$(inside systemctl show -p MainPID --value bnfc-proxyd)
[ "$(inside systemctl show -p LimitNOFILE --value bnfc-proxyd)" = 65536 ] || fail "the unit's LimitNOFILE is not 65536"
# In effect: 65536, unless the machine running the test caps the container lower (its hard limit).
cap=$(inside awk '/Max open files/ { print $5 }' /proc/1/limits)
want=65536
[ "$cap" != unlimited ] && [ "$cap" -lt $want ] && want=$cap
have=$(inside awk '/Max open files/ { print $4 " " $5 }' "/proc/$pid1/limits")
[ "$have" = "$want $want" ] || fail "open-file limit of the daemon is '$have', expected $want (container cap $cap)"
echo "open files: unit 65536, in effect $want (container hard limit $cap)"
score=$(inside systemd-analyze security bnfc-proxyd 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security (booted): $score"
[ -n "$score" ] && awk "BEGIN { exit !($score <= 2.5) }" || fail "exposure ${score:-unknown} > 2.5"

# --- upgrade ---
inside dpkg -i /root/v2.deb >"$pkgtest/upgrade.log" 2>&1 || { cat "$pkgtest/upgrade.log"; fail "upgrade"; }
wait_active || fail "not active after upgrade"
pid2=$(inside systemctl show -p MainPID --value bnfc-proxyd)
[ "$pid2" != "$pid1" ] && [ "$pid2" != 0 ] || fail "upgrade did not restart the daemon (MainPID $pid1 -> $pid2)"
echo "upgrade: restarted (MainPID $pid1 -> $pid2)"
# A stop that arrives while the new process is still starting ends it before its loop runs; the
# stop below is about a running daemon.
wait_healthy || fail "/healthz does not answer 200 after the upgrade"

# --- stop: nothing of ours left in the kernel tables, nothing else touched ---
# The container has no backup hosts, so the daemon pins nothing itself: plant one route stamped
# with our protocol id (what a pin looks like) and one foreign route in the same table. The owned
# one must be gone after the stop (removed by the reconcile or by the stop), the foreign one kept.
table=$(inside sed -n 's/^route_table *= *\([0-9]*\).*/\1/p' /etc/bnfc/proxyd.conf)
[ -n "$table" ] || fail "no route_table in /etc/bnfc/proxyd.conf"
inside ip route add 192.0.2.10/32 dev lo table "$table" proto 190 || fail "planting an owned route"
inside ip route add 192.0.2.11/32 dev lo table "$table" proto static || fail "planting a foreign route"
inside systemctl stop bnfc-proxyd
inside ip route show table "$table" | grep -q "^192.0.2.11 .*proto static" ||
  fail "the foreign route in table $table did not survive the stop"
inside ip route del 192.0.2.11/32 dev lo table "$table"
left=$( (inside ip -4 rule show; inside ip -6 rule show; inside ip -4 route show table all; inside ip -6 route show table all) |
  grep -E "proto (bnfc|190)( |$)" || true)
[ -z "$left" ] || { inside journalctl -u bnfc-proxyd --no-pager | tail -20; fail "routes or rules left after stop: $left"; }
echo "stop: no route or rule of protocol bnfc left (a planted one removed), the foreign route kept"
inside systemctl start bnfc-proxyd && wait_active || fail "start after stop"

# --- remove, then purge ---
inside dpkg -r bnfc-proxyd >"$pkgtest/remove.log" 2>&1 || { cat "$pkgtest/remove.log"; fail "dpkg -r"; }
[ "$(inside systemctl is-active bnfc-proxyd)" != active ] || fail "still active after remove"
inside test -d /var/lib/bnfc || fail "remove deleted the state"
inside test -f /etc/bnfc/proxyd.conf || fail "remove deleted the configuration"
echo "remove: stopped; state and configuration kept"
inside dpkg -P bnfc-proxyd >"$pkgtest/purge.log" 2>&1 || { cat "$pkgtest/purge.log"; fail "dpkg -P"; }
inside test ! -e /var/lib/bnfc || fail "purge kept /var/lib/bnfc"
inside test ! -e /etc/bnfc/proxyd.conf || fail "purge kept /etc/bnfc/proxyd.conf"
echo "purge: state and configuration gone"
echo "PASS: the package under a booted systemd"
