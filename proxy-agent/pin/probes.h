// Probes: TCP connects from the backup address to NFC:902 (nothing is sent).
#pragma once

#include <vector>

#include "bnfc/expected.h"
#include "bnfc/net.h"

namespace bnfc::pin {

// TCP connect from `source` to `destination:port` with a timeout; nothing is sent. Ok when the
// handshake completed; otherwise the error says what happened (refused, timed out, bind failed).
Status ConnectProbe(const net::IpAddress& source, const net::IpAddress& destination, int port,
                    int timeout_ms);

struct ConnectTarget {
  net::IpAddress source;
  net::IpAddress destination;
};
// Many ConnectProbes at once, sharing one timeout: all handshakes are started, then waited for
// together, so hosts that do not answer cost timeout_ms in all rather than each. One result per
// target, in order.
std::vector<Status> ConnectProbes(const std::vector<ConnectTarget>& targets, int port,
                                  int timeout_ms);

}  // namespace bnfc::pin
