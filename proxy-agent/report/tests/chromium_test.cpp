// The HTML report in a real headless Chromium: it loads from file:// with no console messages
// (the page has no scripts, so any console line is an error or a CSP violation), the parsed DOM
// shows the expected rows, screenshots at 1400 and 420 px are written (their paths are printed),
// the verdict column stays inside a 420 px viewport, and the printed PDF carries every piece of
// evidence, collapsed on screen or not.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bnfc/report/report.h"
#include "bnfc/text.h"
#include "process_util.h"
#include "report_fixtures.h"

namespace bnfc::report {
namespace {

using testing::FindExecutable;
using testing::ProcessResult;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

std::vector<std::string> ChromiumArgs(const std::string& chromium, const TempDir& dir,
                                      int width = 1400) {
  return {chromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--user-data-dir=" + dir.File("profile"),
          "--enable-logging=stderr",
          "--v=0",
          "--window-size=" + std::to_string(width) + ",900"};
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
                         const std::string& png, int width = 1400) {
  std::vector<std::string> args = ChromiumArgs(chromium, dir, width);
  args.push_back("--screenshot=" + png);
  args.push_back("file://" + html);
  return testing::Run(args, dir.path());
}

ProcessResult DumpDom(const std::string& chromium, const TempDir& dir, const std::string& html,
                      int width = 1400) {
  std::vector<std::string> args = ChromiumArgs(chromium, dir, width);
  args.push_back("--dump-dom");
  args.push_back("file://" + html);
  return testing::Run(args, dir.path());
}

ProcessResult PrintToPdf(const std::string& chromium, const TempDir& dir, const std::string& html,
                         const std::string& pdf) {
  std::vector<std::string> args = ChromiumArgs(chromium, dir);
  args.push_back("--no-pdf-header-footer");
  args.push_back("--print-to-pdf=" + pdf);
  args.push_back("file://" + html);
  return testing::Run(args, dir.path());
}

// The page's text with every blank removed: PDF text extraction breaks lines wherever the layout
// did, so strings are compared without whitespace.
std::string Squeezed(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != '\f') {
      out += c;
    }
  }
  return out;
}

// The report with its CSP removed and a measuring script appended (test only: the shipped page
// has no script). The script writes, into <pre id="layout">, the viewport width, the page's
// scroll width and the left/right edge of every verdict cell, one "name value" per line.
std::string WithLayoutProbe(std::string html) {
  const size_t csp = html.find("<meta http-equiv=\"Content-Security-Policy\"");
  if (csp != std::string::npos) {
    html.erase(csp, html.find('>', csp) + 1 - csp);
  }
  const std::string probe =
      "<pre id=\"layout\"></pre><script>\n"
      "const lines = ['viewport ' + window.innerWidth,\n"
      "  'scroll ' + document.documentElement.scrollWidth];\n"
      "for (const td of document.querySelectorAll('tr.pair td.verdict')) {\n"
      "  const b = td.getBoundingClientRect();\n"
      "  lines.push('verdict ' + Math.floor(b.left) + ' ' + Math.ceil(b.right) + ' ' +\n"
      "             (b.width > 0 && b.height > 0 ? 'shown' : 'hidden'));\n"
      "}\n"
      "const out = (window.parent === window ? document : window.parent.document);\n"
      "out.getElementById('layout').textContent = lines.join('\\n');\n"
      "</script>\n";
  html.insert(html.rfind("</body>"), probe);
  return html;
}

// `page` in an iframe exactly `width` px wide: headless Chromium will not make its window
// narrower than 500 px, an iframe's viewport is what its width says. srcdoc keeps the frame in
// the wrapper's origin, so the probe can write its figures where --dump-dom sees them.
std::string InFrame(const std::string& page, int width) {
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>frame</title><style>"
         "html,body{margin:0;overflow:hidden}iframe{border:0;display:block}</style></head><body>"
         "<iframe width=\"" +
         std::to_string(width) + "\" height=\"900\" srcdoc=\"" + text::EscapeXml(page) +
         "\"></iframe><pre id=\"layout\"></pre></body></html>\n";
}

