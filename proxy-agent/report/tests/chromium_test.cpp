// The HTML report in a real headless Chromium: it loads from file:// with no console messages
// (the page has no scripts, so any console line is an error or a CSP violation), the parsed DOM
// shows the expected rows, and a screenshot is written (its path is printed).
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bnfc/report/report.h"
#include "process_util.h"
#include "report_fixtures.h"

namespace bnfc::report {
namespace {

using testing::FindExecutable;
using testing::ProcessResult;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

std::vector<std::string> ChromiumArgs(const std::string& chromium, const TempDir& dir) {
  return {chromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--user-data-dir=" + dir.File("profile"),
          "--enable-logging=stderr",
          "--v=0",
          "--window-size=1280,900"};
}

// Console messages Chromium logged for the page ("...:CONSOLE:1] "msg", source: ...").
std::vector<std::string> ConsoleLines(const std::string& log) {
  std::vector<std::string> out;
  std::regex console(R"(:CONSOLE[:(\]][^\n]*)");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), console);
       it != std::sregex_iterator(); ++it) {
    out.push_back(it->str());
  }
  return out;
}

ProcessResult Screenshot(const std::string& chromium, const TempDir& dir, const std::string& html,
                         const std::string& png) {
  std::vector<std::string> args = ChromiumArgs(chromium, dir);
  args.push_back("--screenshot=" + png);
  args.push_back("file://" + html);
  return testing::Run(args, dir.path());
}

ProcessResult DumpDom(const std::string& chromium, const TempDir& dir, const std::string& html) {
  std::vector<std::string> args = ChromiumArgs(chromium, dir);
  args.push_back("--dump-dom");
  args.push_back("file://" + html);
  return testing::Run(args, dir.path());
}

// Width and height from a PNG's IHDR chunk; {0, 0} when the bytes are not a PNG.
std::pair<uint32_t, uint32_t> PngSize(const std::string& bytes) {
  if (bytes.size() < 24 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      bytes.compare(12, 4, "IHDR") != 0) {
    return {0, 0};
  }
  auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
  };
  return {be32(16), be32(20)};
}

// Where screenshots are kept after the test: next to the test binaries, else the temp dir.
std::string OutputDir(const TempDir& dir) {
  const char* bin = std::getenv("BNFC_BIN_DIR");
  if (bin == nullptr || *bin == '\0') {
    return dir.path();
  }
  std::filesystem::path out = std::filesystem::path(bin).parent_path() / "test-output" / "report";
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  return ec ? dir.path() : out.string();
}

Report ReportWithAHostileHost() {
  std::vector<PairFacts> facts = testing::SampleFacts();
  // A host id that would add a row and a script if it were not escaped.
  PairFacts evil = testing::GoodFacts("esx99</td></tr><tr data-host=\"evil\"><script>x()</script>",
                                      "10.99.0.99");
  evil.host.checks[0].ping_received = 0;
  evil.host.checks[0].evidence = "</pre><img src=x onerror=alert(1)>";
  facts.push_back(evil);
  return BuildReport("proxy01", "0.1.0", 1718100000000, facts);
}

TEST(ReportChromium, RendersWithoutConsoleErrorsAndShowsTheRows) {
  const std::string chromium = FindExecutable("chromium");
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium not installed (Debian package 'chromium')";
  }
  TempDir dir;
  const std::string out_dir = OutputDir(dir);
  const std::string html = out_dir + "/report.html";
  const std::string png = out_dir + "/report.png";
  std::filesystem::remove(png);
  WriteAll(html, RenderHtml(ReportWithAHostileHost()));

  ProcessResult shot = Screenshot(chromium, dir, html, png);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  EXPECT_EQ(ConsoleLines(shot.err), std::vector<std::string>{}) << shot.err;
  auto [w, h] = PngSize(ReadAll(png));
  EXPECT_EQ(w, 1280u) << "screenshot " << png << " is missing or not a PNG";
  EXPECT_EQ(h, 900u);
  std::cout << "screenshot: " << png << "\nreport: " << html << "\n";

  ProcessResult dom = DumpDom(chromium, dir, html);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_EQ(ConsoleLines(dom.err), std::vector<std::string>{}) << dom.err;
  EXPECT_NE(dom.out.find("<title>backupnfc report - proxy01</title>"), std::string::npos)
      << dom.out.substr(0, 2000);
  // Exactly the six pair rows, in host order, with their verdicts; the hostile id stayed text.
  std::regex row("<tr class=\"pair v-([A-Z_]+)\" data-host=\"([^\"]*)\"");
  std::vector<std::string> rows;
  for (auto it = std::sregex_iterator(dom.out.begin(), dom.out.end(), row);
       it != std::sregex_iterator(); ++it) {
    rows.push_back((*it)[2].str().substr(0, 5) + "=" + (*it)[1].str());
  }
  EXPECT_EQ(rows,
            (std::vector<std::string>{"esx01=ISOLATED", "esx02=NOT_ISOLATED", "esx03=UNKNOWN",
                                      "esx04=UNREACHABLE", "esx05=DEGRADED", "esx99=UNREACHABLE"}));
  EXPECT_EQ(dom.out.find("<script"), std::string::npos);
  EXPECT_EQ(dom.out.find("<img"), std::string::npos);
  EXPECT_EQ(dom.out.find("<tr data-host=\"evil\""), std::string::npos);
  EXPECT_NE(dom.out.find("<details class=\"finding\" data-code=\"TAG_MISSING\">"),
            std::string::npos);
  EXPECT_NE(dom.out.find("NOT all enrolled hosts are ISOLATED"), std::string::npos);
}

// Control: the console detector does see errors, so an empty list above means something.
TEST(ReportChromium, ConsoleErrorsOnABadPageAreDetected) {
  const std::string chromium = FindExecutable("chromium");
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium not installed (Debian package 'chromium')";
  }
  TempDir dir;
  const std::string html = dir.File("bad.html");
  WriteAll(html,
           "<!DOCTYPE html><html><head><title>bad</title></head><body><p>x</p>"
           "<script>console.error('boom'); notDefined();</script></body></html>");
  ProcessResult dom = DumpDom(chromium, dir, html);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  std::vector<std::string> lines = ConsoleLines(dom.err);
  ASSERT_EQ(lines.size(), 2u) << dom.err;
  EXPECT_NE(lines[0].find("boom"), std::string::npos);
  EXPECT_NE(lines[1].find("notDefined"), std::string::npos);
}

}  // namespace
}  // namespace bnfc::report
