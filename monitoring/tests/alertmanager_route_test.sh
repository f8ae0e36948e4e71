#!/usr/bin/env bash
# The example Alertmanager configuration loads, and each bnfc severity reaches the receiver the
# docs promise (amtool, from Debian's prometheus-alertmanager).
set -euo pipefail
config=$1
amtool=$(command -v amtool) || { echo "amtool not found (Debian package prometheus-alertmanager)" >&2; exit 1; }
"$amtool" check-config "$config"
route() {
  "$amtool" config routes test --config.file="$config" "$@" | tr -d '\n'
}
expect() {
  local want=$1
  shift
  local got
  got=$(route "$@")
  if [[ "$got" != "$want" ]]; then
    echo "FAIL: labels $* went to '$got', expected '$want'" >&2
    exit 1
  fi
  echo "ok: $* -> $got"
}
expect backup-oncall alertname=BnfcPinMissing severity=critical proxy=proxy01
expect backup-team alertname=BnfcHostStale severity=warning proxy=proxy01
expect backup-team alertname=BnfcEnrolmentKeyPending severity=info proxy=proxy01
expect default alertname=SomethingElse severity=critical
