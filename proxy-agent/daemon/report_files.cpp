#include "report_files.h"

#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bnfc/version.h"

namespace bnfc::proxyd {
namespace {

std::string Iso8601(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::map<std::string, int> Counts(const ReportSnapshot& r) {
  std::map<std::string, int> c;
  for (const char* v : {"ISOLATED", "DEGRADED", "NOT_ISOLATED", "UNREACHABLE", "UNKNOWN"})
    c[v] = 0;
  for (const auto& p : r.pairs)
    c[VerdictName(p.verdict)]++;
  return c;
}

bool AllIsolated(const ReportSnapshot& r) {
  for (const auto& p : r.pairs) {
    if (p.verdict != Verdict::kIsolated)
      return false;
  }
  return !r.pairs.empty();
}

std::string Html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string RenderJson(const ReportSnapshot& r) {
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& p : r.pairs) {
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : p.findings) {
      findings.push_back({{"code", f.code},
                          {"detail", f.detail},
                          {"evidence", f.evidence},
                          {"implies", VerdictName(f.implies)}});
    }
    pairs.push_back({{"host", p.host_id},
                     {"nfc_address", p.nfc_address},
                     {"interface", p.interface},
                     {"verdict", VerdictName(p.verdict)},
                     {"nbdssl_recommended", p.encryption_recommended},
                     {"findings", findings}});
  }
  nlohmann::json doc = {{"generated_at", Iso8601(r.generated_at_ms)},
                        {"proxy", r.proxy_id},
                        {"version", BNFC_VERSION},
                        {"summary", Counts(r)},
                        {"all_hosts_isolated", AllIsolated(r)},
                        {"pairs", pairs}};
  return doc.dump(2) + "\n";
}

std::string RenderText(const ReportSnapshot& r) {
  std::ostringstream out;
  out << "backupnfc isolation report  proxy " << r.proxy_id << "  " << Iso8601(r.generated_at_ms)
      << "\n";
  auto counts = Counts(r);
  out << "ISOLATED " << counts["ISOLATED"] << "  DEGRADED " << counts["DEGRADED"]
      << "  NOT_ISOLATED " << counts["NOT_ISOLATED"] << "  UNREACHABLE " << counts["UNREACHABLE"]
      << "  UNKNOWN " << counts["UNKNOWN"] << "\n";
  out << "all enrolled hosts isolated: " << (AllIsolated(r) ? "yes" : "NO") << "\n\n";
  char line[160];
  std::snprintf(line, sizeof line, "%-16s %-40s %-10s %s\n", "HOST", "NFC ADDRESS", "INTERFACE",
                "VERDICT");
  out << line;
  for (const auto& p : r.pairs) {
    std::snprintf(line, sizeof line, "%-16.16s %-40.40s %-10.10s %s\n", p.host_id.c_str(),
                  p.nfc_address.empty() ? "-" : p.nfc_address.c_str(),
                  p.interface.empty() ? "-" : p.interface.c_str(), VerdictName(p.verdict));
    out << line;
    for (const auto& f : p.findings) {
      std::string text = "  " + f.code + ": " + f.detail;
      // Wrap at 100 columns.
      while (text.size() > 100) {
        size_t cut = text.rfind(' ', 100);
        if (cut == std::string::npos || cut < 8)
          cut = 100;
        out << text.substr(0, cut) << "\n";
        text = "      " + text.substr(cut + 1);
      }
      out << text << "\n";
    }
  }
  return out.str();
}

std::string RenderHtml(const ReportSnapshot& r) {
  static const std::map<std::string, std::string> kColour = {{"ISOLATED", "#2e7d32"},
                                                             {"DEGRADED", "#f9a825"},
                                                             {"NOT_ISOLATED", "#c62828"},
                                                             {"UNREACHABLE", "#6a1b9a"},
                                                             {"UNKNOWN", "#616161"}};
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<title>backupnfc report " << Html(r.proxy_id) << "</title><style>"
    << "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
    << "width:100%}td,th{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}"
    << ".v{color:#fff;font-weight:bold}.sum span{margin-right:1.5em}pre{white-space:pre-wrap;"
    << "background:#f5f5f5;padding:.5em}</style></head><body>\n";
  h << "<h1>Network isolation report</h1><p>proxy <b>" << Html(r.proxy_id) << "</b>, generated "
    << Iso8601(r.generated_at_ms) << ", backupnfc " << BNFC_VERSION << "</p>\n<p class=\"sum\">";
  for (const auto& [verdict, n] : Counts(r)) {
    h << "<span style=\"color:" << kColour.at(verdict) << "\">" << verdict << ": <b>" << n
      << "</b></span>";
  }
  h << "</p><p>All enrolled hosts isolated: <b>" << (AllIsolated(r) ? "yes" : "no")
    << "</b></p>\n<table><thead><tr><th>Host</th><th>NFC address</th><th>Interface</th>"
    << "<th>Verdict</th><th>Findings</th></tr></thead><tbody>\n";
  for (const auto& p : r.pairs) {
    std::string v = VerdictName(p.verdict);
    h << "<tr class=\"pair\" data-host=\"" << Html(p.host_id) << "\" data-verdict=\"" << v
      << "\"><td>" << Html(p.host_id) << "</td><td>" << Html(p.nfc_address) << "</td><td>"
      << Html(p.interface) << "</td><td class=\"v\" style=\"background:" << kColour.at(v) << "\">"
      << v << "</td><td>";
    for (const auto& f : p.findings) {
      h << "<details><summary><b>" << Html(f.code) << "</b> " << Html(f.detail) << "</summary>"
        << "<pre>" << Html(f.evidence.empty() ? "(no further evidence)" : f.evidence)
        << "</pre></details>";
    }
    h << "</td></tr>\n";
  }
  h << "</tbody></table></body></html>\n";
  return h.str();
}

std::string PinsJson(const ReportSnapshot& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& p : r.pins) {
    rows.push_back({{"host", p.host_id},
                    {"nfc_address", p.nfc_address},
                    {"interface", p.interface},
                    {"source", p.source},
                    {"installed", p.installed},
                    {"why", p.why}});
  }
  return nlohmann::json{{"pins", rows}, {"error", r.pin_error}}.dump(2) + "\n";
}

std::string PinsText(const ReportSnapshot& r) {
  std::ostringstream out;
  char line[200];
  std::snprintf(line, sizeof line, "%-16s %-40s %-10s %-16s %s\n", "HOST", "NFC ADDRESS",
                "INTERFACE", "SOURCE", "WHY");
  out << line;
  for (const auto& p : r.pins) {
    std::snprintf(line, sizeof line, "%-16.16s %-40.40s %-10.10s %-16.16s %s\n", p.host_id.c_str(),
                  p.nfc_address.c_str(), p.interface.c_str(), p.source.c_str(), p.why.c_str());
    out << line;
  }
  if (!r.pin_error.empty())
    out << "error: " << r.pin_error << "\n";
  return out.str();
}

}  // namespace bnfc::proxyd
