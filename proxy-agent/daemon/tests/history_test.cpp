// Verdict history: one record per change, appended, rotated by size, one log entry per change.
#include "history.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bnfc/log.h"

namespace bnfc::proxyd {
namespace {

report::Report ReportWith(int64_t at_ms, std::vector<std::pair<std::string, report::Verdict>> v) {
  report::Report r;
  r.proxy_id = "proxy01";
  r.generated_unix_ms = at_ms;
  for (const auto& [host, verdict] : v) {
    report::PairVerdict p;
    p.host_id = host;
    p.verdict = verdict;
    if (verdict != report::Verdict::kIsolated) {
      p.findings.push_back(
          {"PIN_MISSING", verdict, "no pin", "no route for 10.99.0.12\nread back"});
    }
    r.pairs.push_back(p);
  }
  return r;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) {
    out.push_back(l);
  }
  return out;
}

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bnfc-history-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log::Options o;
    o.to_stderr = false;
    o.to_syslog = true;
    o.syslog_sink = [this](int, const std::string& text) { logged_.push_back(text); };
    log::Init(o);
  }
  void TearDown() override {
    log::Init(log::Options{});
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::vector<std::string> logged_;
};

TEST_F(HistoryTest, EachChangeIsOneRecordAndOneLogLineAndNothingElse) {
  using report::Verdict;
  VerdictHistory h({dir_ + "/history.jsonl"});
  EXPECT_EQ(h.Observe(ReportWith(1718100000000,
                                 {{"esx01", Verdict::kIsolated}, {"esx02", Verdict::kIsolated}})),
            2u);  // first verdicts since start
  EXPECT_EQ(h.Observe(ReportWith(1718100090000,
                                 {{"esx01", Verdict::kIsolated}, {"esx02", Verdict::kIsolated}})),
            0u);  // no change: no record
  EXPECT_EQ(h.Observe(ReportWith(
                1718100180000, {{"esx01", Verdict::kIsolated}, {"esx02", Verdict::kNotIsolated}})),
            1u);
  EXPECT_EQ(h.Observe(ReportWith(1718100270000, {{"esx01", Verdict::kIsolated}})), 1u);
  auto lines = ReadLines(dir_ + "/history.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_TRUE(first["previous"].is_null());
  EXPECT_EQ(first["verdict"], "ISOLATED");
  auto change = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(change["at"], "2024-06-11T10:03:00Z");
  EXPECT_EQ(change["proxy"], "proxy01");
  EXPECT_EQ(change["host"], "esx02");
  EXPECT_EQ(change["previous"], "ISOLATED");
  EXPECT_EQ(change["verdict"], "NOT_ISOLATED");
  ASSERT_EQ(change["findings"].size(), 1u);
  EXPECT_EQ(change["findings"][0]["code"], "PIN_MISSING");
  EXPECT_EQ(change["findings"][0]["evidence"], "no route for 10.99.0.12\nread back");
  auto gone = nlohmann::json::parse(lines[3]);
  EXPECT_EQ(gone["host"], "esx02");
  EXPECT_TRUE(gone["verdict"].is_null());
  ASSERT_EQ(logged_.size(), 4u);
  EXPECT_NE(logged_[2].find("verdict of esx02: ISOLATED -> NOT_ISOLATED (PIN_MISSING)"),
            std::string::npos)
      << logged_[2];
  EXPECT_NE(logged_[2].find("bnfc_event=verdict_change"), std::string::npos) << logged_[2];
}

TEST_F(HistoryTest, RotationKeepsEveryRecordUntilTheOldestFileFallsOff) {
  HistoryOptions o{dir_ + "/h.jsonl", 100, 2};
  const std::string record(60, 'x');
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(AppendRotated(o, record + std::to_string(i) + "\n").ok());
  }
  // 62 bytes per record, 100 per file: one record per file, the current one and two rotated.
  EXPECT_EQ(ReadLines(o.path), std::vector<std::string>{record + "4"});
  EXPECT_EQ(ReadLines(o.path + ".1"), std::vector<std::string>{record + "3"});
  EXPECT_EQ(ReadLines(o.path + ".2"), std::vector<std::string>{record + "2"});
  EXPECT_FALSE(std::filesystem::exists(o.path + ".3"));
}

TEST_F(HistoryTest, AnUnwritableHistoryIsAnErrorNotACrash) {
  HistoryOptions o{dir_ + "/missing-dir/h.jsonl"};
  auto s = AppendRotated(o, "{}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("missing-dir/h.jsonl"), std::string::npos);
  VerdictHistory h(o);
  h.Observe(ReportWith(1, {{"esx01", report::Verdict::kIsolated}}));
  h.Observe(ReportWith(2, {{"esx01", report::Verdict::kDegraded}}));
  size_t errors = 0;
  for (const auto& l : logged_) {
    errors += l.find("verdict history not written") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(errors, 1u);  // once per problem, not every cycle
}

}  // namespace
}  // namespace bnfc::proxyd
