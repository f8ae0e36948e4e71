// The validation report of one proxy: every enrolled host's pair verdict, summary counts and
// whether *all* enrolled hosts are ISOLATED (vCenter may hand any host that shares a datastore to
// the proxy, so one bad host is enough to leak). Renderers are pure functions to text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bnfc/report/verdict.h"

namespace bnfc::report {

inline constexpr int kReportSchemaVersion = 1;

struct Report {
  int64_t generated_unix_ms = 0;
  std::string proxy_id;
  std::string proxy_version;                   // bnfc-proxyd version
  std::vector<PairVerdict> pairs;              // one per enrolled host, ordered by host id
  std::array<size_t, kVerdictCount> counts{};  // indexed by static_cast<int>(Verdict)
  // True when there is at least one pair and every pair is ISOLATED.
  bool all_isolated = false;

  size_t Count(Verdict v) const { return counts[static_cast<size_t>(v)]; }
};

// Evaluates every pair (pass one PairFacts per enrolled host, reported or not), sorts by host id
// and computes the summary.
Report BuildReport(const std::string& proxy_id, const std::string& proxy_version,
                   int64_t generated_unix_ms, const std::vector<PairFacts>& facts);
// Recomputes counts and all_isolated from pairs (for callers that assemble pairs themselves).
void Summarise(Report& report);

// "2024-06-11T10:00:00Z" (UTC, second precision).
std::string FormatTimestamp(int64_t unix_ms);

// report.json: {"generated_at", "proxy", "pairs": [{"host", "nfc_address", "interface",
// "verdict", "findings": [{"code", "detail", ...}], ...}], "summary", ...}; see docs/report.md.
std::string RenderJson(const Report& report);
// Verdict table and findings, every line at most kTextWidth columns, control characters removed.
inline constexpr size_t kTextWidth = 100;
std::string RenderText(const Report& report);
// One self-contained HTML page: inline CSS, no scripts, no external fetches (a CSP forbids them).
std::string RenderHtml(const Report& report);

// Helpers the renderers use, exposed for tests.
// Words wrapped to `width` columns; words longer than a line are cut.
std::vector<std::string> WrapText(const std::string& text, size_t width);

}  // namespace bnfc::report
