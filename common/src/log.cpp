// Logging to stderr and syslog; see common/include/bnfc/log.h.
#include "bnfc/log.h"

#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "bnfc/text.h"

namespace bnfc::log {
namespace {

struct State {
  std::mutex mu;
  Options options;
  std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
  std::string syslog_ident;  // openlog() keeps the pointer: must outlive the connection
  bool syslog_open = false;
};

// Never destroyed, so that logging from other static destructors stays safe.
State& GetState() {
  static State* state = new State;
  return *state;
}

int Priority(Level level) {
  switch (level) {
    case Level::kDebug:
      return LOG_DEBUG;
    case Level::kInfo:
      return LOG_INFO;
    case Level::kWarning:
      return LOG_WARNING;
    case Level::kError:
      return LOG_ERR;
  }
  return LOG_ERR;
}

// One bound for every message: a peer that controls part of a message cannot grow the log faster
// than this per line.
constexpr size_t kMaxMessageBytes = 4096;

std::string Escape(const std::string& m) {
  return text::EscapeForLine(m, kMaxMessageBytes);
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

void WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;  // nowhere left to report a failing log sink
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void Init(const Options& options) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  bool want_real_syslog = options.to_syslog && !options.syslog_sink;
  if (s.syslog_open && (!want_real_syslog || s.syslog_ident != options.ident)) {
    closelog();
    s.syslog_open = false;
  }
  if (want_real_syslog && !s.syslog_open) {
    s.syslog_ident = options.ident;
    openlog(s.syslog_ident.c_str(), LOG_PID, LOG_DAEMON);
    s.syslog_open = true;
  }
  s.options = options;
  s.min_level.store(static_cast<int>(options.min_level));
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= GetState().min_level.load(std::memory_order_relaxed);
}

void Write(Level level, const std::string& message) {
  if (!Enabled(level)) {
    return;
  }
  std::string text = Escape(message);
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  const Options& o = s.options;
  if (o.to_stderr) {
    WriteAll(o.stderr_fd, Timestamp() + " " + o.ident + "[" + std::to_string(::getpid()) + "] " +
                              LevelName(level) + ": " + text + "\n");
  }
  if (o.to_syslog) {
    if (o.syslog_sink) {
      o.syslog_sink(LOG_DAEMON | Priority(level), text);
    } else {
      syslog(Priority(level), "%s", text.c_str());
    }
  }
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "error";
}

Level ParseLevel(const std::string& text, bool* ok) {
  std::string t;
  for (char c : text) {
    t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  Level level = Level::kInfo;
  bool found = true;
  if (t == "debug") {
    level = Level::kDebug;
  } else if (t == "info") {
    level = Level::kInfo;
  } else if (t == "warning" || t == "warn") {
    level = Level::kWarning;
  } else if (t == "error") {
    level = Level::kError;
  } else {
    found = false;
  }
  if (ok != nullptr) {
    *ok = found;
  }
  return level;
}

}  // namespace bnfc::log
