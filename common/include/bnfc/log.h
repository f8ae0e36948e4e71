// Logging shared by both agents: stderr (foreground) and/or syslog with an ident.
//
// stderr gets one line per message: "2025-01-31T12:00:00.123Z bnfc-hostd[4711] warning: text"
// (UTC). Syslog gets the text with the matching priority under facility LOG_DAEMON. Control
// characters in a message (newlines included) are escaped so that one message is one line.
#pragma once

#include <functional>
#include <sstream>
#include <string>

namespace bnfc::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

struct Options {
  std::string ident = "bnfc";  // syslog ident, also the stderr prefix
  bool to_stderr = true;
  bool to_syslog = false;
  Level min_level = Level::kInfo;
  int stderr_fd = 2;  // where the "stderr" lines go (tests pass a file or pipe)
  // Test seam: when set, receives (priority, text) instead of syslog(3); openlog is not called.
  std::function<void(int priority, const std::string& text)> syslog_sink;
};

// Call once at start-up; safe to call again (e.g. after daemonising). Thread-safe writes.
void Init(const Options& options);
void Write(Level level, const std::string& message);
bool Enabled(Level level);  // false when the message would be filtered out
Level ParseLevel(const std::string& text, bool* ok);  // "debug|info|warning|error"
const char* LevelName(Level level);                   // "debug", "info", "warning", "error"

inline void Debug(const std::string& m) {
  Write(Level::kDebug, m);
}
inline void Info(const std::string& m) {
  Write(Level::kInfo, m);
}
inline void Warn(const std::string& m) {
  Write(Level::kWarning, m);
}
inline void Error(const std::string& m) {
  Write(Level::kError, m);
}

}  // namespace bnfc::log
