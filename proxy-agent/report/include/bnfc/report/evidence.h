// Evidence for auditors and CI: the verdict changes between two reports (one history record and
// one structured log line each), and the report as JUnit XML or CSV. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bnfc/log.h"
#include "bnfc/report/report.h"

namespace bnfc::report {

struct VerdictChange {
  int64_t at_unix_ms = 0;  // when the new verdict was computed
  std::string proxy_id;
  std::string host_id;
  std::optional<Verdict> previous;  // none: first verdict since the daemon started
  std::optional<Verdict> current;   // none: the host left the report (no longer enrolled)
  std::vector<Finding> findings;    // of the new verdict
};

// Pairs whose verdict differs from `previous` (nullptr: every pair is a change, from none).
std::vector<VerdictChange> VerdictChanges(const Report* previous, const Report& current);
// One history record: a JSON object on one line, without the newline:
// {"at":"2024-06-11T10:00:00Z","at_unix_ms":..,"proxy":..,"host":..,"previous":"ISOLATED"|null,
//  "verdict":"NOT_ISOLATED"|null,"findings":[{"code","impact","detail","evidence"}]}
std::string HistoryRecord(const VerdictChange& change);
// The log line of a change and its journal fields (BNFC_EVENT=verdict_change, BNFC_PROXY, ...).
std::string ChangeMessage(const VerdictChange& change);
log::Fields ChangeFields(const VerdictChange& change);

// JUnit XML: one <testsuite> per proxy, one <testcase> per pair; every check that failed or did
// not run is a <failure> whose type is the check id and whose text is its evidence.
std::string RenderJunit(const Report& report);
// CSV (RFC 4180, header line first): one row per pair and check:
// proxy,host,nfc_address,verdict,check,status,checked_at,evidence
std::string RenderCsv(const Report& report);

}  // namespace bnfc::report
