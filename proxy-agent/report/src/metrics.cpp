#include "bnfc/report/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace bnfc::report {

namespace {

class Writer {
 public:
  void Family(const std::string& name, const std::string& type, const std::string& help) {
    o_ << "# HELP " << name << " " << EscapeHelp(help) << "\n";
    o_ << "# TYPE " << name << " " << type << "\n";
  }
  void Sample(const std::string& name, const std::map<std::string, std::string>& labels,
              double value) {
    o_ << name;
    if (!labels.empty()) {
      o_ << "{";
      bool first = true;
      for (const auto& [k, v] : labels) {
        o_ << (first ? "" : ",") << k << "=\"" << EscapeLabelValue(v) << "\"";
        first = false;
      }
      o_ << "}";
    }
    o_ << " " << FormatSampleValue(value) << "\n";
  }
  void Count(const std::string& name, const std::map<std::string, std::string>& labels,
             uint64_t value) {
    Sample(name, labels, static_cast<double>(value));
  }
  std::string str() const { return o_.str(); }

 private:
  std::ostringstream o_;
};

}  // namespace

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatSampleValue(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  // Shortest text that reads back as the same double.
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) {
      break;
    }
  }
  return buf;
}

void FillFromReport(const Report& r, MetricsSnapshot& s) {
  for (int i = 0; i < kVerdictCount; ++i) {
    s.pairs_by_verdict[static_cast<size_t>(i)] = r.counts[static_cast<size_t>(i)];
  }
  s.all_isolated = r.all_isolated;
  s.stale = r.stale;
  s.generated_unix_ms = r.generated_unix_ms;
  if (s.proxy_id.empty()) {
    s.proxy_id = r.proxy_id;
  }
  if (s.version.empty()) {
    s.version = r.proxy_version;
  }
  for (const PairVerdict& p : r.pairs) {
    HostMetrics& h = s.hosts[p.host_id];
    h.verdict = p.verdict;
    h.has_report = p.has_report;
    h.last_report_age_seconds = static_cast<double>(p.report_age_ms) / 1000.0;
    h.last_report_unix_ms = r.generated_unix_ms - p.report_age_ms;
    h.agent_version = p.agent_version;
    h.esxi_version = p.esxi_version;
    h.checks.clear();
    for (const Check& c : p.checks) {
      h.checks[c.id] = c.status;
    }
    h.findings.clear();
    for (const Finding& f : p.findings) {
      h.findings[f.code]++;
    }
  }
}

