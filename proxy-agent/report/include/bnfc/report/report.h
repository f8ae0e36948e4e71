// The validation report of one proxy: every enrolled host's pair verdict, summary counts and
// whether *all* enrolled hosts are ISOLATED (vCenter may hand any host that shares a datastore to
// the proxy, so one bad host is enough to leak). Renderers are pure functions to text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/report/verdict.h"

namespace bnfc::report {

// 2: pairs carry "checks"; the report carries "stale" and "stale_reason". Pairs may also carry
// "agent" and "path" (added without a new version: readers ignore keys they do not know).
inline constexpr int kReportSchemaVersion = 2;

// A vSphereBackupNFC tag added or removed on a host: by its host agent, or by the proxy through
// the vSphere API (`by` says so), or refused there for want of proof.
struct AgentChange {
  std::string vmknic;
  std::string action;  // add | remove
  std::string reason;
  int64_t at_unix_ms = 0;
  bool ok = true;
  // "" = the host agent (bnfc-hostd); else who made it, e.g. "bnfc-proxyd through the vSphere API
  // (source vc1)".
  std::string by;
  // Planned but not made: the proofs it needs were missing (`reason` names them). ok is false.
  bool refused = false;
};

// What the HTML report shows beside a verdict: the host agent's account of itself and the pair's
// two paths (backup: proxy interface -> segment -> vmknic; management beside it). Derived from
// PairFacts by BuildReport and kept apart from PairVerdict because no verdict depends on it.
struct PairContext {
  std::string proxy_id;
  std::string host_id;
  int64_t last_report_unix_ms = 0;  // when the host's facts were taken; 0: no report
  std::string agent_version;
  std::string tag_policy;  // ensure | observe
  // The tag changes of the host's last report; changes_known is false until AttachAgentChanges
  // recorded them (the report then says so rather than "no changes").
  bool changes_known = false;
  std::vector<AgentChange> changes;
  // Backup path.
  std::string proxy_interface;
  std::string proxy_address;
  std::string backup_segment;  // "vSwitch0 / Backup / VLAN 20", "routed via GW", ""
  std::string vmknic;
  std::string vmknic_address;
  uint32_t mtu = 0;
  // Management path.
  std::string management_interface;  // the proxy interface towards the management address
  std::string management_next_hop;
  std::string management_segment;
  std::string management_vmknic;
  std::string management_address;
};

struct Report {
  int64_t generated_unix_ms = 0;
  std::string proxy_id;
  std::string proxy_version;                   // bnfc-proxyd version
  std::vector<PairVerdict> pairs;              // one per enrolled host, ordered by host id
  std::array<size_t, kVerdictCount> counts{};  // indexed by static_cast<int>(Verdict)
  // True when there is at least one pair and every pair is ISOLATED.
  bool all_isolated = false;
  // Set by MarkStale: the verdicts are not current (every pair is then UNKNOWN).
  bool stale = false;
  std::string stale_reason;
  // One per pair (any order); see ContextFor. Filters may leave contexts without a pair.
  std::vector<PairContext> contexts;

  size_t Count(Verdict v) const { return counts[static_cast<size_t>(v)]; }
};

// Evaluates every pair (pass one PairFacts per enrolled host, reported or not), sorts by host id
// and computes the summary.
Report BuildReport(const std::string& proxy_id, const std::string& proxy_version,
                   int64_t generated_unix_ms, const std::vector<PairFacts>& facts);
// The context of `pair`, or nullptr. Matches a merged row's "PROXY/HOST" id too.
const PairContext* ContextFor(const Report& report, const PairVerdict& pair);
// Records what the host agent reported changing (from its HostReport) on that host's context.
void AttachAgentChanges(Report& report, const std::string& host_id,
                        std::vector<AgentChange> changes);
std::vector<AgentChange> AgentChangesFromReport(const proto::HostReport& host_report);
// Recomputes counts and all_isolated from pairs (for callers that assemble pairs themselves).
void Summarise(Report& report);

// ---- Claims are never stale ----

// Why `report` (generated at report.generated_unix_ms) must not be shown as current at now_ms:
// the daemon that publishes it is not running, or it is older than `freshness_ms`. "" when it is
// current. Pure.
std::string StaleReason(const Report& report, int64_t now_ms, int64_t freshness_ms,
                        bool daemon_running);
// Turns every pair UNKNOWN with a STALE finding first (the last verdict in its evidence), and
// every passed check into not_run (a past pass proves nothing now). all_isolated becomes false.
void MarkStale(Report& report, const std::string& reason);

// Exit status of `bnfc-proxyd report` (docs/report.md): 2 when any pair is NOT_ISOLATED or
// UNREACHABLE; else 3 when any is UNKNOWN, the report is stale or it has no pairs; else 1 when any
// is DEGRADED; else 0 (all ISOLATED). 4 and above are reserved for usage and I/O errors.
inline constexpr int kExitIsolated = 0;
inline constexpr int kExitDegraded = 1;
inline constexpr int kExitNotIsolated = 2;
inline constexpr int kExitUnknown = 3;
inline constexpr int kExitUsage = 4;
inline constexpr int kExitNoReport = 5;
int ExitCodeFor(const Report& report);

// Reads report.json back (what RenderJson wrote) so the CLI can re-judge staleness and render any
// format from one file. Unknown keys are ignored; a missing or mistyped required key is an error.
Expected<Report> ParseReportJson(const std::string& text);

// "2024-06-11T10:00:00Z" (UTC, second precision).
std::string FormatTimestamp(int64_t unix_ms);

// report.json: {"generated_at", "proxy", "pairs": [{"host", "nfc_address", "interface",
// "verdict", "findings": [{"code", "detail", ...}], ...}], "summary", ...}; see docs/report.md.
std::string RenderJson(const Report& report);
// Verdict table and findings, every line at most kTextWidth columns (longer lines wrap, nothing is
// cut), control characters removed.
inline constexpr size_t kTextWidth = 100;
std::string RenderText(const Report& report);
// One self-contained HTML page: inline CSS, no scripts, no external fetches (a CSP forbids them).
std::string RenderHtml(const Report& report);

// Helpers the renderers use, exposed for tests.
// Words wrapped to `width` columns; words longer than a line are cut.
std::vector<std::string> WrapText(const std::string& text, size_t width);

}  // namespace bnfc::report
