// The verdict history: every verdict change becomes one structured log line and one JSON line
// appended to STATE_DIR/history.jsonl, rotated by size (history.jsonl.1 ... .N, oldest last).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bnfc/expected.h"
#include "bnfc/report/report.h"

namespace bnfc::proxyd {

struct HistoryOptions {
  std::string path;                      // e.g. /var/lib/bnfc/history.jsonl
  uint64_t max_bytes = 4 * 1024 * 1024;  // rotate before the file would grow past this
  int keep = 5;                          // rotated files kept
};

// Appends `lines` (each ending in '\n') to options.path, first rotating when the file would grow
// past max_bytes. Appends only: never rewrites a record.
Status AppendRotated(const HistoryOptions& options, const std::string& lines);

class VerdictHistory {
 public:
  explicit VerdictHistory(HistoryOptions options) : options_(std::move(options)) {}
  // Logs and records the changes from the last observed report to `report`; returns how many.
  size_t Observe(const report::Report& report);

 private:
  HistoryOptions options_;
  std::optional<report::Report> last_;
  std::string last_error_;
};

}  // namespace bnfc::proxyd
