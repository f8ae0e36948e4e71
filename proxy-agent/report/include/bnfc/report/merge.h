// One report from several proxies' /report.json (`bnfc-proxyd report --merge`), for a fleet view
// without Prometheus. Fetching is the only I/O; merging is pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/report/report.h"

namespace bnfc::report {

// The text of report.json from SOURCE: http://HOST:PORT/PATH (plain HTTP, for loopback or an SSH
// tunnel; "/report.json" when PATH is empty) or a file name.
Expected<std::string> FetchReportText(const std::string& source, int timeout_ms = 10000);

// Every pair of every report, ordered by (proxy, host); each source judged stale on its own
// (StaleReason with `freshness_ms`, the daemon counted as running) before merging, so one old
// proxy makes its own pairs UNKNOWN and the merged report stale. proxy_id lists the proxies.
Report MergeReports(std::vector<Report> reports, int64_t now_ms, int64_t freshness_ms);

}  // namespace bnfc::report
