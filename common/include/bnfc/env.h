// The environment seam: every side effect a daemon has besides its own protocol work (time, files,
// randomness) reaches it through one object, so tests drive logical time and in-memory files
// instead of sleeping and touching the disk. Agent-specific seams (the host agent's command runner,
// the proxy's kernel and probes) sit beside it in the agent's own environment struct.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "bnfc/clock.h"
#include "bnfc/expected.h"

namespace bnfc {

class Filesystem {
 public:
  virtual ~Filesystem() = default;
  // Same contracts as bnfc::fs::ReadFile / WriteFileAtomic / Exists.
  virtual Expected<std::string> ReadFile(const std::string& path, size_t max_bytes = 64u << 20) = 0;
  virtual Status WriteFileAtomic(const std::string& path, const std::string& contents,
                                 mode_t mode) = 0;
  virtual bool Exists(const std::string& path) = 0;
};

class Random {
 public:
  virtual ~Random() = default;
  // Uniform in [0, bound); bound 0 returns 0. Used for jitter and ids, not for key material
  // (keys come from libsodium).
  virtual uint64_t Below(uint64_t bound) = 0;
};

// The real implementations: bnfc::fs, SystemClock, and a generator seeded from the OS.
Filesystem& SystemFilesystem();
Random& SystemRandom();

struct Environment {
  const Clock& clock;
  Filesystem& files;
  Random& random;
};

// The process's real environment.
Environment SystemEnvironment();

}  // namespace bnfc
