#include "bnfc/env.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <random>

#include "bnfc/fs.h"

namespace bnfc {
namespace {

class PosixFilesystem : public Filesystem {
 public:
  Expected<std::string> ReadFile(const std::string& path, size_t max_bytes) override {
    return fs::ReadFile(path, max_bytes);
  }
  Status WriteFileAtomic(const std::string& path, const std::string& contents,
                         mode_t mode) override {
    return fs::WriteFileAtomic(path, contents, mode);
  }
  bool Exists(const std::string& path) override { return fs::Exists(path); }
};

// Seeded once from /dev/urandom (ESXi's userworld lacks getrandom, so std::random_device is not
// used), then a local generator so jitter never blocks. Without /dev/urandom the seed falls back to
// the clock: this generator only spreads retries, it protects no secret. The mutex keeps it safe
// for the HTTP worker threads.
uint64_t SeedFromOs() {
  uint64_t seed = 0;
  int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0) {
    ssize_t n = ::read(fd, &seed, sizeof seed);
    ::close(fd);
    if (n == static_cast<ssize_t>(sizeof seed))
      return seed;
  }
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
         (static_cast<uint64_t>(::getpid()) << 32);
}

class SeededRandom : public Random {
 public:
  SeededRandom() : engine_(SeedFromOs()) {}
  uint64_t Below(uint64_t bound) override {
    if (bound == 0)
      return 0;
    std::lock_guard<std::mutex> lock(mu_);
    return std::uniform_int_distribution<uint64_t>(0, bound - 1)(engine_);
  }

 private:
  std::mutex mu_;
  std::mt19937_64 engine_;
};

}  // namespace

Filesystem& SystemFilesystem() {
  static PosixFilesystem files;
  return files;
}

Random& SystemRandom() {
  static SeededRandom random;
  return random;
}

Environment SystemEnvironment() {
  return Environment{SystemClock::Instance(), SystemFilesystem(), SystemRandom()};
}

}  // namespace bnfc
