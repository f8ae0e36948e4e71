# Sourced (sh): bnfc-hostd under the ESXi profile with esxsim outside it behind esxi-relay, as
# profile_test.sh and bench/hostd_memory_bench.sh run it (syscall_inventory.py reads the same
# esx01-state.json). The caller owns the work folder and kills $relay_pid on exit.
profile_dir=$(dirname "$0")/../esxi-profile
profile_dir=$(cd "$profile_dir" && pwd)

# profile_start_relay WORK BIN SOCKET [LAUNCH_LOG]: esxcli/localcli/vmkping in WORK/relay-bin are
# the relay; esxsim serves WORK/state.json (esx01-state.json unless the caller wrote one first);
# the relay logs to WORK/relay.log and each relayed command line to LAUNCH_LOG. Sets relay_pid
# and exports PATH and ESXI_RELAY_SOCKET. Returns 1 when the relay does not start.
profile_start_relay() {
  mkdir -p "$1/relay-bin"
  for c in esxcli localcli vmkping; do ln -s "$2/esxi-relay" "$1/relay-bin/$c"; done
  [ -f "$1/state.json" ] || cp "$profile_dir/esx01-state.json" "$1/state.json"
  env ESXSIM_STATE="$1/state.json" ${4:+ESXI_RELAY_LOG="$4"} "$2/esxi-relay" serve "$3" "$2" \
    2>"$1/relay.log" &
  relay_pid=$!
  _i=0
  until grep -q "esxi-relay: serving" "$1/relay.log" 2>/dev/null; do
    _i=$((_i + 1))
    [ $_i -gt 200 ] && return 1
    sleep 0.05
  done
  export PATH="$1/relay-bin:$PATH" ESXI_RELAY_SOCKET="$3"
}

# profile_hostd_conf WORK INTERVAL: WORK/hostd.conf for esx01 (keys in WORK/hostd.key*, from
# `bnfc-hostd keygen --dir WORK`), probing 10.99.0.100 from vmk2 and reporting to 127.0.0.1:9,
# where nothing listens, so libzmq's threads run without a proxy.
profile_hostd_conf() {
  cat >"$1/hostd.conf" <<CONF
host_id = esx01
backup_vmk = vmk2
tag_policy = ensure
interval = $2
probe = 10.99.0.100 9000
proxy = 127.0.0.1:9 $(cat "$1/hostd.key")
public_key_file = $1/hostd.key
secret_key_file = $1/hostd.key_secret
CONF
}
