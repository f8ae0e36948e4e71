// Logging to stderr and syslog; see common/include/bnfc/log.h.
#include "bnfc/log.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

// One native journal field: KEY=value, or KEY, a 64-bit little-endian length and the raw value
// when it holds a newline (the journal's protocol).
void AppendField(std::string& out, const std::string& key, const std::string& value) {
  if (value.find('\n') == std::string::npos) {
    out += key + "=" + value + "\n";
    return;
  }
  out += key + "\n";
  uint64_t n = value.size();
  for (int i = 0; i < 8; ++i) {
    out += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  out += value + "\n";
}

bool SendJournal(const std::string& socket_path, const std::string& entry) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return false;
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  ssize_t n = ::sendto(fd, entry.data(), entry.size(), MSG_NOSIGNAL,
                       reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  ::close(fd);
  return n == static_cast<ssize_t>(entry.size());
}

bool ValidFieldName(const std::string& k) {
  if (k.empty() || k[0] == '_' || k.size() > 64) {
    return false;
  }
  for (char c : k) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

void WriteLocked(Level level, const std::string& message, const Fields& fields);

}  // namespace

bool StderrIsJournal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (env == nullptr || ::fstat(2, &st) != 0) {
    return false;
  }
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) {
    return false;
  }
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

std::string StructuredText(const std::string& message, const Fields& fields) {
  std::string out = message;
  for (const auto& [k, v] : fields) {
    std::string name;
    for (char c : k) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    bool quote = v.empty() || v.find_first_of(" \"=") != std::string::npos;
    std::string value;
    for (char c : v) {
      value += (quote && (c == '"' || c == '\\')) ? std::string("\\") + c : std::string(1, c);
    }
    out += " " + name + "=" + (quote ? "\"" + value + "\"" : value);
  }
  return out;
}

void WriteStructured(Level level, const std::string& message, const Fields& fields) {
  if (!Enabled(level)) {
    return;
  }
  WriteLocked(level, message, fields);
}

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
  WriteLocked(level, message, {});
}

namespace {

void WriteLocked(Level level, const std::string& message, const Fields& fields) {
  State& s = GetState();
  std::lock_guard<std::mutex> lock(s.mu);
  const Options& o = s.options;
  if (!o.journal_socket.empty()) {
    std::string entry;
    AppendField(entry, "MESSAGE", Escape(message));  // one message, one line, as on stderr
    AppendField(entry, "PRIORITY", std::to_string(Priority(level)));
    AppendField(entry, "SYSLOG_IDENTIFIER", o.ident);
    for (const auto& [k, v] : fields) {
      if (ValidFieldName(k)) {
        AppendField(entry, k, v);
      }
    }
    if (SendJournal(o.journal_socket, entry)) {
      return;
    }
  }
  std::string text = Escape(fields.empty() ? message : StructuredText(message, fields));
  if (o.to_stderr || !o.journal_socket.empty()) {
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

}  // namespace

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