struct Layout {
  int viewport = 0;
  int scroll = 0;
  std::vector<std::pair<int, int>> verdicts;  // left, right
  size_t hidden = 0;
};

Layout MeasuredLayout(const std::string& dom) {
  Layout l;
  const size_t at = dom.find("<pre id=\"layout\">");
  if (at == std::string::npos) {
    return l;
  }
  std::istringstream in(dom.substr(at + 17, dom.find("</pre>", at) - at - 17));
  std::string name;
  while (in >> name) {
    if (name == "viewport") {
      in >> l.viewport;
    } else if (name == "scroll") {
      in >> l.scroll;
    } else if (name == "verdict") {
      int left = 0, right = 0;
      std::string shown;
      in >> left >> right >> shown;
      l.verdicts.emplace_back(left, right);
      l.hidden += shown == "shown" ? 0 : 1;
    }
  }
  return l;
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
  facts[1].pin.installed = false;
  facts[1].pin.evidence = "table 902 has no route for 10.98.0.12 (ip route show table 902)";
  // A host id that would add a row and a script if it were not escaped.
  PairFacts evil = testing::GoodFacts("esx99</td></tr><tr data-host=\"evil\"><script>x()</script>",
                                      "10.99.0.99");
  evil.host.checks[0].ping_received = 0;
  evil.host.checks[0].evidence = "</pre><img src=x onerror=alert(1)>";
  facts.push_back(evil);
  Report r = BuildReport("proxy01", "0.1.0", 1718100000000, facts);
  AttachAgentChanges(r, "esx01",
                     {AgentChange{"vmk2", "add", "backup vmknic chosen by portgroup Backup",
                                  1718099990000, true, "", false}});
  return r;
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

  for (int width : {1400, 420}) {
    const std::string shot_png = out_dir + "/report-" + std::to_string(width) + ".png";
    const std::string framed = out_dir + "/report-" + std::to_string(width) + ".html";
    std::filesystem::remove(shot_png);
    WriteAll(framed, InFrame(RenderHtml(ReportWithAHostileHost()), width));
    ProcessResult shot = Screenshot(chromium, dir, framed, shot_png, width);
    ASSERT_EQ(shot.exit_code, 0) << shot.err;
    EXPECT_EQ(ConsoleLines(shot.err), std::vector<std::string>{}) << shot.err;
    auto [w, h] = PngSize(ReadAll(shot_png));
    EXPECT_EQ(w, static_cast<uint32_t>(width)) << "screenshot " << shot_png << " is not a PNG";
    EXPECT_EQ(h, 900u);
    std::cout << "screenshot: " << shot_png << "\n";
  }
  std::cout << "report: " << html << "\n";

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

// At 420 px the pairs become cards: every verdict cell is laid out, inside the viewport, and the
// page does not scroll sideways. At 1400 px the table fits as well.
TEST(ReportChromium, VerdictColumnStaysInTheViewportAt420Pixels) {
  const std::string chromium = FindExecutable("chromium");
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium not installed (Debian package 'chromium')";
  }
  TempDir dir;
  const std::string html = dir.File("probe.html");
  for (int width : {420, 1400}) {
    WriteAll(html, InFrame(WithLayoutProbe(RenderHtml(ReportWithAHostileHost())), width));
    ProcessResult dom = DumpDom(chromium, dir, html, width);
    ASSERT_EQ(dom.exit_code, 0) << dom.err;
    Layout l = MeasuredLayout(dom.out);
    ASSERT_EQ(l.viewport, width) << dom.out.substr(
        dom.out.rfind("<pre id=") == std::string::npos ? 0 : dom.out.rfind("<pre id="), 400);
    ASSERT_EQ(l.verdicts.size(), 6u);
    EXPECT_EQ(l.hidden, 0u);
    for (auto [left, right] : l.verdicts) {
      EXPECT_GE(left, 0) << width;
      EXPECT_LE(right, width) << width;
    }
    EXPECT_LE(l.scroll, width) << "the page scrolls sideways at " << width << " px";
  }
}

