// Logging shared by both agents: stderr (foreground) and/or syslog with an ident.
//
// stderr gets one line per message: "2025-01-31T12:00:00.123Z bnfc-hostd[4711] warning: text"
// (UTC). Syslog gets the text with the matching priority under facility LOG_DAEMON. Control
// characters in a message (newlines included) are escaped so that one message is one line.
//
// Under systemd, stderr and syslog both end in the journal: a daemon whose stderr is the journal
// (StderrIsJournal) sends native journal entries instead (journal_socket), once, with fields.
#pragma once

#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

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
  // When set, every message goes there as one native journal entry (MESSAGE, PRIORITY,
  // SYSLOG_IDENTIFIER and the message's fields) instead of stderr and syslog; stderr is the
  // fallback when the socket refuses it.
  std::string journal_socket;
};

inline constexpr const char* kJournalSocket = "/run/systemd/journal/socket";
// True when systemd connected our stderr to the journal (JOURNAL_STREAM names its device:inode).
bool StderrIsJournal();

// Journal fields of a structured message: names are [A-Z0-9_], not starting with '_'.
using Fields = std::vector<std::pair<std::string, std::string>>;
// One message with fields: journal fields natively; on stderr and syslog the message followed
// by name=value pairs (lower-case names, values quoted when they hold spaces or quotes).
void WriteStructured(Level level, const std::string& message, const Fields& fields);
// The text WriteStructured puts on stderr and syslog (exposed for tests).
std::string StructuredText(const std::string& message, const Fields& fields);

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
