// Prometheus text exposition (format 0.0.4) of the proxy's state, from a plain snapshot the
// daemon fills. Pure: the same snapshot always renders the same bytes.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "bnfc/report/report.h"
#include "bnfc/report/verdict.h"

namespace bnfc::report {

struct CheckTiming {
  uint64_t runs = 0;
  double total_seconds = 0;
  double last_seconds = 0;
};

struct HostMetrics {
  bool has_report = false;
  double last_report_age_seconds = 0;  // only meaningful with has_report
  int64_t last_report_unix_ms = 0;     // only meaningful with has_report
  uint64_t flows_on_backup = 0;
  uint64_t flows_off_backup = 0;
  Verdict verdict = Verdict::kUnknown;
  std::map<std::string, CheckStatus> checks;  // check id -> status
  std::map<std::string, uint64_t> findings;   // finding code -> how many times it applies
  std::string agent_version;                  // bnfc-hostd version ("" before a report)
  std::string esxi_version;
};

struct MetricsSnapshot {
  std::string proxy_id;
  std::string version;
  std::array<uint64_t, kVerdictCount> pairs_by_verdict{};  // indexed by static_cast<int>(Verdict)
  bool all_isolated = false;
  bool stale = false;             // the verdicts are not current (see MarkStale)
  int64_t generated_unix_ms = 0;  // when the verdicts were computed (0: never)
  uint64_t pins_installed = 0;
  uint64_t pins_desired = 0;  // hosts within their TTL whose NFC address maps (pins wanted)
  std::map<std::string, uint64_t> enrolment_keys;  // key state (pending, ...) -> count
  uint64_t reports_received = 0;
  std::map<std::string, uint64_t> reports_rejected;  // reason -> count
  uint64_t replay_drops = 0;
  // Control-port connections: refused at accept (reason -> count), handshakes that failed
  // (reason -> count), and how many are open now.
  std::map<std::string, uint64_t> connections_refused;
  std::map<std::string, uint64_t> handshakes_failed;
  uint64_t connections_open = 0;
  uint64_t keystore_revision = 0;             // enrolment store revision in force
  uint64_t keystore_reload_failures = 0;      // store reads that could not be applied
  bool keystore_stale = false;                // the store on disk is not the one in force
  std::map<std::string, HostMetrics> hosts;   // host id -> figures
  std::map<std::string, CheckTiming> checks;  // check name -> durations
};

// Copies verdict counts, all_isolated, per-host verdicts and flow counts' hosts from a report.
void FillFromReport(const Report& report, MetricsSnapshot& snapshot);

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
std::string RenderPrometheus(const MetricsSnapshot& snapshot);

// Exposition-format escaping, exposed for tests.
std::string EscapeLabelValue(const std::string& v);  // \ " and newline
std::string EscapeHelp(const std::string& v);        // \ and newline
std::string FormatSampleValue(double v);             // NaN, +Inf, -Inf, shortest round-trip

}  // namespace bnfc::report
