#!/bin/sh
# bnfc-collect.sh: save the esxcli outputs the host agent reads into a folder, for
# `bnfc-hostd inventory --from-dir DIR` on another machine. For hosts without the VIB.
# Busybox-sh compatible.
#
#   bnfc-collect.sh [DIR]     default DIR: ./bnfc-collect-<hostname>-<YYYYmmddTHHMMSS>
#
# One file per command: the words after "esxcli" joined by "_", ".txt" for the text formatter
# and ".xml" for --formatter=xml; per-vmknic commands end in "_vmkN". A command that fails leaves
# its output in "<file>.err" and is listed at the end; the others are still saved.
# ESXCLI (default esxcli) is the command used; localcli works too.

ESXCLI="${ESXCLI:-esxcli}"
DIR=$1
if [ -z "${DIR}" ]; then
  DIR="./bnfc-collect-$(hostname 2>/dev/null || echo host)-$(date -u +%Y%m%dT%H%M%S)"
fi
mkdir -p "${DIR}" || {
  echo "bnfc-collect: cannot create ${DIR}" >&2
  exit 2
}
failed=

# save BASE WORDS...: runs the command with both formatters.
save() {
  base=$1
  shift
  if ! ${ESXCLI} "$@" >"${DIR}/${base}.txt" 2>"${DIR}/${base}.txt.err"; then
    failed="${failed} ${base}.txt"
    rm -f "${DIR}/${base}.txt"
  else
    rm -f "${DIR}/${base}.txt.err"
  fi
  if ! ${ESXCLI} --formatter=xml "$@" >"${DIR}/${base}.xml" 2>"${DIR}/${base}.xml.err"; then
    failed="${failed} ${base}.xml"
    rm -f "${DIR}/${base}.xml"
  else
    rm -f "${DIR}/${base}.xml.err"
  fi
}

save system_version_get system version get
save network_ip_interface_list network ip interface list
save network_ip_interface_ipv4_get network ip interface ipv4 get
save network_ip_interface_ipv6_address_list network ip interface ipv6 address list
save network_ip_netstack_list network ip netstack list
save network_ip_neighbor_list network ip neighbor list
save network_ip_route_ipv4_list network ip route ipv4 list
for vmk in $(awk '/^[^ \t]/ { print $1 }' "${DIR}/network_ip_interface_list.txt" 2>/dev/null); do
  case "${vmk}" in
    vmk[0-9]*) save "network_ip_interface_tag_get_${vmk}" network ip interface tag get -i "${vmk}" ;;
  esac
done

echo "saved esxcli outputs in ${DIR}"
if [ -n "${failed}" ]; then
  echo "bnfc-collect: these commands failed (see the .err files):${failed}" >&2
  exit 1
fi
exit 0