// Control: the probe sees a verdict cell pushed out of a 420 px frame by a wide column, so the
// assertions above can fail.
TEST(ReportChromium, LayoutProbeSeesAVerdictOffScreen) {
  const std::string chromium = FindExecutable("chromium");
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium not installed (Debian package 'chromium')";
  }
  TempDir dir;
  const std::string page =
      "<!DOCTYPE html><html><head><title>wide</title></head><body><table><tr class=\"pair\">"
      "<td style=\"min-width:900px\">host</td><td class=\"verdict\">ISOLATED</td></tr></table>"
      "</body></html>";
  const std::string html = dir.File("wide.html");
  WriteAll(html, InFrame(WithLayoutProbe(page), 420));
  ProcessResult dom = DumpDom(chromium, dir, html, 420);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  Layout l = MeasuredLayout(dom.out);
  ASSERT_EQ(l.viewport, 420);
  ASSERT_EQ(l.verdicts.size(), 1u);
  EXPECT_GT(l.verdicts[0].first, 420);
  EXPECT_GT(l.scroll, 900);
}

// The printed report holds the evidence of every check (passed ones included), of every finding
// (collapsed on screen), the agent's changes and the path picture's labels.
TEST(ReportChromium, PrintedPdfContainsAllEvidence) {
  const std::string chromium = FindExecutable("chromium");
  const std::string pdftotext = FindExecutable("pdftotext");
  if (chromium.empty() || pdftotext.empty()) {
    GTEST_SKIP() << "chromium or pdftotext not installed (Debian packages 'chromium', "
                    "'poppler-utils')";
  }
  TempDir dir;
  const std::string out_dir = OutputDir(dir);
  const Report r = ReportWithAHostileHost();
  const std::vector<std::string> evidence = {
      // esx01's passed pin check and host check, esx02's failed pin (a finding, collapsed).
      "10.99.0.11 dev eth1 src 10.99.0.100 table 902 proto 190",
      "3 packets transmitted, 3 packets received",
      "table 902 has no route for 10.98.0.12 (ip route show table 902)",
      "add vSphereBackupNFC on vmk2 (backup vmknic chosen by portgroup Backup)",
      "vSwitch0 / Backup / VLAN 20",
  };
  auto printed_text = [&](const std::string& page, const std::string& name) {
    const std::string html = out_dir + "/" + name + ".html";
    const std::string pdf = out_dir + "/" + name + ".pdf";
    std::filesystem::remove(pdf);
    WriteAll(html, page);
    ProcessResult print = PrintToPdf(chromium, dir, html, pdf);
    EXPECT_EQ(print.exit_code, 0) << print.err;
    ProcessResult text = testing::Run({pdftotext, pdf, "-"}, dir.path());
    EXPECT_EQ(text.exit_code, 0) << text.err;
    return text.out;
  };
  const std::string text = printed_text(RenderHtml(r), "report-print");
  std::cout << "pdf: " << out_dir << "/report-print.pdf\n";
  ASSERT_NE(text.find("backupnfc validation report"), std::string::npos) << text.substr(0, 500);
  for (const std::string& e : evidence) {
    EXPECT_NE(Squeezed(text).find(Squeezed(e)), std::string::npos) << e << "\n" << text;
  }
  // Control: without the print rules the collapsed finding's evidence is not printed.
  std::string page = RenderHtml(r);
  const size_t print_rules = page.find("@media print{");
  ASSERT_NE(print_rules, std::string::npos);
  page.replace(print_rules, std::string("@media print{").size(), "@media not all{");
  const std::string collapsed = printed_text(page, "report-print-collapsed");
  EXPECT_NE(collapsed.find("backupnfc validation report"), std::string::npos);
  EXPECT_EQ(Squeezed(collapsed).find(Squeezed(evidence[2])), std::string::npos);
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
