#include "bnfc/report/report.h"

#include "bnfc/text.h"

#include <algorithm>
#include <ctime>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bnfc.pb.h"

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

// `s` in lines of at most `width` columns, nothing cut: broken at the last space that fits (a
// word longer than a line is split), continuation lines start with `cont`. The first line keeps
// its own spacing, so table-like lines stay aligned.
std::vector<std::string> WrapLine(const std::string& s, size_t width, const std::string& cont) {
  std::string rest = CleanLine(s);
  std::vector<std::string> out;
  std::string prefix;
  while (true) {
    const size_t room = width - prefix.size();
    if (rest.size() <= room) {
      out.push_back(prefix + rest);
      break;
    }
    const size_t indent = rest.find_first_not_of(' ');
    size_t cut = rest.rfind(' ', room);
    if (cut == std::string::npos || indent == std::string::npos || cut <= indent) {
      cut = room;
    }
    out.push_back(prefix + rest.substr(0, cut));
    rest.erase(0, cut);
    rest.erase(0, rest.find_first_not_of(' '));
    if (rest.empty()) {
      break;
    }
    prefix = cont;
  }
  return out;
}

// Items joined by `sep` in lines of at most `width` columns (an item longer than that keeps its
// own line).
std::vector<std::string> JoinWrapped(const std::vector<std::string>& items, const std::string& sep,
                                     size_t width) {
  std::vector<std::string> lines;
  std::string cur;
  for (const std::string& item : items) {
    if (!cur.empty() && cur.size() + sep.size() + item.size() > width) {
      lines.push_back(cur + sep);
      cur.clear();
    }
    cur += (cur.empty() ? "" : sep) + item;
  }
  if (!cur.empty() || lines.empty()) {
    lines.push_back(cur);
  }
  return lines;
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

// "vSwitch0 / Backup / VLAN 20": where the host puts `vmknic`, as far as it reported it.
std::string SegmentOf(const HostSide& h, const std::string& vmknic) {
  for (const HostVmknic& v : h.vmknics) {
    if (v.name != vmknic) {
      continue;
    }
    std::string out;
    auto add = [&](const std::string& part) { out += (out.empty() ? "" : " / ") + part; };
    if (!v.switch_name.empty()) {
      add(v.switch_name + (v.on_vds ? " (VDS)" : ""));
    }
    if (!v.portgroup.empty()) {
      add(v.portgroup);
    }
    if (v.vlan_known) {
      add(v.vlan_id == 0      ? std::string("untagged")
          : v.vlan_id == 4095 ? std::string("VLAN 4095 (all)")
                              : "VLAN " + std::to_string(v.vlan_id));
    }
    return out;
  }
  return "";
}

PairContext ContextFromFacts(const PairFacts& f) {
  PairContext c;
  c.proxy_id = f.proxy_id;
  c.host_id = f.host_id;
  if (f.has_report) {
    c.last_report_unix_ms = f.observed_unix_ms - f.report_age_ms;
  }
  c.agent_version = f.host.agent_version;
  c.tag_policy = f.host.tag_policy;
  c.proxy_interface = f.mapping.interface;
  c.proxy_address = f.mapping.source_address;
  c.vmknic = f.host.nfc_vmknic;
  c.vmknic_address = f.host.nfc_address;
  c.backup_segment = SegmentOf(f.host, f.host.nfc_vmknic);
  if (!f.mapping.via.empty()) {
    c.backup_segment = "routed via " + f.mapping.via +
                       (c.backup_segment.empty() ? "" : "; host side " + c.backup_segment);
  }
  c.mtu = f.mapping.interface_mtu != 0 ? f.mapping.interface_mtu : f.host.nfc_vmknic_mtu;
  c.management_interface = f.path.management_interface;
  c.management_next_hop = f.path.management_next_hop;
  c.management_vmknic = f.host.management_vmknic;
  c.management_address =
      !f.host.management_address.empty() ? f.host.management_address : f.path.management_address;
  c.management_segment = SegmentOf(f.host, f.host.management_vmknic);
  return c;
}

json ContextJson(const PairContext& c, json* path) {
  json changes = json::array();
  for (const AgentChange& a : c.changes) {
    changes.push_back(json{{"vmknic", a.vmknic},
                           {"action", a.action},
                           {"reason", a.reason},
                           {"ok", a.ok},
                           {"at", FormatTimestamp(a.at_unix_ms)},
                           {"at_unix_ms", a.at_unix_ms},
                           {"by", a.by.empty() ? "bnfc-hostd" : a.by},
                           {"refused", a.refused}});
  }
  *path = json{{"backup",
                {{"proxy_interface", StrOrNull(c.proxy_interface)},
                 {"proxy_address", StrOrNull(c.proxy_address)},
                 {"segment", StrOrNull(c.backup_segment)},
                 {"vmknic", StrOrNull(c.vmknic)},
                 {"vmknic_address", StrOrNull(c.vmknic_address)},
                 {"mtu", c.mtu}}},
               {"management",
                {{"proxy_interface", StrOrNull(c.management_interface)},
                 {"next_hop", StrOrNull(c.management_next_hop)},
                 {"segment", StrOrNull(c.management_segment)},
                 {"vmknic", StrOrNull(c.management_vmknic)},
                 {"address", StrOrNull(c.management_address)}}}};
  return json{
      {"version", StrOrNull(c.agent_version)},
      {"tag_policy", StrOrNull(c.tag_policy)},
      {"last_report_at",
       c.last_report_unix_ms > 0 ? json(FormatTimestamp(c.last_report_unix_ms)) : json(nullptr)},
      {"last_report_unix_ms",
       c.last_report_unix_ms > 0 ? json(c.last_report_unix_ms) : json(nullptr)},
      {"changes", c.changes_known ? changes : json(nullptr)}};
}

// Reads back what ContextJson wrote; absent or mistyped keys stay empty (the fields are optional).
PairContext ContextFromJson(const json& pj, const std::string& proxy_id,
                            const std::string& host_id) {
  auto str = [](const json& o, const char* k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto obj = [](const json& o, const char* k) -> json {
    auto it = o.find(k);
    return it != o.end() && it->is_object() ? *it : json::object();
  };
  PairContext c;
  c.proxy_id = proxy_id;
  c.host_id = host_id;
  const json agent = obj(pj, "agent");
  c.agent_version = str(agent, "version");
  c.tag_policy = str(agent, "tag_policy");
  if (auto t = agent.find("last_report_unix_ms"); t != agent.end() && t->is_number_integer()) {
    c.last_report_unix_ms = t->get<int64_t>();
  }
  if (auto ch = agent.find("changes"); ch != agent.end() && ch->is_array()) {
    c.changes_known = true;
    for (const json& a : *ch) {
      if (a.is_object()) {
        std::string by = str(a, "by");
        c.changes.push_back(AgentChange{str(a, "vmknic"), str(a, "action"), str(a, "reason"),
                                        a.value("at_unix_ms", int64_t{0}), a.value("ok", true),
                                        by == "bnfc-hostd" ? "" : by, a.value("refused", false)});
      }
    }
  }
  const json path = obj(pj, "path");
  const json backup = obj(path, "backup");
  const json mgmt = obj(path, "management");
  c.proxy_interface = str(backup, "proxy_interface");
  c.proxy_address = str(backup, "proxy_address");
  c.backup_segment = str(backup, "segment");
  c.vmknic = str(backup, "vmknic");
  c.vmknic_address = str(backup, "vmknic_address");
  if (auto m = backup.find("mtu"); m != backup.end() && m->is_number_unsigned()) {
    c.mtu = m->get<uint32_t>();
  }
  c.management_interface = str(mgmt, "proxy_interface");
  c.management_next_hop = str(mgmt, "next_hop");
  c.management_segment = str(mgmt, "segment");
  c.management_vmknic = str(mgmt, "vmknic");
  c.management_address = str(mgmt, "address");
  return c;
}

}  // namespace

const PairContext* ContextFor(const Report& r, const PairVerdict& p) {
  for (const PairContext& c : r.contexts) {
    if (c.proxy_id == p.proxy_id &&
        (c.host_id == p.host_id || c.proxy_id + "/" + c.host_id == p.host_id)) {
      return &c;
    }
  }
  return nullptr;
}

void AttachAgentChanges(Report& r, const std::string& host_id, std::vector<AgentChange> changes) {
  for (PairContext& c : r.contexts) {
    if (c.host_id == host_id) {
      c.changes = changes;
      c.changes_known = true;
    }
  }
}

std::vector<AgentChange> AgentChangesFromReport(const proto::HostReport& host_report) {
  std::vector<AgentChange> out;
  for (const proto::TagChange& c : host_report.changes()) {
    out.push_back(
        AgentChange{c.vmknic(), c.action(), c.reason(), c.at_unix_ms(), c.ok(), "", c.refused()});
  }
  return out;
}

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
    r.contexts.push_back(ContextFromFacts(f));
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
    if (const PairContext* c = ContextFor(r, p)) {
      json path;
      pj["agent"] = ContextJson(*c, &path);
      pj["path"] = std::move(path);
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
  // Long lines wrap (advice and evidence are never cut); continuation lines start with `cont`.
  auto line = [&](const std::string& s, const std::string& cont) {
    for (const std::string& l : WrapLine(s, W, cont)) {
      o << RightTrim(l) << "\n";
    }
  };
  auto para = [&](const std::string& indent, const std::string& s) {
    for (const std::string& l : WrapText(s, W - indent.size())) {
      o << indent << l << "\n";
    }
  };
  para("", "backupnfc validation report - proxy " + r.proxy_id + " - " +
               FormatTimestamp(r.generated_unix_ms) + " - bnfc-proxyd " + r.proxy_version);
  if (r.stale) {
    para("", StaleSentence(r));
  }
  para("", CountsLine(r));
  para("", AllIsolatedSentence(r));
  o << "\n";
  // 18 + 1 + 17 + 1 + 10 + 1 + 12 + 1 + 39 = 100 columns; more codes continue below the column.
  o << RightTrim(Cell("HOST", 18) + " " + Cell("NFC ADDRESS", 17) + " " + Cell("INTERFACE", 10) +
                 " " + Cell("VERDICT", 12) + " " + "FINDINGS")
    << "\n";
  for (const PairVerdict& p : r.pairs) {
    std::vector<std::string> codes_list;
    for (const Finding& f : p.findings) {
      if (std::find(codes_list.begin(), codes_list.end(), f.code) == codes_list.end()) {
        codes_list.push_back(CleanLine(f.code));
      }
    }
    if (codes_list.empty()) {
      codes_list.push_back("-");
    }
    const std::vector<std::string> code_lines = JoinWrapped(codes_list, ",", 39);
    o << RightTrim(Cell(p.host_id, 18) + " " +
                   Cell(p.nfc_address.empty() ? "-" : p.nfc_address, 17) + " " +
                   Cell(p.interface.empty() ? "-" : p.interface, 10) + " " +
                   Cell(VerdictName(p.verdict), 12) + " " + Fit(code_lines[0], 39))
      << "\n";
    for (size_t i = 1; i < code_lines.size(); ++i) {
      o << std::string(61, ' ') << Fit(code_lines[i], 39) << "\n";
    }
  }
  if (!r.pairs.empty()) {
    o << "\nChecks and findings\n";
  }
  for (const PairVerdict& p : r.pairs) {
    o << "\n";
    line(p.host_id + " (" + (p.nfc_address.empty() ? "no NFC address" : p.nfc_address) + ") " +
             VerdictName(p.verdict) + " - " + std::to_string(PassedChecks(p)) + " of " +
             std::to_string(p.checks.size()) + " checks passed",
         "    ");
    if (const PairContext* c = ContextFor(r, p)) {
      line("  agent " + (c->agent_version.empty() ? "?" : c->agent_version) +
               (c->tag_policy.empty() ? "" : " (" + c->tag_policy + ")") + ", last report " +
               (c->last_report_unix_ms > 0 ? FormatTimestamp(c->last_report_unix_ms) : "never"),
           "    ");
      for (const AgentChange& a : c->changes) {
        line(std::string(a.refused ? "  refused: " : "  changed: ") +
                 (a.ok || a.refused ? "" : "FAILED ") + a.action + " vSphereBackupNFC on " +
                 a.vmknic + " at " + FormatTimestamp(a.at_unix_ms) +
                 (a.reason.empty() ? "" : " (" + a.reason + ")") +
                 (a.by.empty() ? "" : " by " + a.by),
             "    ");
      }
      auto dash = [](const std::string& v) { return v.empty() ? std::string("?") : v; };
      line("  backup path: " + dash(c->proxy_interface) + " " + c->proxy_address + " -> " +
               dash(c->backup_segment) + " -> " + dash(c->vmknic) + " " + c->vmknic_address,
           "    ");
      line("  management path: " + dash(c->management_interface) + " -> " +
               dash(c->management_segment) + " -> " + dash(c->management_vmknic) + " " +
               c->management_address,
           "    ");
    }
    // 2 + 7 + 1 + 13 + 1 + 20 + 1 = 45 columns before the evidence's first line.
    for (const Check& c : p.checks) {
      line("  " + Cell(CheckStatusName(c.status), 7) + " " + Cell(c.id, 13) + " " +
               FormatTimestamp(c.at_unix_ms) + " " + FirstLine(c.evidence),
           std::string(45, ' '));
    }
    for (const Finding& f : p.findings) {
      line("  " + f.code + (f.impact == Verdict::kIsolated ? " (advice)" : ""), "    ");
      para("    ", f.detail);
      std::vector<std::string> ev = SplitLines(f.evidence);
      const size_t kMaxEvidenceLines = 6;
      for (size_t i = 0; i < ev.size() && i < kMaxEvidenceLines; ++i) {
        line("      | " + ev[i], "      | ");
      }
      if (ev.size() > kMaxEvidenceLines) {
        line("      | ... " + std::to_string(ev.size() - kMaxEvidenceLines) +
                 " more lines in report.json",
             "      | ");
      }
    }
  }
  return o.str();
}

namespace {

// At most `n` characters for a box in the path picture (the full text is in its <title>).
std::string Short(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

const char* PathStroke(Verdict v) {
  switch (v) {
    case Verdict::kIsolated:
      return "#1a7f37";
    case Verdict::kDegraded:
      return "#9a6700";
    case Verdict::kUnknown:
      return "#6e7781";
    case Verdict::kUnreachable:
    case Verdict::kNotIsolated:
      return "#cf222e";
  }
  return "#6e7781";
}

// The pair's two paths as a small inline SVG: the backup path (proxy interface -> segment ->
// vmknic) in the verdict's colour and the management path beside it, dashed grey.
std::string PathSvg(const PairContext& c, Verdict v) {
  const auto E = [](const std::string& s) { return text::EscapeXml(s); };
  const auto q = [](const std::string& s) { return s.empty() ? std::string("?") : s; };
  std::ostringstream o;
  // Three boxes a row: proxy side (150 px), segment (210 px), host side (150 px).
  constexpr int kX[] = {0, 175, 410};
  constexpr int kW[] = {150, 210, 150};
  auto box = [&](int i, int y, const std::string& top, const std::string& bottom,
                 const char* stroke) {
    const size_t chars = static_cast<size_t>(kW[i] / 7);
    o << "<g><title>" << E(top + (bottom.empty() ? "" : " " + bottom)) << "</title><rect x=\""
      << kX[i] << "\" y=\"" << y << "\" width=\"" << kW[i]
      << "\" height=\"34\" rx=\"4\" fill=\"#fff\" stroke=\"" << stroke << "\"/><text x=\""
      << kX[i] + kW[i] / 2 << "\" y=\"" << y + 14 << "\" text-anchor=\"middle\""
      << (i == 1 ? "" : " font-weight=\"600\"") << ">" << E(Short(top, chars))
      << "</text><text x=\"" << kX[i] + kW[i] / 2 << "\" y=\"" << y + 28
      << "\" text-anchor=\"middle\">" << E(Short(bottom, chars)) << "</text></g>";
  };
  auto link = [&](int y, const char* stroke, bool dashed) {
    for (int i : {0, 1}) {
      o << "<line x1=\"" << kX[i] + kW[i] << "\" y1=\"" << y << "\" x2=\"" << kX[i + 1]
        << "\" y2=\"" << y << "\" stroke=\"" << stroke << "\" stroke-width=\"3\""
        << (dashed ? " stroke-dasharray=\"4 3\"" : "") << "/>";
    }
  };
  const char* stroke = PathStroke(v);
  const std::string mtu = c.mtu != 0 ? "MTU " + std::to_string(c.mtu) : "";
  o << "<svg class=\"path\" viewBox=\"0 0 560 104\" width=\"560\" height=\"104\" role=\"img\" "
       "font-family=\"system-ui,sans-serif\" font-size=\"11\" aria-label=\"backup path "
    << E(q(c.proxy_interface) + " to " + q(c.backup_segment) + " to " + q(c.vmknic) +
         "; management path " + q(c.management_interface) + " to " + q(c.management_segment) +
         " to " + q(c.management_vmknic))
    << "\">";
  o << "<text x=\"0\" y=\"9\" fill=\"" << stroke << "\" font-weight=\"600\">backup (NBD)</text>";
  link(29, stroke, false);
  box(0, 12, "proxy " + q(c.proxy_interface), c.proxy_address, stroke);
  box(1, 12, q(c.backup_segment), mtu, stroke);
  box(2, 12, q(c.vmknic), c.vmknic_address, stroke);
  o << "<text x=\"0\" y=\"61\" fill=\"#57606a\" font-weight=\"600\">management</text>";
  link(81, "#8c959f", true);
  box(0, 64, "proxy " + q(c.management_interface),
      c.management_next_hop.empty() ? "" : "next hop " + c.management_next_hop, "#8c959f");
  box(1, 64, q(c.management_segment), "", "#8c959f");
  box(2, 64, q(c.management_vmknic), c.management_address, "#8c959f");
  o << "</svg>";
  return o.str();
}

}  // namespace

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
    << "h1{font-size:1.4rem;margin:0 0 .3rem;overflow-wrap:anywhere}\n"
    << ".meta{color:#57606a;font-size:.9rem;margin-bottom:1rem}\n"
    << ".summary{display:flex;gap:.6rem;flex-wrap:wrap;margin:.8rem 0}\n"
    << ".count{padding:.5rem .9rem;border-radius:6px;border:1px solid #d0d7de;min-width:7rem}\n"
    << ".count b{display:block;font-size:1.5rem}\n"
    << ".banner{padding:.6rem .9rem;border-radius:6px;margin:.6rem 0 1rem;font-weight:600}\n"
    << ".banner.ok{background:#d7f5dd}.banner.bad{background:#ffc9c9}\n"
    << "table{border-collapse:collapse;width:100%}\n"
    << "th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;"
       "border-bottom:1px solid #d0d7de}\n"
    << "th{background:#f6f8fa;white-space:nowrap}td.host{overflow-wrap:anywhere;min-width:9rem}\n"
    << "td.verdict{font-weight:700;white-space:nowrap}\n"
    << "code{font-family:ui-monospace,monospace}\n"
    << "details{margin:.15rem 0}summary{cursor:pointer}\n"
    << "pre{background:#f6f8fa;padding:.5rem;white-space:pre-wrap;word-break:break-all;"
       "margin:.3rem 0 .5rem}\n"
    << ".advice{color:#57606a}small{color:#57606a}\n"
    << "dl{font-size:.9rem}dt{font-weight:700;margin-top:.4rem}\n"
    << "ul.checklist{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem}\n"
    << "ul.checklist li{font-size:.8rem;padding:.05rem .35rem;border-radius:4px;"
       "border:1px solid #d0d7de;background:#fff}\n"
    << "li.c-passed{color:#116329}li.c-failed{color:#a40e26;font-weight:700}"
       "li.c-not_run{color:#57606a;font-style:italic}\n"
    << "tr.pair-detail>td{padding:.2rem .6rem .9rem 1.4rem;border-bottom:2px solid #8c959f}\n"
    << ".detail{display:flex;flex-wrap:wrap;gap:.4rem 1.5rem;align-items:flex-start}\n"
    << ".detail>*{min-width:0}.detail>details{flex:1 1 28rem}\n"
    << "svg.path{max-width:100%;height:auto;display:block}\n"
    << "figure{margin:0}figcaption{font-size:.8rem;color:#57606a}\n"
    << ".agent{font-size:.85rem}.agent ul{margin:.2rem 0;padding-left:1.2rem}\n"
    << "table.checks{font-size:.85rem;margin:.3rem 0}table.checks td{padding:.2rem .4rem}\n"
    << "table.checks pre{margin:0}\n";
  for (Verdict v : VerdictsBySeverity()) {
    o << "tr.v-" << VerdictName(v) << ",.count.v-" << VerdictName(v)
      << "{background:" << VerdictColour(v) << "}\n";
  }
  // Narrow screens: each pair becomes a card with its verdict beside the host name, so the
  // verdict is never scrolled out of sight.
  o << "@media screen and (max-width:760px){\n"
    << "body{margin:.5rem}.count{min-width:4.5rem;padding:.3rem .5rem}\n"
    << "table.pairs,table.pairs tbody{display:block}table.pairs thead{display:none}\n"
    << "table.pairs tr.pair{display:grid;grid-template-columns:minmax(0,1fr) auto;"
       "border-top:2px solid #57606a}\n"
    << "table.pairs tr.pair>td{display:block;border:0;padding:.25rem .5rem}\n"
    << "table.pairs tr.pair>td.host{grid-column:1;grid-row:1}\n"
    << "table.pairs tr.pair>td.verdict{grid-column:2;grid-row:1}\n"
    << "table.pairs tr.pair>td:not(.host):not(.verdict){grid-column:1/-1}\n"
    << "table.pairs td[data-label]::before{content:attr(data-label) \": \";font-weight:600}\n"
    << "table.pairs tr.pair-detail,table.pairs tr.pair-detail>td{display:block}\n"
    << "table.pairs tr.pair-detail>td{padding:.2rem .5rem .8rem}\n"
    << "table.checks tr{display:grid;grid-template-columns:auto auto 1fr}"
       "table.checks td:last-child{grid-column:1/-1}\n"
    << "}\n";
  // Paper: every piece of evidence printed, nothing left collapsed, colours kept.
  o << "@media print{\n"
    << "body{margin:0;font-size:9pt}*{print-color-adjust:exact;-webkit-print-color-adjust:exact}\n"
    << "details::details-content{content-visibility:visible;display:contents}\n"
    << "details>summary{list-style:none;cursor:auto}"
       "details>summary::-webkit-details-marker{display:none}\n"
    << "tr.pair{break-inside:avoid}tr.pair-detail>td{break-inside:auto}\n"
    << ".count{min-width:0}\n"
    << "}\n";
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
  o << "<table class=\"pairs\">\n<thead><tr><th>Host</th><th>NFC address</th><th>vmknic</th>"
       "<th>Proxy interface</th><th>Verdict</th><th>Checks</th><th>Findings</th></tr></thead>\n"
       "<tbody>\n";
  for (const PairVerdict& p : r.pairs) {
    const PairContext* ctx = ContextFor(r, p);
    o << "<tr class=\"pair v-" << VerdictName(p.verdict) << "\" data-host=\"" << E(p.host_id)
      << "\" data-verdict=\"" << VerdictName(p.verdict) << "\">";
    o << "<td class=\"host\">" << E(p.host_id);
    if (!p.esxi_version.empty()) {
      o << "<br><small>ESXi " << E(p.esxi_version) << "</small>";
    }
    if (ctx != nullptr) {
      o << "<br><small class=\"last-report\">last report "
        << (ctx->last_report_unix_ms > 0
                ? "<time datetime=\"" + E(FormatTimestamp(ctx->last_report_unix_ms)) + "\">" +
                      E(FormatTimestamp(ctx->last_report_unix_ms)) + "</time>"
                : std::string("never"))
        << "</small>";
    }
    o << "</td><td data-label=\"NFC address\"><code>"
      << E(p.nfc_address.empty() ? "-" : p.nfc_address) << "</code></td>";
    o << "<td data-label=\"vmknic\">" << E(p.nfc_vmknic.empty() ? "-" : p.nfc_vmknic) << "</td>";
    o << "<td data-label=\"Proxy interface\">" << E(p.interface.empty() ? "-" : p.interface);
    if (!p.source_address.empty()) {
      o << "<br><small><code>" << E(p.source_address) << "</code></small>";
    }
    o << "</td><td class=\"verdict\">" << VerdictName(p.verdict) << "</td><td class=\"checks\">";
    o << "<ul class=\"checklist\">";
    for (const Check& c : p.checks) {
      o << "<li class=\"c-" << CheckStatusName(c.status) << "\" data-check=\"" << E(c.id)
        << "\" data-status=\"" << CheckStatusName(c.status) << "\" title=\"" << E(c.name) << "\">"
        << E(c.id) << ": " << CheckStatusName(c.status) << "</li>";
    }
    o << "</ul><small>" << PassedChecks(p) << " of " << p.checks.size()
      << " checks passed</small></td><td class=\"findings\">";
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
    // The row below: the path picture, every check with its evidence and time, what the agent
    // is and what it changed.
    o << "<tr class=\"pair-detail\" data-host=\"" << E(p.host_id) << "\"><td colspan=\"7\">"
      << "<div class=\"detail\">";
    if (ctx != nullptr) {
      o << "<figure>" << PathSvg(*ctx, p.verdict) << "</figure>";
    }
    o << "<details class=\"checks\"><summary>" << PassedChecks(p) << " of " << p.checks.size()
      << " checks passed: evidence and time</summary><table class=\"checks\">";
    for (const Check& c : p.checks) {
      o << "<tr class=\"check c-" << CheckStatusName(c.status) << "\" data-check=\"" << E(c.id)
        << "\"><td><code>" << E(c.id) << "</code></td><td>" << CheckStatusName(c.status)
        << "</td><td><time datetime=\"" << E(FormatTimestamp(c.at_unix_ms)) << "\">"
        << E(FormatTimestamp(c.at_unix_ms)) << "</time></td><td><pre>"
        << E(c.evidence.empty() ? "-" : c.evidence) << "</pre></td></tr>";
    }
    o << "</table></details>";
    if (ctx != nullptr) {
      o << "<div class=\"agent\">bnfc-hostd "
        << E(ctx->agent_version.empty() ? "?" : ctx->agent_version)
        << (ctx->tag_policy.empty() ? "" : ", tag policy " + E(ctx->tag_policy));
      if (!ctx->changes_known) {
        o << "<br>tag changes: not known to this report";
      } else if (ctx->changes.empty()) {
        o << "<br>no tag changes in the agent's last report";
      } else {
        o << "<br>tag changes:<ul class=\"changes\">";
        for (const AgentChange& a : ctx->changes) {
          o << "<li class=\"change" << (a.ok ? "" : " failed") << "\"><time datetime=\""
            << E(FormatTimestamp(a.at_unix_ms)) << "\">" << E(FormatTimestamp(a.at_unix_ms))
            << "</time> "
            << (a.refused ? "REFUSED "
                : a.ok    ? ""
                          : "FAILED ")
            << E(a.action) << " vSphereBackupNFC on " << E(a.vmknic)
            << (a.reason.empty() ? "" : " (" + E(a.reason) + ")")
            << (a.by.empty() ? "" : " by " + E(a.by)) << "</li>";
        }
        o << "</ul>";
      }
      o << "</div>";
    }
    o << "</div></td></tr>\n";
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
    if (pj.contains("agent") || pj.contains("path")) {
      r.contexts.push_back(ContextFromJson(pj, p.proxy_id, p.host_id));
    }
    r.pairs.push_back(std::move(p));
  }
  Summarise(r);
  return r;
}

}  // namespace bnfc::report
