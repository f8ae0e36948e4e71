#!/bin/sh
# esxcli plugin wrapper for the "backupnfc" namespace (/usr/lib/vmware/esxcli/ext/bnfc.xml).
# Prints esxcli XML on stdout so every formatter (simple, table, xml, json, keyvalue) works.
# Busybox-sh compatible. BNFC_ROOT (tests only) prefixes file paths.

ROOT="${BNFC_ROOT:-}"
BIN="${ROOT}/opt/bnfc/bin/bnfc-hostd"
CONF_DIR="${ROOT}/etc/bnfc"
CONF="${CONF_DIR}/hostd.conf"

header() {
  echo '<?xml version="1.0" ?>'
  echo '<output xmlns="http://www.vmware.com/Products/ESX/5.0/esxcli/">'
}

footer() {
  echo '</output>'
}

# Text inside CDATA; a "]]>" in it is split so the document stays well-formed.
cdata() {
  printf '<![CDATA[%s]]>' "$(printf '%s' "$1" | sed 's/]]>/]]]]><![CDATA[>/g')"
}

result() {
  header
  echo '<structure typeName="Result">'
  printf '<field name="Status"><string>%s</string></field>\n' "$1"
  printf '<field name="Message"><string>'
  cdata "$2"
  printf '</string></field>\n'
  echo '</structure>'
  footer
}

# Runs an agent command; Status from its exit code (0 ok, 1 attention needed, else error).
agent() {
  out=$("${BIN}" "$@" --config "${CONF}" 2>&1)
  rc=$?
  case ${rc} in
    0) st=ok ;;
    1) st="not ready" ;;
    *) st=error ;;
  esac
  result "${st}" "${out}"
}

valid_address() {
  echo "$1" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}:[0-9]{1,5}$|^\[[0-9A-Fa-f:.]+\]:[0-9]{1,5}$'
}

proxy_list() {
  header
  echo '<list type="structure">'
  if [ -f "${CONF}" ]; then
    sed -n 's/^[[:space:]]*proxy[[:space:]]*=[[:space:]]*//p' "${CONF}" | while read -r addr key rest; do
      echo '<structure typeName="Proxy">'
      printf '<field name="Address"><string>%s</string></field>\n' "${addr}"
      printf '<field name="Key"><string>'
      cdata "${key}"
      printf '</string></field>\n'
      echo '</structure>'
    done
  fi
  echo '</list>'
  footer
}

has_proxy() {
  [ -f "${CONF}" ] && sed -n 's/^[[:space:]]*proxy[[:space:]]*=[[:space:]]*//p' "${CONF}" |
    awk -v a="$1" '$1 == a { found = 1 } END { exit !found }'
}

proxy_add() {
  addr=$1
  key=$2
  if ! valid_address "${addr}"; then
    result error "address '${addr}' is not IPV4:PORT or [IPV6]:PORT"
    return 1
  fi
  if [ "${#key}" -ne 40 ] || printf '%s' "${key}" | grep -q '[[:space:]]'; then
    result error "key must be the proxy's 40-character Z85 public key"
    return 1
  fi
  if has_proxy "${addr}"; then
    result error "proxy ${addr} is already configured"
    return 1
  fi
  printf 'proxy = %s %s\n' "${addr}" "${key}" >>"${CONF}" || {
    result error "cannot write ${CONF}"
    return 1
  }
  result ok "added proxy ${addr}; restart the agent (/etc/init.d/bnfc-hostd restart) to use it"
}

proxy_remove() {
  addr=$1
  if ! has_proxy "${addr}"; then
    result error "proxy ${addr} is not configured"
    return 1
  fi
  tmp="${CONF}.tmp.$$"
  awk -v a="${addr}" '{
      line = $0; sub(/^[ \t]*/, "", line)
      if (line ~ /^proxy[ \t]*=/) { v = line; sub(/^proxy[ \t]*=[ \t]*/, "", v); split(v, f, /[ \t]+/)
        if (f[1] == a) next }
      print }' "${CONF}" >"${tmp}" && cat "${tmp}" >"${CONF}"
  rm -f "${tmp}"
  result ok "removed proxy ${addr}; restart the agent to apply"
}

key_show() {
  if ! out=$("${BIN}" key show --dir "${CONF_DIR}" 2>&1); then
    result error "${out}"
    return 1
  fi
  key=$(echo "${out}" | sed -n 1p)
  fp=$(echo "${out}" | sed -n 2p)
  header
  echo '<structure typeName="Key">'
  printf '<field name="Public Key"><string>'
  cdata "${key}"
  printf '</string></field>\n'
  printf '<field name="Fingerprint"><string>%s</string></field>\n' "${fp}"
  echo '</structure>'
  footer
}

case "$1" in
  status | check | tag) agent "$1" ;;
  proxy-add) proxy_add "$2" "$3" ;;
  proxy-remove) proxy_remove "$2" ;;
  proxy-list) proxy_list ;;
  key-show) key_show ;;
  *)
    result error "unknown command '$1'"
    exit 1
    ;;
esac
exit 0
