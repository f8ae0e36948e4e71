// Logical time for tests: starts at a fixed instant and moves only when the test calls Advance().
// Test-only (target bnfc_testing): product binaries never link it.
#pragma once

#include <chrono>
#include <cstdint>

#include "bnfc/clock.h"

namespace bnfc {

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_unix_ms = 1700000000000) : now_ms_(start_unix_ms) {}
  int64_t NowUnixMs() const override { return now_ms_; }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms_));
  }
  void Advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

 private:
  int64_t now_ms_;
};

}  // namespace bnfc
