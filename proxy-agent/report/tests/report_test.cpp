// The report model and its JSON, text and HTML renderers.
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bnfc/report/report.h"
#include "report_fixtures.h"

namespace bnfc::report {
namespace {

using nlohmann::json;
using testing::GoodFacts;
using testing::SampleFacts;
using testing::SampleReport;

std::string SourceDir() {
  const char* s = std::getenv("BNFC_SOURCE_DIR");
  return s != nullptr && *s != '\0' ? s : ".";
}

// ---- A minimal JSON Schema validator: the keywords report.schema.json uses, nothing else ----

bool TypeMatches(const json& v, const std::string& t) {
  if (t == "object")
    return v.is_object();
  if (t == "array")
    return v.is_array();
  if (t == "string")
    return v.is_string();
  if (t == "integer")
    return v.is_number_integer();
  if (t == "number")
    return v.is_number();
  if (t == "boolean")
    return v.is_boolean();
  if (t == "null")
    return v.is_null();
  return false;
}

void Validate(const json& v, const json& schema, const std::string& path,
              std::vector<std::string>& errors) {
  static const std::vector<std::string> kKnown = {
      "$comment", "type", "required",  "properties", "additionalProperties",
      "items",    "enum", "minLength", "minimum",    "pattern"};
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    if (std::find(kKnown.begin(), kKnown.end(), it.key()) == kKnown.end()) {
      errors.push_back(path + ": schema keyword '" + it.key() + "' is not supported");
    }
  }
  if (schema.contains("type")) {
    const json& t = schema["type"];
    bool ok = false;
    if (t.is_string()) {
      ok = TypeMatches(v, t.get<std::string>());
    } else {
      for (const json& one : t) {
        ok = ok || TypeMatches(v, one.get<std::string>());
      }
    }
    if (!ok) {
      errors.push_back(path + ": expected type " + t.dump() + ", got " + v.dump());
      return;
    }
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const json& e : schema["enum"]) {
      found = found || e == v;
    }
    if (!found) {
      errors.push_back(path + ": " + v.dump() + " is not one of " + schema["enum"].dump());
    }
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (schema.contains("minLength") && s.size() < schema["minLength"].get<size_t>()) {
      errors.push_back(path + ": shorter than " + schema["minLength"].dump());
    }
    if (schema.contains("pattern") &&
        !std::regex_search(s, std::regex(schema["pattern"].get<std::string>()))) {
      errors.push_back(path + ": '" + s + "' does not match " + schema["pattern"].dump());
    }
  }
  if (v.is_number() && schema.contains("minimum") &&
      v.get<double>() < schema["minimum"].get<double>()) {
    errors.push_back(path + ": below minimum " + schema["minimum"].dump());
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const json& k : schema["required"]) {
        if (!v.contains(k.get<std::string>())) {
          errors.push_back(path + ": missing required key " + k.dump());
        }
      }
    }
    const json props = schema.value("properties", json::object());
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (props.contains(it.key())) {
        Validate(it.value(), props[it.key()], path + "." + it.key(), errors);
      } else if (schema.contains("additionalProperties") &&
                 !schema["additionalProperties"].get<bool>()) {
        errors.push_back(path + ": unexpected key '" + it.key() + "'");
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < v.size(); ++i) {
      Validate(v[i], schema["items"], path + "[" + std::to_string(i) + "]", errors);
    }
  }
}

json LoadSchema() {
  std::ifstream in(SourceDir() + "/proxy-agent/report/tests/report.schema.json");
  EXPECT_TRUE(in.good()) << "schema file not found under " << SourceDir();
  return json::parse(in);
}

std::vector<std::string> ValidateReport(const json& doc) {
  std::vector<std::string> errors;
  Validate(doc, LoadSchema(), "$", errors);
  return errors;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v)
    s += x + "\n";
  return s;
}

TEST(ReportJson, SampleReportMatchesTheSchema) {
  json doc = json::parse(RenderJson(SampleReport()));
  std::vector<std::string> errors = ValidateReport(doc);
  EXPECT_TRUE(errors.empty()) << Join(errors);
}

TEST(ReportJson, EmptyReportMatchesTheSchema) {
  json doc = json::parse(RenderJson(BuildReport("proxy01", "0.1.0", 0, {})));
  EXPECT_TRUE(ValidateReport(doc).empty()) << Join(ValidateReport(doc));
  EXPECT_FALSE(doc["summary"]["all_isolated"].get<bool>());
}

