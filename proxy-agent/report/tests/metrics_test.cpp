// Prometheus exposition: naming, escaping, values, and Prometheus's own linter (promtool).
#include <cmath>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "bnfc/report/metrics.h"
#include "process_util.h"
#include "report_fixtures.h"

namespace bnfc::report {
namespace {

using testing::FindExecutable;
using testing::Run;
using testing::TempDir;
using testing::WriteAll;

MetricsSnapshot SampleSnapshot() {
  MetricsSnapshot s;
  s.proxy_id = "proxy01";
  s.version = "0.1.0";
  FillFromReport(testing::SampleReport(), s);
  s.pins_installed = 4;
  s.pins_desired = 5;
  s.enrolment_keys = {{"pending", 2}, {"accepted", 5}};
  s.reports_received = 1234;
  s.reports_rejected = {{"replay", 3}, {"host_id_mismatch", 1}, {"undecodable", 2}};
  s.replay_drops = 3;
  s.hosts["esx01"].flows_on_backup = 4;
  s.hosts["esx02"].flows_off_backup = 2;
  s.hosts["weird \"host\"\\\nname"].has_report = true;  // escaping is exercised
  s.hosts["weird \"host\"\\\nname"].last_report_age_seconds = 1.25;
  s.checks["neighbor"] = CheckTiming{10, 0.0125, 0.001};
  s.checks["flow_audit"] = CheckTiming{10, 0.5, 0.05};
  s.checks["tcp_connect"] = CheckTiming{10, 1.5, 0.1};
  return s;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l))
    v.push_back(l);
  return v;
}

TEST(Metrics, Escaping) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeHelp("a\"b\\c\nd"), "a\"b\\\\c\\nd");
}

TEST(Metrics, SampleValues) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(1234), "1234");
  EXPECT_EQ(FormatSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatSampleValue(1.25), "1.25");
  EXPECT_EQ(FormatSampleValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(std::stod(FormatSampleValue(1.0 / 3)), 1.0 / 3);
}

TEST(Metrics, EverySampleBelongsToADeclaredFamilyWithValidNames) {
  const std::string text = RenderPrometheus(SampleSnapshot());
  std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  std::regex type(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped)$)");
  std::regex sample(
      R"re(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (\S+)$)re");
  std::set<std::string> families;
  std::string current;
  for (const std::string& l : Lines(text)) {
    std::smatch m;
    if (std::regex_match(l, m, help)) {
      current = m[1];
      EXPECT_TRUE(families.insert(current).second) << "family declared twice: " << l;
    } else if (std::regex_match(l, m, type)) {
      EXPECT_EQ(m[1].str(), current) << l;
      if (m[2] == "counter") {
        EXPECT_TRUE(std::regex_search(current, std::regex("_total$"))) << l;
      }
    } else {
      ASSERT_TRUE(std::regex_match(l, m, sample)) << "not a valid sample line: " << l;
      const std::string name = m[1];
      EXPECT_TRUE(name == current || name == current + "_sum" || name == current + "_count")
          << name << " outside its family " << current;
    }
  }
  for (const char* f :
       {"bnfc_pairs", "bnfc_pins", "bnfc_reports_received_total", "bnfc_reports_rejected_total",
        "bnfc_replay_drops_total", "bnfc_host_last_report_age_seconds", "bnfc_flows",
        "bnfc_check_duration_seconds", "bnfc_all_hosts_isolated", "bnfc_host_check_status",
        "bnfc_host_findings", "bnfc_host_agent_info", "bnfc_host_last_report_timestamp_seconds",
        "bnfc_report_generated_timestamp_seconds", "bnfc_pins_desired", "bnfc_enrolment_keys"}) {
    EXPECT_TRUE(families.count(f)) << f;
  }
}

