#include "history.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bnfc/log.h"
#include "bnfc/report/evidence.h"

namespace bnfc::proxyd {

Status AppendRotated(const HistoryOptions& o, const std::string& lines) {
  struct stat st {};
  if (::stat(o.path.c_str(), &st) == 0 && st.st_size > 0 &&
      static_cast<uint64_t>(st.st_size) + lines.size() > o.max_bytes) {
    // Shift .N-1 -> .N ... .1 -> .2, then the current file -> .1 (the oldest one falls off).
    for (int i = o.keep - 1; i >= 1; --i) {
      std::rename((o.path + "." + std::to_string(i)).c_str(),
                  (o.path + "." + std::to_string(i + 1)).c_str());
    }
    if (o.keep >= 1 && std::rename(o.path.c_str(), (o.path + ".1").c_str()) != 0) {
      return Unexpected(ErrorCode::kIo, "cannot rotate " + o.path + ": " + std::strerror(errno));
    }
    if (o.keep < 1) {
      ::unlink(o.path.c_str());
    }
  }
  int fd = ::open(o.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Unexpected(ErrorCode::kIo, "cannot open " + o.path + ": " + std::strerror(errno));
  }
  // One write: with O_APPEND a concurrent reader never sees half a record.
  ssize_t n = ::write(fd, lines.data(), lines.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(lines.size())) {
    return Unexpected(ErrorCode::kIo, "cannot append to " + o.path + ": " +
                                          (n < 0 ? std::strerror(err) : "short write"));
  }
  return OkStatus();
}

size_t VerdictHistory::Observe(const report::Report& report) {
  auto changes = report::VerdictChanges(last_ ? &*last_ : nullptr, report);
  last_ = report;
  std::string lines;
  for (const auto& c : changes) {
    const bool worse = c.current && *c.current != report::Verdict::kIsolated;
    log::WriteStructured(worse ? log::Level::kWarning : log::Level::kInfo, report::ChangeMessage(c),
                         report::ChangeFields(c));
    lines += report::HistoryRecord(c) + "\n";
  }
  if (lines.empty()) {
    return 0;
  }
  auto s = AppendRotated(options_, lines);
  std::string error = s ? "" : s.error().message;
  if (error != last_error_ && !error.empty()) {
    log::Error("verdict history not written: " + error);  // once per new problem
  }
  last_error_ = error;
  return changes.size();
}

}  // namespace bnfc::proxyd