TEST(ReportJson, ValidatorRejectsBrokenDocuments) {
  json good = json::parse(RenderJson(SampleReport()));
  json missing = good;
  missing["pairs"][0].erase("verdict");
  EXPECT_FALSE(ValidateReport(missing).empty());
  json wrong_type = good;
  wrong_type["pairs"][0]["findings"] = "none";
  EXPECT_FALSE(ValidateReport(wrong_type).empty());
  json bad_verdict = good;
  bad_verdict["pairs"][1]["verdict"] = "FINE";
  EXPECT_FALSE(ValidateReport(bad_verdict).empty());
  json bad_time = good;
  bad_time["generated_at"] = "yesterday";
  EXPECT_FALSE(ValidateReport(bad_time).empty());
}

TEST(ReportJson, MinimumKeysAndValues) {
  json doc = json::parse(RenderJson(SampleReport()));
  EXPECT_EQ(doc["generated_at"], "2024-06-11T10:00:00Z");
  EXPECT_EQ(doc["proxy"], "proxy01");
  ASSERT_EQ(doc["pairs"].size(), 5u);
  const json& p0 = doc["pairs"][0];
  EXPECT_EQ(p0["host"], "esx01");
  EXPECT_EQ(p0["nfc_address"], "10.99.0.11");
  EXPECT_EQ(p0["interface"], "eth1");
  EXPECT_EQ(p0["verdict"], "ISOLATED");
  EXPECT_TRUE(p0["findings"].empty());
  const json& p1 = doc["pairs"][1];
  EXPECT_EQ(p1["host"], "esx02");
  EXPECT_EQ(p1["verdict"], "NOT_ISOLATED");
  EXPECT_EQ(p1["findings"][0]["code"], "TAG_MISSING");
  EXPECT_FALSE(p1["findings"][0]["detail"].get<std::string>().empty());
  EXPECT_EQ(doc["summary"]["counts"]["ISOLATED"], 1);
  EXPECT_EQ(doc["summary"]["counts"]["NOT_ISOLATED"], 1);
  EXPECT_EQ(doc["summary"]["counts"]["UNKNOWN"], 1);
  EXPECT_EQ(doc["summary"]["counts"]["UNREACHABLE"], 1);
  EXPECT_EQ(doc["summary"]["counts"]["DEGRADED"], 1);
  EXPECT_EQ(doc["summary"]["pairs"], 5);
  EXPECT_FALSE(doc["summary"]["all_isolated"].get<bool>());
}

TEST(ReportJson, NoReportPairHasNulls) {
  PairFacts f;
  f.proxy_id = "proxy01";
  f.host_id = "esx09";
  json doc = json::parse(RenderJson(BuildReport("proxy01", "0.1.0", 0, {f})));
  EXPECT_TRUE(ValidateReport(doc).empty()) << Join(ValidateReport(doc));
  EXPECT_TRUE(doc["pairs"][0]["nfc_address"].is_null());
  EXPECT_TRUE(doc["pairs"][0]["report_age_s"].is_null());
  EXPECT_EQ(doc["pairs"][0]["verdict"], "UNKNOWN");
}

TEST(ReportJson, InvalidUtf8FromAHostDoesNotBreakTheDocument) {
  PairFacts f = GoodFacts();
  f.host.checks[0].ping_received = 0;
  f.host.checks[0].evidence = std::string("bad \xff\xfe bytes");
  std::string text = RenderJson(BuildReport("proxy01", "0.1.0", 0, {f}));
  EXPECT_TRUE(json::accept(text)) << text;
}

TEST(Report, AllIsolatedOnlyWhenEveryEnrolledHostIs) {
  Report r =
      BuildReport("proxy01", "0.1.0", 0, {GoodFacts("esx01"), GoodFacts("esx02", "10.99.0.12")});
  EXPECT_TRUE(r.all_isolated);
  EXPECT_EQ(r.Count(Verdict::kIsolated), 2u);
  PairFacts silent;  // enrolled, never reported
  silent.host_id = "esx03";
  r = BuildReport("proxy01", "0.1.0", 0, {GoodFacts("esx01"), silent});
  EXPECT_FALSE(r.all_isolated);
  EXPECT_EQ(r.Count(Verdict::kUnknown), 1u);
  EXPECT_FALSE(BuildReport("proxy01", "0.1.0", 0, {}).all_isolated);
}

