#!/usr/bin/env bash
# The connection flood at full size: 10,000 idle or half-open unauthenticated connections from one
# source against the proxy daemon at the shipped LimitNOFILE (or the hard limit when lower), while
# the enrolled host keeps reporting and /healthz answers. Prints connections refused, open, RSS and
# log growth (docs/reliability.md, security table). Under ./run test the same case runs with 1,500.
#   usage: tests/bench/connection_flood_bench.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: connection_flood_bench.sh BUILD_DIR}
cd "$(dirname "$0")/../.."
BNFC_FLOOD_CONNECTIONS=10000 "$build/tests/security_attack_test" \
  --gtest_filter='AttackTest.ConnectionFloodAtTheShippedDescriptorLimit' | grep -E '^(flood|note):|OK|FAILED'
