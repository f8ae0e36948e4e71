#!/bin/sh
# bnfc-tag.sh: put, take off or check the vSphereBackupNFC tag by hand, with the host agent's
# safety rules: only the vSphereBackupNFC tag, never vmk0, never the vmknic carrying
# Management, only vmknics on defaultTcpipStack. Busybox-sh compatible; for hosts without the VIB.
#
#   bnfc-tag.sh tag vmkN       add the tag (after the checks)
#   bnfc-tag.sh untag vmkN     remove the tag
#   bnfc-tag.sh verify [vmkN]  show which vmknics carry it; exit 0 when vmkN (if given) carries it
#                              and nothing unsafe carries it
# ESXCLI (default esxcli) is the command used; localcli works too when hostd is down.

ESXCLI="${ESXCLI:-esxcli}"
TAG=vSphereBackupNFC

die() {
  echo "bnfc-tag: $*" >&2
  exit 1
}

usage() {
  sed -n '2,11s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

# "vmkN netstack" for every vmknic, from the text output of interface list.
interfaces() {
  ${ESXCLI} network ip interface list | awk '
    /^[^ \t]/ { name = $1 }
    /^[ \t]+Netstack Instance:/ { sub(/^[ \t]+Netstack Instance:[ \t]*/, ""); print name, $0 }'
}

tags_of() {
  ${ESXCLI} network ip interface tag get -i "$1" | sed -n 's/^[[:space:]]*Tags:[[:space:]]*//p' |
    tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -v '^$'
}

has_tag() {
  tags_of "$1" | grep -qx "$2"
}

check_target() {
  vmk=$1
  case "${vmk}" in
    vmk[0-9]*) ;;
    *) die "'${vmk}' is not a vmknic name (vmkN)" ;;
  esac
  [ "${vmk}" = vmk0 ] && die "refusing vmk0: it is the management vmknic by convention"
  list=$(interfaces) || die "cannot list the vmknics (${ESXCLI} network ip interface list)"
  stack=$(echo "${list}" | awk -v v="${vmk}" '$1 == v { print $2 }')
  [ -n "${stack}" ] || die "${vmk} does not exist"
  [ "${stack}" = defaultTcpipStack ] ||
    die "${vmk} is on netstack ${stack}; ${TAG} only works on defaultTcpipStack"
  has_tag "${vmk}" Management && die "refusing ${vmk}: it carries the Management tag"
  return 0
}

cmd_tag() {
  check_target "$1"
  if has_tag "$1" "${TAG}"; then
    echo "${1} already carries ${TAG}"
    return 0
  fi
  ${ESXCLI} network ip interface tag add -i "$1" -t "${TAG}" || die "tag add failed on $1"
  has_tag "$1" "${TAG}" || die "${TAG} does not show on $1 after adding it"
  echo "${1}: ${TAG} added"
}

cmd_untag() {
  case "$1" in
    vmk[0-9]*) ;;
    *) die "'$1' is not a vmknic name (vmkN)" ;;
  esac
  if ! has_tag "$1" "${TAG}"; then
    echo "${1} does not carry ${TAG}"
    return 0
  fi
  ${ESXCLI} network ip interface tag remove -i "$1" -t "${TAG}" || die "tag remove failed on $1"
  has_tag "$1" "${TAG}" && die "${TAG} still shows on $1 after removing it"
  echo "${1}: ${TAG} removed"
}

cmd_verify() {
  want=$1
  list=$(interfaces) || die "cannot list the vmknics"
  rc=0
  carriers=
  for line in $(echo "${list}" | awk '{ print $1 ":" $2 }'); do
    vmk=${line%%:*}
    stack=${line#*:}
    [ "${stack}" = defaultTcpipStack ] || continue
    if has_tag "${vmk}" "${TAG}"; then
      carriers="${carriers} ${vmk}"
      if [ "${vmk}" = vmk0 ] || has_tag "${vmk}" Management; then
        echo "UNSAFE: ${vmk} carries ${TAG} and is the management vmknic"
        rc=1
      fi
    fi
  done
  if [ -z "${carriers}" ]; then
    echo "no vmknic carries ${TAG} (vCenter hands out the management address)"
    [ -n "${want}" ] && rc=1
  else
    echo "${TAG} on:${carriers}"
    set -- ${carriers}
    [ $# -gt 1 ] && echo "WARNING: more than one vmknic carries ${TAG}"
  fi
  if [ -n "${want}" ]; then
    case " ${carriers} " in
      *" ${want} "*) echo "${want}: ok" ;;
      *)
        echo "${want}: does not carry ${TAG}"
        rc=1
        ;;
    esac
  fi
  return ${rc}
}

case "$1" in
  tag)
    [ -n "$2" ] || usage
    cmd_tag "$2"
    ;;
  untag)
    [ -n "$2" ] || usage
    cmd_untag "$2"
    ;;
  verify) cmd_verify "$2" ;;
  *) usage ;;
esac