TEST(Report, PairsAreSortedByHost) {
  std::vector<PairFacts> facts = SampleFacts();
  std::reverse(facts.begin(), facts.end());
  Report r = BuildReport("proxy01", "0.1.0", 0, facts);
  for (size_t i = 1; i < r.pairs.size(); ++i) {
    EXPECT_LT(r.pairs[i - 1].host_id, r.pairs[i].host_id);
  }
}

TEST(Report, FormatTimestamp) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(1718100000999), "2024-06-11T10:00:00Z");
}

// ---- Text ----

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l))
    v.push_back(l);
  return v;
}

TEST(ReportText, FitsOneHundredColumnsAndShowsEveryPair) {
  std::vector<PairFacts> facts = SampleFacts();
  PairFacts longname = GoodFacts(std::string(150, 'h'), "fd00:1234:5678:9abc:def0:1234:5678:9abc");
  longname.host.checks[0].evidence = std::string(300, 'e') + "\n" + std::string(10, 'x');
  longname.host.checks[0].ping_received = 0;
  facts.push_back(longname);
  std::string text = RenderText(BuildReport("proxy01", "0.1.0", 1718100000000, facts));
  for (const std::string& l : Lines(text)) {
    EXPECT_LE(l.size(), kTextWidth) << l;
  }
  EXPECT_NE(text.find("HOST"), std::string::npos);
  for (const char* row : {"esx01", "esx02", "esx03", "esx04", "esx05"}) {
    EXPECT_NE(text.find(row), std::string::npos) << row;
  }
  EXPECT_NE(text.find("TAG_MISSING"), std::string::npos);
  EXPECT_NE(text.find("NOT all enrolled hosts are ISOLATED (1 of 6)"), std::string::npos) << text;
}

TEST(ReportText, RowShowsVerdictAndCodes) {
  std::string text = RenderText(SampleReport());
  std::regex row(R"(^esx02 +10\.98\.0\.12 +eth1 +NOT_ISOLATED +TAG_MISSING)");
  bool found = false;
  for (const std::string& l : Lines(text))
    found = found || std::regex_search(l, row);
  EXPECT_TRUE(found) << text;
}

TEST(ReportText, ControlCharactersFromHostsAreNeutralised) {
  PairFacts f = GoodFacts("esx\x1b[31mred");
  f.host.checks[0].ping_received = 0;
  f.host.checks[0].evidence = "line\x1b]0;title\x07";
  std::string text = RenderText(BuildReport("proxy01", "0.1.0", 0, {f}));
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x07'), std::string::npos);
}

TEST(ReportText, WrapText) {
  EXPECT_EQ(WrapText("aa bb cc", 5), (std::vector<std::string>{"aa bb", "cc"}));
  EXPECT_EQ(WrapText("abcdefgh", 3), (std::vector<std::string>{"abc", "def", "gh"}));
  EXPECT_TRUE(WrapText("", 10).empty());
}

// ---- HTML ----

TEST(ReportHtml, EscapesEverythingFromHosts) {
  PairFacts f = GoodFacts("<script>alert(1)</script>");
  f.host.checks[0].ping_received = 0;
  f.host.checks[0].evidence = "\"quoted\" & <b>bold</b> 'single'";
  std::string html = RenderHtml(BuildReport("proxy<01>", "0.1.0", 0, {f}));
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; &#39;single&#39;"),
            std::string::npos);
  EXPECT_NE(html.find("proxy&lt;01&gt;"), std::string::npos);
}

TEST(ReportHtml, SelfContained) {
  std::string html = RenderHtml(SampleReport());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
}

TEST(ReportHtml, RowsSummaryFindingsAndVersions) {
  std::string html = RenderHtml(SampleReport());
  std::regex row("<tr class=\"pair v-([A-Z_]+)\" data-host=\"([^\"]+)\"");
  std::vector<std::string> hosts;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), row); it != std::sregex_iterator();
       ++it) {
    hosts.push_back((*it)[2].str() + "=" + (*it)[1].str());
  }
  EXPECT_EQ(hosts,
            (std::vector<std::string>{"esx01=ISOLATED", "esx02=NOT_ISOLATED", "esx03=UNKNOWN",
                                      "esx04=UNREACHABLE", "esx05=DEGRADED"}));
  EXPECT_NE(html.find("<details class=\"finding\" data-code=\"TAG_MISSING\">"), std::string::npos);
  EXPECT_NE(html.find("<pre>"), std::string::npos);
  EXPECT_NE(html.find("2024-06-11T10:00:00Z"), std::string::npos);
  EXPECT_NE(html.find("bnfc-proxyd 0.1.0"), std::string::npos);
  EXPECT_NE(html.find("data-verdict=\"ISOLATED\"><b>1</b>"), std::string::npos);
}

