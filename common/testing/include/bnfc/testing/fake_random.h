// Scripted bnfc::Random for tests: returns the queued values in order (each reduced modulo the
// bound), then `otherwise` (also reduced). Test-only (target bnfc_testing).
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "bnfc/env.h"

namespace bnfc {

class FakeRandom : public Random {
 public:
  FakeRandom() = default;
  explicit FakeRandom(std::deque<uint64_t> values) : values_(std::move(values)) {}

  uint64_t Below(uint64_t bound) override {
    ++calls;
    uint64_t v = otherwise;
    if (!values_.empty()) {
      v = values_.front();
      values_.pop_front();
    }
    return bound == 0 ? 0 : v % bound;
  }
  void Push(uint64_t v) { values_.push_back(v); }

  uint64_t otherwise = 0;
  uint64_t calls = 0;

 private:
  std::deque<uint64_t> values_;
};

}  // namespace bnfc