std::string RenderPrometheus(const MetricsSnapshot& s) {
  Writer w;
  w.Family("bnfc_proxyd_info", "gauge", "Always 1; labels carry the proxy id and version.");
  w.Sample("bnfc_proxyd_info", {{"proxy", s.proxy_id}, {"version", s.version}}, 1);

  w.Family("bnfc_pairs", "gauge", "Number of (proxy, host) pairs per verdict.");
  for (Verdict v : VerdictsBySeverity()) {
    w.Count("bnfc_pairs", {{"verdict", VerdictName(v)}},
            s.pairs_by_verdict[static_cast<size_t>(v)]);
  }
  w.Family("bnfc_all_hosts_isolated", "gauge",
           "1 when every enrolled host is ISOLATED (and there is at least one), else 0.");
  w.Sample("bnfc_all_hosts_isolated", {}, s.all_isolated ? 1 : 0);

  w.Family("bnfc_host_verdict", "gauge", "1 for the host's current verdict, 0 for the others.");
  for (const auto& [host, h] : s.hosts) {
    for (Verdict v : VerdictsBySeverity()) {
      w.Sample("bnfc_host_verdict", {{"host", host}, {"verdict", VerdictName(v)}},
               h.verdict == v ? 1 : 0);
    }
  }

  w.Family("bnfc_report_stale", "gauge",
           "1 when the verdicts are not current (report older than freshness), else 0.");
  w.Sample("bnfc_report_stale", {}, s.stale ? 1 : 0);

  w.Family("bnfc_host_check_passed", "gauge",
           "1 when the check passed for the host, 0 when it failed or did not run.");
  for (const auto& [host, h] : s.hosts) {
    for (const auto& [check, status] : h.checks) {
      w.Sample("bnfc_host_check_passed", {{"check", check}, {"host", host}},
               status == CheckStatus::kPassed ? 1 : 0);
    }
  }

  w.Family("bnfc_host_check_status", "gauge",
           "1 for the check's current status (passed, failed, not_run), 0 for the others.");
  for (const auto& [host, h] : s.hosts) {
    for (const auto& [check, status] : h.checks) {
      for (CheckStatus st : {CheckStatus::kPassed, CheckStatus::kFailed, CheckStatus::kNotRun}) {
        w.Sample("bnfc_host_check_status",
                 {{"check", check}, {"host", host}, {"status", CheckStatusName(st)}},
                 status == st ? 1 : 0);
      }
    }
  }

  // Only the codes that apply: a finding that went away leaves no series behind (absent = 0).
  w.Family("bnfc_host_findings", "gauge", "Findings of the host's pair now, by finding code.");
  for (const auto& [host, h] : s.hosts) {
    for (const auto& [code, n] : h.findings) {
      w.Count("bnfc_host_findings", {{"code", code}, {"host", host}}, n);
    }
  }

  w.Family("bnfc_host_agent_info", "gauge",
           "Always 1; labels carry the host agent's and ESXi's versions (hosts that reported).");
  for (const auto& [host, h] : s.hosts) {
    if (h.has_report) {
      w.Sample("bnfc_host_agent_info",
               {{"host", host}, {"version", h.agent_version}, {"esxi_version", h.esxi_version}}, 1);
    }
  }

  w.Family("bnfc_report_generated_timestamp_seconds", "gauge",
           "Unix time the verdicts were computed (0 before the first cycle).");
  w.Sample("bnfc_report_generated_timestamp_seconds", {},
           static_cast<double>(s.generated_unix_ms) / 1000.0);

  w.Family("bnfc_pins", "gauge", "Pinned /32 or /128 routes installed in the agent's table.");
  w.Count("bnfc_pins", {}, s.pins_installed);
  w.Family("bnfc_pins_desired", "gauge",
           "Pins the agent wants: hosts within their TTL whose NFC address maps to an interface.");
  w.Count("bnfc_pins_desired", {}, s.pins_desired);

  w.Family("bnfc_enrolment_keys", "gauge", "Host keys in the enrolment store, by state.");
  for (const char* state : {"pending", "accepted", "rejected"}) {
    auto it = s.enrolment_keys.find(state);
    w.Count("bnfc_enrolment_keys", {{"state", state}},
            it == s.enrolment_keys.end() ? 0 : it->second);
  }

  w.Family("bnfc_reports_received_total", "counter", "Host reports accepted.");
  w.Count("bnfc_reports_received_total", {}, s.reports_received);
  w.Family("bnfc_reports_rejected_total", "counter", "Host reports or frames refused, by reason.");
  for (const auto& [reason, n] : s.reports_rejected) {
    w.Count("bnfc_reports_rejected_total", {{"reason", reason}}, n);
  }
  w.Family("bnfc_connections_refused_total", "counter",
           "Control-port connections closed right after accept (per-source or total cap), and "
           "accepts that failed, by reason.");
  for (const auto& [reason, n] : s.connections_refused) {
    w.Count("bnfc_connections_refused_total", {{"reason", reason}}, n);
  }
  w.Family("bnfc_handshakes_failed_total", "counter",
           "Control-port connections that never authenticated, by reason.");
  for (const auto& [reason, n] : s.handshakes_failed) {
    w.Count("bnfc_handshakes_failed_total", {{"reason", reason}}, n);
  }
  w.Family("bnfc_connections_open", "gauge", "Control-port connections open now.");
  w.Sample("bnfc_connections_open", {}, static_cast<double>(s.connections_open));

  w.Family("bnfc_replay_drops_total", "counter",
           "Envelopes dropped because (boot id, sequence) did not increase.");
  w.Count("bnfc_replay_drops_total", {}, s.replay_drops);

  w.Family("bnfc_keystore_revision", "gauge", "Revision of the enrolment store in force.");
  w.Count("bnfc_keystore_revision", {}, s.keystore_revision);
  w.Family("bnfc_keystore_reload_failures_total", "counter",
           "Reads of the enrolment store that could not be applied.");
  w.Count("bnfc_keystore_reload_failures_total", {}, s.keystore_reload_failures);
  w.Family(
      "bnfc_keystore_stale", "gauge",
      "1 while the enrolment store on disk cannot be applied and the previous one is in force.");
  w.Sample("bnfc_keystore_stale", {}, s.keystore_stale ? 1 : 0);

  w.Family("bnfc_host_last_report_age_seconds", "gauge",
           "Seconds since the host's last accepted report (hosts that have reported).");
  for (const auto& [host, h] : s.hosts) {
    if (h.has_report) {
      w.Sample("bnfc_host_last_report_age_seconds", {{"host", host}}, h.last_report_age_seconds);
    }
  }
  w.Family("bnfc_host_last_report_timestamp_seconds", "gauge",
           "Unix time of the host's last accepted report (hosts that have reported).");
  for (const auto& [host, h] : s.hosts) {
    if (h.has_report) {
      w.Sample("bnfc_host_last_report_timestamp_seconds", {{"host", host}},
               static_cast<double>(h.last_report_unix_ms) / 1000.0);
    }
  }

  w.Family("bnfc_flows", "gauge",
           "Live TCP/902 flows to the host seen in the socket table, by path.");
  for (const auto& [host, h] : s.hosts) {
    w.Count("bnfc_flows", {{"host", host}, {"path", "backup"}}, h.flows_on_backup);
    w.Count("bnfc_flows", {{"host", host}, {"path", "off_backup"}}, h.flows_off_backup);
  }

  w.Family("bnfc_check_duration_seconds", "summary", "Time spent in each proxy-side check.");
  for (const auto& [check, t] : s.checks) {
    w.Sample("bnfc_check_duration_seconds_sum", {{"check", check}}, t.total_seconds);
    w.Count("bnfc_check_duration_seconds_count", {{"check", check}}, t.runs);
  }
  w.Family("bnfc_check_last_duration_seconds", "gauge", "Duration of the last run of each check.");
  for (const auto& [check, t] : s.checks) {
    w.Sample("bnfc_check_last_duration_seconds", {{"check", check}}, t.last_seconds);
  }
  return w.str();
}

}  // namespace bnfc::report
