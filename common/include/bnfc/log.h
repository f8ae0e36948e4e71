// Logging shared by both agents: stderr (foreground) and/or syslog with an ident.
#pragma once

#include <sstream>
#include <string>

namespace bnfc::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

struct Options {
  std::string ident = "bnfc";  // syslog ident, also the stderr prefix
  bool to_stderr = true;
  bool to_syslog = false;
  Level min_level = Level::kInfo;
};

// Call once at start-up; safe to call again (e.g. after daemonising). Thread-safe writes.
void Init(const Options& options);
void Write(Level level, const std::string& message);
Level ParseLevel(const std::string& text, bool* ok);  // "debug|info|warning|error"

inline void Debug(const std::string& m) { Write(Level::kDebug, m); }
inline void Info(const std::string& m) { Write(Level::kInfo, m); }
inline void Warn(const std::string& m) { Write(Level::kWarning, m); }
inline void Error(const std::string& m) { Write(Level::kError, m); }

}  // namespace bnfc::log