TEST(Metrics, Values) {
  const std::string text = RenderPrometheus(SampleSnapshot());
  for (const char* want : {
           "bnfc_pairs{verdict=\"ISOLATED\"} 1\n",
           "bnfc_pairs{verdict=\"NOT_ISOLATED\"} 1\n",
           "bnfc_all_hosts_isolated 0\n",
           "bnfc_pins 4\n",
           "bnfc_reports_received_total 1234\n",
           "bnfc_reports_rejected_total{reason=\"replay\"} 3\n",
           "bnfc_replay_drops_total 3\n",
           "bnfc_host_last_report_age_seconds{host=\"esx01\"} 4\n",
           "bnfc_host_last_report_age_seconds{host=\"weird \\\"host\\\"\\\\\\nname\"} 1.25\n",
           "bnfc_flows{host=\"esx02\",path=\"off_backup\"} 2\n",
           "bnfc_flows{host=\"esx01\",path=\"backup\"} 4\n",
           "bnfc_check_duration_seconds_sum{check=\"neighbor\"} 0.0125\n",
           "bnfc_check_duration_seconds_count{check=\"neighbor\"} 10\n",
           "bnfc_host_verdict{host=\"esx02\",verdict=\"NOT_ISOLATED\"} 1\n",
           "bnfc_host_verdict{host=\"esx02\",verdict=\"ISOLATED\"} 0\n",
           "bnfc_host_check_passed{check=\"tag\",host=\"esx01\"} 1\n",
           "bnfc_host_check_passed{check=\"tag\",host=\"esx02\"} 0\n",
           "bnfc_host_check_passed{check=\"pin\",host=\"esx05\"} 0\n",
           "bnfc_report_stale 0\n",
           // 2024-06-11T10:00:00Z minus the 4 s report age
           "bnfc_host_last_report_timestamp_seconds{host=\"esx01\"} 1718099996\n",
           "bnfc_report_generated_timestamp_seconds 1718100000\n",
           "bnfc_host_agent_info{esxi_version=\"8.0.3 (Releasebuild-24677879)\",host=\"esx01\","
           "version=\"0.1.0\"} 1\n",
           "bnfc_host_check_status{check=\"pin\",host=\"esx05\",status=\"failed\"} 1\n",
           "bnfc_host_check_status{check=\"pin\",host=\"esx05\",status=\"passed\"} 0\n",
           "bnfc_host_check_status{check=\"tag\",host=\"esx01\",status=\"passed\"} 1\n",
           "bnfc_host_findings{code=\"PIN_MISSING\",host=\"esx05\"} 1\n",
           "bnfc_pins_desired 5\n",
           "bnfc_enrolment_keys{state=\"pending\"} 2\n",
           "bnfc_enrolment_keys{state=\"rejected\"} 0\n",
       }) {
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want;
  }
  // An ISOLATED pair has no findings series at all (absent, not a zero per code).
  EXPECT_EQ(text.find("bnfc_host_findings{code=\"PIN_MISSING\",host=\"esx01\"}"),
            std::string::npos);
}

TEST(Metrics, AStaleReportShowsNoIsolatedHost) {
  Report r = testing::SampleReport();
  MarkStale(r, "the report is 300 s old");
  MetricsSnapshot s;
  FillFromReport(r, s);
  const std::string text = RenderPrometheus(s);
  for (const char* want :
       {"bnfc_pairs{verdict=\"ISOLATED\"} 0\n", "bnfc_all_hosts_isolated 0\n",
        "bnfc_report_stale 1\n", "bnfc_host_verdict{host=\"esx01\",verdict=\"ISOLATED\"} 0\n",
        "bnfc_host_verdict{host=\"esx01\",verdict=\"UNKNOWN\"} 1\n",
        "bnfc_host_check_passed{check=\"tag\",host=\"esx01\"} 0\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want;
  }
}

// Runs `promtool check metrics` on `text`; returns its exit code and output.
testing::ProcessResult Promtool(const std::string& promtool, const TempDir& dir,
                                const std::string& text) {
  WriteAll(dir.File("metrics.txt"), text);
  return Run({promtool, "check", "metrics"}, dir.path(), dir.File("metrics.txt"));
}

TEST(Metrics, PromtoolCheckMetricsAcceptsOurExposition) {
  const std::string promtool = FindExecutable("promtool");
  if (promtool.empty()) {
    GTEST_SKIP() << "promtool not installed (Debian package 'prometheus')";
  }
  TempDir dir;
  // Empty snapshot and a full one: both must lint clean.
  for (const MetricsSnapshot& s : {MetricsSnapshot{}, SampleSnapshot()}) {
    auto r = Promtool(promtool, dir, RenderPrometheus(s));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out + r.err, "") << "promtool complained";
  }
  // Control: promtool does flag a counter without the _total suffix, so the check is real.
  auto bad =
      Promtool(promtool, dir, "# HELP bnfc_bad a counter\n# TYPE bnfc_bad counter\nbnfc_bad 1\n");
  EXPECT_NE(bad.exit_code, 0) << bad.out << bad.err;
}

TEST(Metrics, EnrolmentStoreHealth) {
  MetricsSnapshot s;
  s.keystore_revision = 42;
  s.keystore_reload_failures = 3;
  s.keystore_stale = true;
  const std::string text = RenderPrometheus(s);
  for (const char* want : {"bnfc_keystore_revision 42\n", "bnfc_keystore_reload_failures_total 3\n",
                           "bnfc_keystore_stale 1\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want;
  }
  EXPECT_NE(RenderPrometheus(MetricsSnapshot{}).find("bnfc_keystore_stale 0\n"), std::string::npos);
}

}  // namespace
}  // namespace bnfc::report
