#include "bnfc/report/report.h"

#include "bnfc/text.h"

#include <algorithm>
#include <ctime>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

namespace bnfc::report {

namespace {

using nlohmann::json;

json StrOrNull(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

// Text that came from hosts or the network: no terminal control sequences, tabs become spaces.
std::string CleanLine(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> lines;
  std::string cur;
  for (char c : s) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  if (!cur.empty()) {
    lines.push_back(cur);
  }
  return lines;
}

// Fits `s` into exactly `width` columns: cut with '~' when too long, padded when short.
std::string Cell(const std::string& s, size_t width) {
  std::string c = CleanLine(s);
  if (c.size() > width) {
    c = c.substr(0, width - 1) + "~";
  }
  c.resize(width, ' ');
  return c;
}

std::string Fit(const std::string& s, size_t width) {
  std::string c = CleanLine(s);
  if (c.size() > width) {
    c = c.substr(0, width - 3) + "...";
  }
  return c;
}

std::string RightTrim(std::string s) {
  while (!s.empty() && s.back() == ' ') {
    s.pop_back();
  }
  return s;
}

std::string CountsLine(const Report& r) {
  std::string s = std::to_string(r.pairs.size()) + (r.pairs.size() == 1 ? " pair: " : " pairs: ");
  bool first = true;
  for (Verdict v : VerdictsBySeverity()) {
    s += (first ? "" : ", ") + std::to_string(r.Count(v)) + " " + VerdictName(v);
    first = false;
  }
  return s;
}

std::string AllIsolatedSentence(const Report& r) {
  if (r.pairs.empty()) {
    return "No enrolled hosts: nothing is proven isolated.";
  }
  if (r.all_isolated) {
    return "All " + std::to_string(r.pairs.size()) +
           " enrolled hosts are ISOLATED: any host vCenter hands to this proxy uses the backup "
           "segment.";
  }
  return "NOT all enrolled hosts are ISOLATED (" + std::to_string(r.Count(Verdict::kIsolated)) +
         " of " + std::to_string(r.pairs.size()) +
         "): vCenter may hand any host that shares a datastore to this proxy.";
}

std::string FirstLine(const std::string& s) {
  auto lines = SplitLines(s);
  return lines.empty() ? std::string() : lines[0];
}

size_t PassedChecks(const PairVerdict& p) {
  size_t n = 0;
  for (const Check& c : p.checks) {
    n += c.status == CheckStatus::kPassed ? 1 : 0;
  }
  return n;
}

std::optional<Verdict> VerdictFromName(const std::string& name) {
  for (Verdict v : VerdictsBySeverity()) {
    if (name == VerdictName(v)) {
      return v;
    }
  }
  return std::nullopt;
}

std::optional<CheckStatus> StatusFromName(const std::string& name) {
  for (CheckStatus st : {CheckStatus::kPassed, CheckStatus::kFailed, CheckStatus::kNotRun}) {
    if (name == CheckStatusName(st)) {
      return st;
    }
  }
  return std::nullopt;
}

std::string StaleSentence(const Report& r) {
  return "STALE: " + r.stale_reason +
         ". No verdict below is current; every pair counts as UNKNOWN until bnfc-proxyd "
         "publishes a fresh report.";
}

const char* VerdictColour(Verdict v) {
  switch (v) {
    case Verdict::kIsolated:
      return "#d7f5dd";
    case Verdict::kDegraded:
      return "#fff1c2";
    case Verdict::kUnknown:
      return "#e4e4e7";
    case Verdict::kUnreachable:
      return "#ffd8b0";
    case Verdict::kNotIsolated:
      return "#ffc9c9";
  }
  return "#ffffff";
}

const char* VerdictMeaning(Verdict v) {
  switch (v) {
    case Verdict::kIsolated:
      return "NBD to this host uses the backup segment; every check ran and passed.";
    case Verdict::kDegraded:
      return "Isolated, but something costs speed or resilience.";
    case Verdict::kUnknown:
      return "Isolation cannot be proven: no fresh report, or a check did not run.";
    case Verdict::kUnreachable:
      return "The backup path is broken: NBD to the handed-out address will fail.";
    case Verdict::kNotIsolated:
      return "NBD will (or did) cross another network.";
  }
  return "";
}

}  // namespace

void Summarise(Report& r) {
  r.counts.fill(0);
  for (const PairVerdict& p : r.pairs) {
    ++r.counts[static_cast<size_t>(p.verdict)];
  }
  r.all_isolated = !r.stale && !r.pairs.empty() && r.Count(Verdict::kIsolated) == r.pairs.size();
}

Report BuildReport(const std::string& proxy_id, const std::string& proxy_version,
                   int64_t generated_unix_ms, const std::vector<PairFacts>& facts) {
  Report r;
  r.proxy_id = proxy_id;
  r.proxy_version = proxy_version;
  r.generated_unix_ms = generated_unix_ms;
  for (const PairFacts& f : facts) {
    r.pairs.push_back(Evaluate(f));
  }
  std::stable_sort(r.pairs.begin(), r.pairs.end(), [](const PairVerdict& a, const PairVerdict& b) {
    return a.host_id < b.host_id;
  });
  Summarise(r);
  return r;
}

std::string FormatTimestamp(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  if (unix_ms < 0 && unix_ms % 1000 != 0) {
    --t;
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string RenderJson(const Report& r) {
  json j;
  j["schema_version"] = kReportSchemaVersion;
  j["generated_at"] = FormatTimestamp(r.generated_unix_ms);
  j["generated_unix_ms"] = r.generated_unix_ms;
  j["proxy"] = r.proxy_id;
  j["versions"] = json{{"bnfc-proxyd", r.proxy_version}};
  json counts = json::object();
  for (Verdict v : VerdictsBySeverity()) {
    counts[VerdictName(v)] = r.Count(v);
  }
  j["summary"] =
      json{{"pairs", r.pairs.size()}, {"counts", counts}, {"all_isolated", r.all_isolated}};
  j["stale"] = r.stale;
  j["stale_reason"] = StrOrNull(r.stale_reason);
  j["pairs"] = json::array();
  for (const PairVerdict& p : r.pairs) {
    json pj;
    pj["proxy"] = p.proxy_id;
    pj["host"] = p.host_id;
    pj["source"] = p.source;
    pj["nfc_address"] = StrOrNull(p.nfc_address);
    pj["nfc_vmknic"] = StrOrNull(p.nfc_vmknic);
    pj["interface"] = StrOrNull(p.interface);
    pj["source_address"] = StrOrNull(p.source_address);
    pj["verdict"] = VerdictName(p.verdict);
    pj["nbdssl_recommended"] = p.nbdssl_recommended;
    pj["report_age_s"] =
        p.has_report ? json(static_cast<double>(p.report_age_ms) / 1000.0) : json(nullptr);
    pj["esxi_version"] = StrOrNull(p.esxi_version);
    pj["agent_version"] = StrOrNull(p.agent_version);
    pj["checks"] = json::array();
    for (const Check& c : p.checks) {
      pj["checks"].push_back(json{{"id", c.id},
                                  {"name", c.name},
                                  {"status", CheckStatusName(c.status)},
                                  {"evidence", c.evidence},
                                  {"at", FormatTimestamp(c.at_unix_ms)},
                                  {"at_unix_ms", c.at_unix_ms}});
    }
    pj["findings"] = json::array();
    for (const Finding& f : p.findings) {
      pj["findings"].push_back(json{{"code", f.code},
                                    {"impact", VerdictName(f.impact)},
                                    {"advisory", f.impact == Verdict::kIsolated},
                                    {"detail", f.detail},
                                    {"evidence", f.evidence}});
    }
    j["pairs"].push_back(std::move(pj));
  }
  // Invalid UTF-8 from a host must not make the dump throw: replace it.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::vector<std::string> WrapText(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  if (width == 0) {
    return lines;
  }
  std::istringstream in(CleanLine(text));
  std::string word;
  std::string cur;
  while (in >> word) {
    while (word.size() > width) {
      if (!cur.empty()) {
        lines.push_back(cur);
        cur.clear();
      }
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    if (word.empty()) {
      continue;
    }
    if (cur.empty()) {
      cur = word;
    } else if (cur.size() + 1 + word.size() <= width) {
      cur += " " + word;
    } else {
      lines.push_back(cur);
      cur = word;
    }
  }
  if (!cur.empty()) {
    lines.push_back(cur);
  }
  return lines;
}

std::string RenderText(const Report& r) {
  constexpr size_t W = kTextWidth;
  std::ostringstream o;
  auto line = [&](const std::string& s) { o << RightTrim(Fit(s, W)) << "\n"; };
  auto para = [&](const std::string& indent, const std::string& s) {
    for (const std::string& l : WrapText(s, W - indent.size())) {
      o << indent << l << "\n";
    }
  };
  line("backupnfc validation report - proxy " + r.proxy_id + " - " +
       FormatTimestamp(r.generated_unix_ms) + " - bnfc-proxyd " + r.proxy_version);
  if (r.stale) {
    para("", StaleSentence(r));
  }
  para("", CountsLine(r));
  para("", AllIsolatedSentence(r));
  o << "\n";
  // 18 + 1 + 17 + 1 + 10 + 1 + 12 + 1 + 39 = 100 columns.
  o << RightTrim(Cell("HOST", 18) + " " + Cell("NFC ADDRESS", 17) + " " + Cell("INTERFACE", 10) +
                 " " + Cell("VERDICT", 12) + " " + "FINDINGS")
    << "\n";
  for (const PairVerdict& p : r.pairs) {
    std::string codes_list;
    for (const Finding& f : p.findings) {
      if (codes_list.find(f.code) == std::string::npos) {
        codes_list += (codes_list.empty() ? "" : ",") + f.code;
      }
    }
    o << RightTrim(Cell(p.host_id, 18) + " " +
                   Cell(p.nfc_address.empty() ? "-" : p.nfc_address, 17) + " " +
                   Cell(p.interface.empty() ? "-" : p.interface, 10) + " " +
                   Cell(VerdictName(p.verdict), 12) + " " +
                   Fit(codes_list.empty() ? "-" : codes_list, 39))
      << "\n";
  }
  if (!r.pairs.empty()) {
    o << "\nChecks and findings\n";
  }
  for (const PairVerdict& p : r.pairs) {
    o << "\n";
    line(p.host_id + " (" + (p.nfc_address.empty() ? "no NFC address" : p.nfc_address) + ") " +
         VerdictName(p.verdict) + " - " + std::to_string(PassedChecks(p)) + " of " +
         std::to_string(p.checks.size()) + " checks passed");
    // 2 + 7 + 1 + 13 + 1 + 20 + 1 = 45 columns before the evidence's first line.
    for (const Check& c : p.checks) {
      line("  " + Cell(CheckStatusName(c.status), 7) + " " + Cell(c.id, 13) + " " +
           FormatTimestamp(c.at_unix_ms) + " " + FirstLine(c.evidence));
    }
    for (const Finding& f : p.findings) {
      line("  " + f.code + (f.impact == Verdict::kIsolated ? " (advice)" : ""));
      para("    ", f.detail);
      std::vector<std::string> ev = SplitLines(f.evidence);
      const size_t kMaxEvidenceLines = 6;
      for (size_t i = 0; i < ev.size() && i < kMaxEvidenceLines; ++i) {
        line("      | " + ev[i]);
      }
      if (ev.size() > kMaxEvidenceLines) {
        line("      | ... " + std::to_string(ev.size() - kMaxEvidenceLines) +
             " more lines in report.json");
      }
    }
  }
  return o.str();
}

std::string RenderHtml(const Report& r) {
  const auto E = [](const std::string& s) { return text::EscapeXml(s); };
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; img-src data:\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<link rel=\"icon\" href=\"data:,\">\n"
    << "<title>backupnfc report - " << E(r.proxy_id) << "</title>\n<style>\n"
    << "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2328;background:#fff}\n"
    << "h1{font-size:1.4rem;margin:0 0 .3rem}\n"
    << ".meta{color:#57606a;font-size:.9rem;margin-bottom:1rem}\n"
    << ".summary{display:flex;gap:.6rem;flex-wrap:wrap;margin:.8rem 0}\n"
    << ".count{padding:.5rem .9rem;border-radius:6px;border:1px solid #d0d7de;min-width:7rem}\n"
    << ".count b{display:block;font-size:1.5rem}\n"
    << ".banner{padding:.6rem .9rem;border-radius:6px;margin:.6rem 0 1rem;font-weight:600}\n"
    << ".banner.ok{background:#d7f5dd}.banner.bad{background:#ffc9c9}\n"
    << "table{border-collapse:collapse;width:100%}\n"
    << "th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;"
       "border-bottom:1px solid #d0d7de}\n"
    << "th{background:#f6f8fa}\n"
    << "td.verdict{font-weight:700;white-space:nowrap}\n"
    << "code{font-family:ui-monospace,monospace}\n"
    << "details{margin:.15rem 0}summary{cursor:pointer}\n"
    << "pre{background:#f6f8fa;padding:.5rem;white-space:pre-wrap;word-break:break-all;"
       "margin:.3rem 0 .5rem}\n"
    << ".advice{color:#57606a}\n"
    << "dl{font-size:.9rem}dt{font-weight:700;margin-top:.4rem}\n"
    << "ul.checklist{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem}\n"
    << "ul.checklist li{font-size:.8rem;padding:.05rem .35rem;border-radius:4px;"
       "border:1px solid #d0d7de;background:#fff}\n"
    << "li.c-passed{color:#116329}li.c-failed{color:#a40e26;font-weight:700}"
       "li.c-not_run{color:#57606a;font-style:italic}\n"
    << "table.checks{font-size:.85rem;margin:.3rem 0}table.checks td{padding:.2rem .4rem}\n"
    << "table.checks pre{margin:0}\n";
  for (Verdict v : VerdictsBySeverity()) {
    o << "tr.v-" << VerdictName(v) << ",.count.v-" << VerdictName(v)
      << "{background:" << VerdictColour(v) << "}\n";
  }
  o << "</style>\n</head>\n<body>\n";
  o << "<h1>backupnfc validation report: proxy " << E(r.proxy_id) << "</h1>\n";
  o << "<div class=\"meta\">Generated <time datetime=\"" << E(FormatTimestamp(r.generated_unix_ms))
    << "\">" << E(FormatTimestamp(r.generated_unix_ms)) << "</time> by bnfc-proxyd "
    << E(r.proxy_version) << "</div>\n";
  o << "<div class=\"summary\">\n";
  for (Verdict v : VerdictsBySeverity()) {
    o << "<div class=\"count v-" << VerdictName(v) << "\" data-verdict=\"" << VerdictName(v)
      << "\"><b>" << r.Count(v) << "</b>" << VerdictName(v) << "</div>\n";
  }
  o << "</div>\n";
  if (r.stale) {
    o << "<div class=\"banner bad\" id=\"stale\">" << E(StaleSentence(r)) << "</div>\n";
  }
  o << "<div class=\"banner " << (r.all_isolated ? "ok" : "bad") << "\" id=\"all-isolated\">"
    << E(AllIsolatedSentence(r)) << "</div>\n";
  o << "<table>\n<thead><tr><th>Host</th><th>NFC address</th><th>vmknic</th>"
       "<th>Proxy interface</th><th>Verdict</th><th>Checks</th><th>Findings</th></tr></thead>\n"
       "<tbody>\n";
  for (const PairVerdict& p : r.pairs) {
    o << "<tr class=\"pair v-" << VerdictName(p.verdict) << "\" data-host=\"" << E(p.host_id)
      << "\" data-verdict=\"" << VerdictName(p.verdict) << "\">";
    o << "<td>" << E(p.host_id);
    if (!p.esxi_version.empty()) {
      o << "<br><small>ESXi " << E(p.esxi_version) << "</small>";
    }
    o << "</td><td><code>" << E(p.nfc_address.empty() ? "-" : p.nfc_address) << "</code></td>";
    o << "<td>" << E(p.nfc_vmknic.empty() ? "-" : p.nfc_vmknic) << "</td>";
    o << "<td>" << E(p.interface.empty() ? "-" : p.interface);
    if (!p.source_address.empty()) {
      o << "<br><small><code>" << E(p.source_address) << "</code></small>";
    }
    o << "</td><td class=\"verdict\">" << VerdictName(p.verdict) << "</td><td>";
    // Every check with its status; the evidence and time of each one a click away.
    o << "<ul class=\"checklist\">";
    for (const Check& c : p.checks) {
      o << "<li class=\"c-" << CheckStatusName(c.status) << "\" data-check=\"" << E(c.id)
        << "\" data-status=\"" << CheckStatusName(c.status) << "\" title=\"" << E(c.name) << "\">"
        << E(c.id) << ": " << CheckStatusName(c.status) << "</li>";
    }
    o << "</ul><details class=\"checks\"><summary>" << PassedChecks(p) << " of " << p.checks.size()
      << " checks passed: evidence</summary><table class=\"checks\">";
    for (const Check& c : p.checks) {
      o << "<tr class=\"check c-" << CheckStatusName(c.status) << "\"><td><code>" << E(c.id)
        << "</code></td><td>" << CheckStatusName(c.status) << "</td><td><time datetime=\""
        << E(FormatTimestamp(c.at_unix_ms)) << "\">" << E(FormatTimestamp(c.at_unix_ms))
        << "</time></td><td><pre>" << E(c.evidence.empty() ? "-" : c.evidence)
        << "</pre></td></tr>";
    }
    o << "</table></details></td><td>";
    if (p.findings.empty()) {
      o << "no findings";
    }
    for (const Finding& f : p.findings) {
      o << "<details class=\"finding" << (f.impact == Verdict::kIsolated ? " advice" : "")
        << "\" data-code=\"" << E(f.code) << "\"><summary><code>" << E(f.code) << "</code> "
        << E(f.detail) << "</summary>";
      o << "<pre>" << E(f.evidence.empty() ? "(no evidence recorded)" : f.evidence)
        << "</pre></details>";
    }
    o << "</td></tr>\n";
  }
  o << "</tbody>\n</table>\n";
  o << "<h2>Verdicts</h2>\n<dl>\n";
  for (Verdict v : VerdictsBySeverity()) {
    o << "<dt>" << VerdictName(v) << "</dt><dd>" << E(VerdictMeaning(v)) << "</dd>\n";
  }
  o << "</dl>\n</body>\n</html>\n";
  return o.str();
}

std::string StaleReason(const Report& r, int64_t now_ms, int64_t freshness_ms,
                        bool daemon_running) {
  if (!daemon_running) {
    return "bnfc-proxyd is not running (the report is from " +
           FormatTimestamp(r.generated_unix_ms) + ")";
  }
  if (r.generated_unix_ms <= 0) {
    return "no report has been generated yet";
  }
  const int64_t age = now_ms - r.generated_unix_ms;
  if (age > freshness_ms || age < -freshness_ms) {
    return "the report is " + std::to_string(age / 1000) + " s old (generated " +
           FormatTimestamp(r.generated_unix_ms) + ", limit " + std::to_string(freshness_ms / 1000) +
           " s)";
  }
  return "";
}

void MarkStale(Report& r, const std::string& reason) {
  r.stale = true;
  r.stale_reason = reason;
  const std::string when = FormatTimestamp(r.generated_unix_ms);
  for (PairVerdict& p : r.pairs) {
    const std::string last = VerdictName(p.verdict);
    p.findings.insert(p.findings.begin(),
                      MakeFinding(findings::Code::kStale,
                                  "This verdict is not current: " + reason +
                                      "; start bnfc-proxyd (systemctl start bnfc-proxyd) or find "
                                      "why it stopped publishing.",
                                  "last verdict " + last + " at " + when));
    p.verdict = Verdict::kUnknown;
    for (Check& c : p.checks) {
      if (c.status == CheckStatus::kPassed) {
        c.status = CheckStatus::kNotRun;
        c.evidence =
            "stale: passed at " + FormatTimestamp(c.at_unix_ms) + ", not since\n" + c.evidence;
      }
    }
  }
  Summarise(r);
}

int ExitCodeFor(const Report& r) {
  if (r.Count(Verdict::kNotIsolated) > 0 || r.Count(Verdict::kUnreachable) > 0) {
    return kExitNotIsolated;
  }
  if (r.stale || r.pairs.empty() || r.Count(Verdict::kUnknown) > 0) {
    return kExitUnknown;
  }
  if (r.Count(Verdict::kDegraded) > 0) {
    return kExitDegraded;
  }
  return kExitIsolated;
}

Expected<Report> ParseReportJson(const std::string& text) {
  auto bad = [](const std::string& what) {
    return Unexpected(ErrorCode::kParse, "report.json: " + what);
  };
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return bad("not a JSON object");
  }
  auto str = [](const json& o, const char* k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Report r;
  if (!j.contains("generated_unix_ms") || !j["generated_unix_ms"].is_number_integer()) {
    return bad("no generated_unix_ms");
  }
  if (!j.contains("pairs") || !j["pairs"].is_array()) {
    return bad("no pairs");
  }
  r.generated_unix_ms = j["generated_unix_ms"].get<int64_t>();
  r.proxy_id = str(j, "proxy");
  if (j.contains("versions") && j["versions"].is_object()) {
    r.proxy_version = str(j["versions"], "bnfc-proxyd");
  }
  r.stale = j.value("stale", false);
  r.stale_reason = str(j, "stale_reason");
  for (const json& pj : j["pairs"]) {
    if (!pj.is_object()) {
      return bad("a pair is not an object");
    }
    PairVerdict p;
    p.proxy_id = str(pj, "proxy");
    p.host_id = str(pj, "host");
    if (std::string source = str(pj, "source"); !source.empty()) {
      p.source = source;  // reports from before the field are the agent's
    }
    p.nfc_address = str(pj, "nfc_address");
    p.nfc_vmknic = str(pj, "nfc_vmknic");
    p.interface = str(pj, "interface");
    p.source_address = str(pj, "source_address");
    p.esxi_version = str(pj, "esxi_version");
    p.agent_version = str(pj, "agent_version");
    p.nbdssl_recommended = pj.value("nbdssl_recommended", false);
    if (auto age = pj.find("report_age_s"); age != pj.end() && age->is_number()) {
      p.has_report = true;
      p.report_age_ms = static_cast<int64_t>(age->get<double>() * 1000.0);
    }
    auto v = VerdictFromName(str(pj, "verdict"));
    if (!v) {
      return bad("pair " + p.host_id + " has no valid verdict");
    }
    p.verdict = *v;
    for (const json& cj : pj.value("checks", json::array())) {
      auto st = cj.is_object() ? StatusFromName(str(cj, "status")) : std::nullopt;
      if (!st) {
        return bad("pair " + p.host_id + " has a check without a valid status");
      }
      p.checks.push_back(Check{str(cj, "id"), str(cj, "name"), *st, str(cj, "evidence"),
                               cj.value("at_unix_ms", int64_t{0})});
    }
    for (const json& fj : pj.value("findings", json::array())) {
      auto impact = fj.is_object() ? VerdictFromName(str(fj, "impact")) : std::nullopt;
      if (!impact) {
        return bad("pair " + p.host_id + " has a finding without a valid impact");
      }
      p.findings.push_back(
          Finding{str(fj, "code"), *impact, str(fj, "detail"), str(fj, "evidence")});
    }
    r.pairs.push_back(std::move(p));
  }
  Summarise(r);
  return r;
}

}  // namespace bnfc::report
