// Time behind a seam so that freshness, back-off and failover logic can be tested without sleeping.
// The test double, FakeClock, is in bnfc/testing/fake_clock.h (target bnfc_testing, tests only).
#pragma once

#include <chrono>
#include <cstdint>

namespace bnfc {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowUnixMs() const = 0;                             // wall clock
  virtual std::chrono::steady_clock::time_point Steady() const = 0;  // for intervals
};

class SystemClock : public Clock {
 public:
  int64_t NowUnixMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::now();
  }
  static const SystemClock& Instance() {
    static const SystemClock clock;
    return clock;
  }
};

}  // namespace bnfc
