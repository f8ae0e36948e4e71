#include "bnfc/report/evidence.h"

#include <map>
#include <nlohmann/json.hpp>

#include "bnfc/text.h"

namespace bnfc::report {
namespace {

using nlohmann::json;

std::string NameOr(const std::optional<Verdict>& v, const std::string& none) {
  return v ? VerdictName(*v) : none;
}

std::string Codes(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto& f : findings) {
    out += (out.empty() ? "" : ",") + f.code;
  }
  return out;
}

// XML 1.0 allows no control characters but tab, newline and carriage return.
std::string Xml(const std::string& s) {
  std::string clean;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    clean += (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f ? '?' : ch;
  }
  return text::EscapeXml(clean);
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    out += c == '"' ? "\"\"" : std::string(1, c);
  }
  return out + "\"";
}

}  // namespace

std::vector<VerdictChange> VerdictChanges(const Report* previous, const Report& current) {
  std::map<std::string, Verdict> before;
  if (previous != nullptr) {
    for (const auto& p : previous->pairs) {
      before[p.host_id] = p.verdict;
    }
  }
  std::vector<VerdictChange> out;
  for (const auto& p : current.pairs) {
    auto it = before.find(p.host_id);
    std::optional<Verdict> was;
    if (it != before.end()) {
      was = it->second;
      before.erase(it);
    }
    if (was && *was == p.verdict) {
      continue;
    }
    out.push_back(
        {current.generated_unix_ms, current.proxy_id, p.host_id, was, p.verdict, p.findings});
  }
  for (const auto& [host, verdict] : before) {
    out.push_back({current.generated_unix_ms, current.proxy_id, host, verdict, std::nullopt, {}});
  }
  return out;
}

std::string HistoryRecord(const VerdictChange& c) {
  json findings = json::array();
  for (const auto& f : c.findings) {
    findings.push_back({{"code", f.code},
                        {"impact", VerdictName(f.impact)},
                        {"detail", f.detail},
                        {"evidence", f.evidence}});
  }
  json j = {{"at", FormatTimestamp(c.at_unix_ms)},
            {"at_unix_ms", c.at_unix_ms},
            {"proxy", c.proxy_id},
            {"host", c.host_id},
            {"previous", c.previous ? json(VerdictName(*c.previous)) : json(nullptr)},
            {"verdict", c.current ? json(VerdictName(*c.current)) : json(nullptr)},
            {"findings", findings}};
  // Untrusted bytes (host names, evidence) must not break the one-record-per-line format.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ChangeMessage(const VerdictChange& c) {
  std::string msg = "verdict of " + c.host_id + ": " + NameOr(c.previous, "(none)") + " -> " +
                    NameOr(c.current, "(no longer enrolled)");
  if (!c.findings.empty()) {
    msg += " (" + Codes(c.findings) + ")";
  }
  return msg;
}

log::Fields ChangeFields(const VerdictChange& c) {
  return {{"BNFC_EVENT", "verdict_change"},
          {"BNFC_PROXY", c.proxy_id},
          {"BNFC_HOST", c.host_id},
          {"BNFC_PREVIOUS_VERDICT", NameOr(c.previous, "")},
          {"BNFC_VERDICT", NameOr(c.current, "")},
          {"BNFC_FINDINGS", Codes(c.findings)}};
}

std::string RenderJunit(const Report& r) {
  size_t failed_pairs = 0;
  for (const auto& p : r.pairs) {
    failed_pairs += p.verdict == Verdict::kIsolated ? 0 : 1;
  }
  const std::string n = std::to_string(r.pairs.size());
  const std::string f = std::to_string(failed_pairs);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"backupnfc\" tests=\"" + n + "\" failures=\"" + f + "\">\n";
  out += "  <testsuite name=\"" + Xml(r.proxy_id) + "\" tests=\"" + n + "\" failures=\"" + f +
         "\" errors=\"0\" timestamp=\"" + FormatTimestamp(r.generated_unix_ms) + "\">\n";
  if (r.stale) {
    out += "    <properties><property name=\"stale\" value=\"" + Xml(r.stale_reason) +
           "\"/></properties>\n";
  }
  for (const auto& p : r.pairs) {
    out += "    <testcase classname=\"" + Xml(r.proxy_id) + "\" name=\"" + Xml(p.host_id) + "\">\n";
    std::string passed;
    for (const auto& c : p.checks) {
      if (c.status == CheckStatus::kPassed) {
        passed += c.id + ": " + c.evidence + "\n";
        continue;
      }
      out += "      <failure type=\"" + Xml(c.id) + "\" message=\"" +
             Xml(std::string(c.status == CheckStatus::kFailed ? "failed: " : "not run: ") + c.name +
                 " (verdict " + VerdictName(p.verdict) + ")") +
             "\">" + Xml(c.evidence) + "</failure>\n";
    }
    if (p.verdict != Verdict::kIsolated && p.checks.empty()) {
      out += "      <failure type=\"verdict\" message=\"" + Xml(VerdictName(p.verdict)) + "\">" +
             Xml(Codes(p.findings)) + "</failure>\n";
    }
    out += "      <system-out>verdict " + std::string(VerdictName(p.verdict)) + "\n" + Xml(passed) +
           "</system-out>\n";
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string RenderCsv(const Report& r) {
  std::string out = "proxy,host,nfc_address,verdict,check,status,checked_at,evidence\r\n";
  for (const auto& p : r.pairs) {
    for (const auto& c : p.checks) {
      out += CsvField(r.proxy_id) + "," + CsvField(p.host_id) + "," + CsvField(p.nfc_address) +
             "," + VerdictName(p.verdict) + "," + CsvField(c.id) + "," + CheckStatusName(c.status) +
             "," + (c.at_unix_ms > 0 ? FormatTimestamp(c.at_unix_ms) : "") + "," +
             CsvField(c.evidence) + "\r\n";
    }
  }
  return out;
}

}  // namespace bnfc::report