TEST(ReportJson, EveryPairCarriesItsChecks) {
  json doc = json::parse(RenderJson(SampleReport()));
  EXPECT_EQ(doc["schema_version"], 2);
  EXPECT_FALSE(doc["stale"].get<bool>());
  const json& p0 = doc["pairs"][0];
  ASSERT_EQ(p0["verdict"], "ISOLATED");
  ASSERT_EQ(p0["checks"].size(), CheckIds().size());
  for (size_t i = 0; i < CheckIds().size(); ++i) {
    const json& c = p0["checks"][i];
    EXPECT_EQ(c["id"], CheckIds()[i]);
    EXPECT_EQ(c["status"], "passed") << c.dump();
    EXPECT_FALSE(c["evidence"].get<std::string>().empty()) << c.dump();
    EXPECT_EQ(c["at"].get<std::string>().size(), 20u) << c.dump();
  }
  // esx02 has no tag: the tag check failed, its dependants did not run.
  const json& p1 = doc["pairs"][1];
  EXPECT_EQ(p1["checks"][1]["id"], "tag");
  EXPECT_EQ(p1["checks"][1]["status"], "failed");
  EXPECT_EQ(p1["checks"][2]["status"], "not_run");
}

TEST(ReportJson, ParseReadsBackWhatRenderWrote) {
  Report r = SampleReport();
  auto back = ParseReportJson(RenderJson(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(RenderJson(*back), RenderJson(r));
  EXPECT_EQ(RenderText(*back), RenderText(r));
  EXPECT_EQ(RenderHtml(*back), RenderHtml(r));
  for (const char* broken : {"", "[]", "{\"pairs\": []}", "{\"generated_unix_ms\": 1}",
                             "{\"generated_unix_ms\": 1, \"pairs\": [{\"verdict\": \"GOOD\"}]}"}) {
    EXPECT_FALSE(ParseReportJson(broken).ok()) << broken;
  }
}

// A report read after the daemon stopped, or older than freshness, never says ISOLATED.
TEST(ReportStale, NeverRendersIsolatedAndExitsThree) {
  const Report fresh = [] {
    std::vector<PairFacts> facts = {GoodFacts("esx01"), GoodFacts("esx02", "10.99.0.12")};
    return BuildReport("proxy01", "0.1.0", 1718100000000, facts);
  }();
  ASSERT_TRUE(fresh.all_isolated);
  EXPECT_EQ(ExitCodeFor(fresh), kExitIsolated);
  const int64_t t = fresh.generated_unix_ms;
  EXPECT_EQ(StaleReason(fresh, t + 5'000, 90'000, true), "");
  EXPECT_NE(StaleReason(fresh, t + 91'000, 90'000, true).find("91 s old"), std::string::npos);
  EXPECT_NE(StaleReason(fresh, t + 5'000, 90'000, false).find("not running"), std::string::npos);
  EXPECT_EQ(StaleReason(Report{}, t, 90'000, true), "no report has been generated yet");
  Report r = fresh;
  MarkStale(r, StaleReason(fresh, t, 90'000, false));
  EXPECT_TRUE(r.stale);
  EXPECT_FALSE(r.all_isolated);
  EXPECT_EQ(r.Count(Verdict::kIsolated), 0u);
  EXPECT_EQ(r.Count(Verdict::kUnknown), 2u);
  EXPECT_EQ(ExitCodeFor(r), kExitUnknown);
  for (const PairVerdict& p : r.pairs) {
    ASSERT_FALSE(p.findings.empty());
    EXPECT_EQ(p.findings[0].code, codes::kStale);
    EXPECT_NE(p.findings[0].evidence.find("last verdict ISOLATED"), std::string::npos);
    for (const Check& c : p.checks) {
      EXPECT_NE(c.status, CheckStatus::kPassed) << c.id;
    }
  }
  json doc = json::parse(RenderJson(r));
  EXPECT_TRUE(ValidateReport(doc).empty()) << Join(ValidateReport(doc));
  EXPECT_TRUE(doc["stale"].get<bool>());
  for (const json& p : doc["pairs"]) {
    EXPECT_EQ(p["verdict"], "UNKNOWN");
  }
  EXPECT_EQ(doc["summary"]["counts"]["ISOLATED"], 0);
  const std::string text = RenderText(r);
  EXPECT_EQ(text.rfind("backupnfc validation report", 0), 0u);
  EXPECT_NE(text.find("STALE: bnfc-proxyd is not running"), std::string::npos) << text;
  std::istringstream lines(text);
  int pair_lines = 0;
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("esx0", 0) == 0) {  // the table row and the header of each pair's checks
      ++pair_lines;
      EXPECT_NE(l.find("UNKNOWN"), std::string::npos) << l;
      EXPECT_EQ(std::regex_search(l, std::regex("(^|[^_])ISOLATED")), false) << l;
    }
  }
  EXPECT_EQ(pair_lines, 4);
  EXPECT_EQ(text.find("All 2 enrolled hosts are ISOLATED"), std::string::npos) << text;
  const std::string html = RenderHtml(r);
  EXPECT_NE(html.find("id=\"stale\""), std::string::npos);
  EXPECT_EQ(html.find("data-verdict=\"ISOLATED\" data-"), std::string::npos);
  EXPECT_EQ(html.find("<tr class=\"pair v-ISOLATED"), std::string::npos);
  // Stale stays stale when read back (the CLI re-renders from the file).
  auto back = ParseReportJson(RenderJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(ExitCodeFor(*back), kExitUnknown);
}

TEST(ReportExitCode, TheMostSevereVerdictDecides) {
  auto with = [](std::vector<Verdict> verdicts) {
    Report r;
    for (size_t i = 0; i < verdicts.size(); ++i) {
      PairVerdict p;
      p.host_id = "esx" + std::to_string(i);
      p.verdict = verdicts[i];
      r.pairs.push_back(p);
    }
    Summarise(r);
    return ExitCodeFor(r);
  };
  using V = Verdict;
  EXPECT_EQ(with({V::kIsolated, V::kIsolated}), 0);
  EXPECT_EQ(with({V::kIsolated, V::kDegraded}), 1);
  EXPECT_EQ(with({V::kDegraded, V::kUnknown}), 3);
  EXPECT_EQ(with({V::kUnknown, V::kUnreachable}), 2);
  EXPECT_EQ(with({V::kIsolated, V::kNotIsolated}), 2);
  EXPECT_EQ(with({V::kDegraded, V::kUnknown, V::kNotIsolated}), 2);
  EXPECT_EQ(with({}), 3) << "no pairs: nothing is proven";
  EXPECT_EQ(ExitCodeFor(SampleReport()), 2);
}

TEST(ReportText, IsolatedPairShowsItsPassedChecks) {
  const std::string text = RenderText(SampleReport());
  EXPECT_NE(text.find("esx01 (10.99.0.11) ISOLATED - 10 of 10 checks passed"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  passed  own_l2        2024-06-11T09:59:56Z"), std::string::npos) << text;
  EXPECT_NE(text.find("  failed  tag"), std::string::npos) << text;
}

TEST(ReportHtml, IsolatedRowShowsItsChecksNotNone) {
  const std::string html = RenderHtml(SampleReport());
  const size_t row = html.find("<tr class=\"pair v-ISOLATED\"");
  ASSERT_NE(row, std::string::npos);
  const std::string cells = html.substr(row, html.find("</tr>\n", row) - row);
  EXPECT_EQ(cells.find(">none<"), std::string::npos) << cells;
  for (const std::string& id : CheckIds()) {
    EXPECT_NE(cells.find("data-check=\"" + id + "\" data-status=\"passed\""), std::string::npos)
        << id;
  }
  EXPECT_NE(cells.find("10 of 10 checks passed"), std::string::npos);
}

}  // namespace
}  // namespace bnfc::report

namespace bnfc::report {
namespace {

using testing::GoodFacts;
using testing::SampleReport;

// A report whose esx01 agent added the tag: the context the HTML and text show.
Report ReportWithAChange() {
  Report r = SampleReport();
  AttachAgentChanges(
      r, "esx01",
      {AgentChange{"vmk2", "add", "backup vmknic selected by portgroup Backup", 1718099990000, true,
                   "", false},
       AgentChange{"vmk0", "remove", "tag on management", 1718099991000, false, "", false}});
  return r;
}

std::string Joined(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '|') {
      out += c;
    }
  }
  return out;
}

TEST(ReportText, LongAdviceAndEvidenceWrapAndAreNeverCut) {
  std::vector<PairFacts> facts = {GoodFacts("esx01")};
  facts[0].pin.installed = false;
  facts[0].pin.evidence = "route-" + std::string(150, 'r') + " end-of-route " +
                          std::string(30, 'w') + " " + std::string(80, 'v') + " tail";
  Report r = BuildReport("proxy01", "0.1.0", 1718100000000, facts);
  ASSERT_FALSE(r.pairs[0].findings.empty());
  const std::string text = RenderText(r);
  for (const std::string& l : Lines(text)) {
    EXPECT_LE(l.size(), kTextWidth) << l;
  }
  EXPECT_EQ(text.find("..."), std::string::npos) << text;
  // Every finding's advice and evidence is there in full, only broken into lines.
  for (const Finding& f : r.pairs[0].findings) {
    EXPECT_NE(Joined(text).find(Joined(f.detail)), std::string::npos) << f.detail << "\n" << text;
    EXPECT_NE(Joined(text).find(Joined(f.evidence)), std::string::npos) << f.evidence;
  }
}

TEST(ReportText, ShowsTheAgentItsChangesAndBothPaths) {
  const std::string text = RenderText(ReportWithAChange());
  EXPECT_NE(text.find("  agent 0.1.0 (ensure), last report 2024-06-11T09:59:56Z"),
            std::string::npos)
      << text;
  // Longer than a line: wrapped, nothing cut.
  EXPECT_NE(text.find("  changed: add vSphereBackupNFC on vmk2 at 2024-06-11T09:59:50Z (backup "
                      "vmknic selected by portgroup\n    Backup)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  changed: FAILED remove vSphereBackupNFC on vmk0"), std::string::npos);
  EXPECT_NE(text.find("  backup path: eth1 10.99.0.100 -> vSwitch0 / Backup / VLAN 20 -> vmk2 "
                      "10.99.0.11"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  management path: eth0 -> vSwitch0 / Management Network / VLAN 10 -> "
                      "vmk0 10.98.0.11"),
            std::string::npos)
      << text;
}

TEST(ReportHtml, EachPairHasItsPathPictureAgentAndEvidence) {
  const std::string html = RenderHtml(ReportWithAChange());
  const size_t at = html.find("<tr class=\"pair-detail\" data-host=\"esx01\">");
  ASSERT_NE(at, std::string::npos);
  const std::string detail = html.substr(at, html.find("</tr>\n", at) - at);
  EXPECT_NE(detail.find("<svg class=\"path\""), std::string::npos);
  for (const char* s : {">proxy eth1<", ">10.99.0.100<", ">vSwitch0 / Backup / VLAN 20<", ">vmk2<",
                        ">10.99.0.11<", ">proxy eth0<", ">vmk0<", ">10.98.0.11<", ">MTU 9000<"}) {
    EXPECT_NE(detail.find(s), std::string::npos) << s;
  }
  EXPECT_NE(detail.find("bnfc-hostd 0.1.0, tag policy ensure"), std::string::npos);
  EXPECT_NE(detail.find("add vSphereBackupNFC on vmk2 (backup vmknic selected by portgroup "
                        "Backup)</li>"),
            std::string::npos)
      << detail;
  EXPECT_NE(detail.find("<li class=\"change failed\">"), std::string::npos);
  // Every check's evidence and time, passed ones included.
  EXPECT_NE(detail.find("data-check=\"pin\"><td><code>pin</code></td><td>passed</td><td><time "
                        "datetime=\"2024-06-11T10:00:00Z\">"),
            std::string::npos)
      << detail;
  EXPECT_NE(detail.find("10.99.0.11 dev eth1 src 10.99.0.100 table 902 proto 190"),
            std::string::npos);
  // The pair row says when the host last reported.
  EXPECT_NE(html.find("last report <time datetime=\"2024-06-11T09:59:56Z\">"), std::string::npos);
  // Printing expands every <details>.
  EXPECT_NE(html.find("@media print{"), std::string::npos);
  EXPECT_NE(html.find("details::details-content{content-visibility:visible"), std::string::npos);
}

TEST(ReportJson, AgentAndPathRoundTripAndMatchTheSchema) {
  const Report r = ReportWithAChange();
  json doc = json::parse(RenderJson(r));
  EXPECT_EQ(ValidateReport(doc), std::vector<std::string>{});
  const json& p = doc["pairs"][0];
  EXPECT_EQ(p["agent"]["last_report_at"], "2024-06-11T09:59:56Z");
  EXPECT_EQ(p["agent"]["changes"].size(), 2u);
  EXPECT_EQ(p["agent"]["changes"][1]["ok"], false);
  EXPECT_EQ(p["path"]["backup"]["segment"], "vSwitch0 / Backup / VLAN 20");
  EXPECT_EQ(p["path"]["management"]["proxy_interface"], "eth0");
  auto back = ParseReportJson(RenderJson(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(RenderJson(*back), RenderJson(r));
  EXPECT_EQ(RenderHtml(*back), RenderHtml(r));
  // A merged row ("PROXY/HOST") still finds its context.
  PairVerdict merged = back->pairs[0];
  merged.host_id = "proxy01/esx01";
  ASSERT_NE(ContextFor(*back, merged), nullptr);
  EXPECT_EQ(ContextFor(*back, merged)->changes.size(), 2u);
  merged.proxy_id = "proxy02";
  EXPECT_EQ(ContextFor(*back, merged), nullptr);
}

// Tag changes the proxy made (or refused) through the vSphere API say so in every format.
TEST(ReportText, ChangesThroughTheApiNameTheProxyAndRefusalsStandApart) {
  Report r = SampleReport();
  const std::string by = "bnfc-proxyd through the vSphere API (source vc1)";
  AttachAgentChanges(
      r, "esx01",
      {AgentChange{"vmk2", "add", "missing", 1718099990000, true, by, false},
       AgentChange{"vmk1", "remove", "no DF probe", 1718099991000, false, by, true}});
  const std::string text = RenderText(r);
  EXPECT_NE(
      Joined(text).find(Joined("changed: add vSphereBackupNFC on vmk2 at 2024-06-11T09:59:50Z "
                               "(missing) by " +
                               by)),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("  refused: remove vSphereBackupNFC on vmk1"), std::string::npos) << text;
  EXPECT_EQ(text.find("FAILED remove vSphereBackupNFC on vmk1"), std::string::npos) << text;
  const std::string html = RenderHtml(r);
  EXPECT_NE(html.find("REFUSED remove vSphereBackupNFC on vmk1 (no DF probe) by bnfc-proxyd"),
            std::string::npos);
  json doc = json::parse(RenderJson(r));
  EXPECT_EQ(ValidateReport(doc), std::vector<std::string>{});
  EXPECT_EQ(doc["pairs"][0]["agent"]["changes"][0]["by"], by);
  EXPECT_EQ(doc["pairs"][0]["agent"]["changes"][1]["refused"], true);
  auto back = ParseReportJson(RenderJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(RenderJson(*back), RenderJson(r));
  // The agent's own changes say who made them too.
  EXPECT_EQ(json::parse(RenderJson(ReportWithAChange()))["pairs"][0]["agent"]["changes"][0]["by"],
            "bnfc-hostd");
}

// Changes nobody attached are unknown, not "none": null in JSON, said so in HTML; an attached
// empty list is "no changes".
TEST(ReportJson, AgentChangesUnknownUntilAttached) {
  Report r = SampleReport();
  json doc = json::parse(RenderJson(r));
  EXPECT_EQ(ValidateReport(doc), std::vector<std::string>{});
  EXPECT_TRUE(doc["pairs"][0]["agent"]["changes"].is_null());
  EXPECT_NE(RenderHtml(r).find("tag changes: not known to this report"), std::string::npos);
  auto back = ParseReportJson(RenderJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(RenderJson(*back), RenderJson(r));
  AttachAgentChanges(r, "esx01", {});
  EXPECT_TRUE(json::parse(RenderJson(r))["pairs"][0]["agent"]["changes"].is_array());
  const std::string html = RenderHtml(r);
  EXPECT_NE(html.find("no tag changes in the agent's last report"), std::string::npos);
}

}  // namespace
}  // namespace bnfc::report
