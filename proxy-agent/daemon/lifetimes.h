// How long facts count: the one place for the freshness limit (a pair is judged on facts no older
// than this) and the pin TTL (a silent host keeps its pin until then).
#pragma once

#include <cstdint>

#include "proxy_config.h"

namespace bnfc::proxyd {

struct Lifetimes {
  int64_t freshness_ms = 0;
  int64_t pin_ttl_ms = 0;

  static Lifetimes Of(const ProxyConfig& c) { return {c.freshness.count(), c.pin_ttl.count()}; }
  bool Fresh(int64_t received_ms, int64_t now_ms) const {
    return now_ms - received_ms <= freshness_ms;
  }
  // Within the TTL a host's address stays pinned (pins are harmless, removing one can leak).
  bool Pinned(int64_t received_ms, int64_t now_ms) const {
    return now_ms - received_ms <= pin_ttl_ms;
  }
};

}  // namespace bnfc::proxyd
