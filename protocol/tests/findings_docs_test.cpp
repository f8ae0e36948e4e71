// The docs cannot drift from the finding table: docs/report.md lists every code the proxy shows
// with the table's impact, in the table's tie-break order, and the host codes it passes through;
// docs/host-agent.md lists every code the host agent sends. Read from the source tree.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bnfc/findings.h"
#include "bnfc/fs.h"

namespace bnfc::findings {
namespace {

std::string SourceDir() {
  const char* s = std::getenv("BNFC_SOURCE_DIR");
  return s != nullptr && *s != '\0' ? s : ".";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

// The lines of the section that starts with `heading` (up to the next heading of any level).
std::vector<std::string> Section(const std::string& path, const std::string& heading) {
  auto text = fs::ReadFile(SourceDir() + "/" + path);
  EXPECT_TRUE(text.ok()) << path << ": " << (text.ok() ? "" : text.error().message);
  if (!text.ok()) {
    return {};
  }
  std::vector<std::string> out;
  bool in = false;
  for (const std::string& line : Lines(*text)) {
    if (line.rfind("#", 0) == 0) {
      if (in) {
        break;
      }
      in = line == heading;
      continue;
    }
    if (in) {
      out.push_back(line);
    }
  }
  EXPECT_FALSE(out.empty()) << path << " has no section '" << heading << "'";
  return out;
}

std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start < row.size()) {
    const size_t end = row.find('|', start);
    if (end == std::string::npos) {
      break;
    }
    std::string cell = row.substr(start, end - start);
    const size_t a = cell.find_first_not_of(' ');
    const size_t b = cell.find_last_not_of(' ');
    out.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
    start = end + 1;
  }
  return out;
}

// Rows of the tables in `lines` (header and separator rows left out).
std::vector<std::vector<std::string>> TableRows(const std::vector<std::string>& lines) {
  std::vector<std::vector<std::string>> out;
  bool header_next = true;
  for (const std::string& line : lines) {
    if (line.rfind("|", 0) != 0) {
      header_next = true;
      continue;
    }
    if (header_next) {
      header_next = false;  // the header row
      continue;
    }
    if (line.rfind("|---", 0) == 0) {
      continue;
    }
    out.push_back(Cells(line));
  }
  return out;
}

// Every `CODE` in backticks in `text`; `SUBNET_SHARED_WITH_<VMKNIC>` is written as its prefix.
std::vector<std::string> CodesIn(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = text.find('`', pos)) != std::string::npos) {
    const size_t end = text.find('`', pos + 1);
    if (end == std::string::npos) {
      break;
    }
    std::string word = text.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (const size_t angle = word.find('<'); angle != std::string::npos && word.back() == '>') {
      word = word.substr(0, angle);
    }
    bool code = !word.empty() && word[0] >= 'A' && word[0] <= 'Z';
    for (char c : word) {
      code = code && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    }
    if (code) {
      out.push_back(word);
    }
  }
  return out;
}

// "NOT_ISOLATED", "advisory (ISOLATED)", "UNKNOWN (facts may be incomplete ...)".
std::string ImpactCell(const std::string& cell) {
  if (cell.rfind("advisory", 0) == 0) {
    return "ADVISORY";
  }
  return cell.substr(0, cell.find(' '));
}

// The row a documented code names: the exact code, or a prefix code written as its prefix.
std::optional<Code> Documented(const std::string& code) {
  for (const Info& row : kTable) {
    if (row.name == code) {
      return row.code;
    }
  }
  return std::nullopt;
}

TEST(FindingDocs, ReportListsEveryProxyCodeWithItsImpactInTieBreakOrder) {
  std::vector<Code> listed;
  for (const auto& cells : TableRows(Section("docs/report.md", "## Finding codes"))) {
    ASSERT_GE(cells.size(), 2u);
    const std::vector<std::string> in_cell = CodesIn(cells[0]);
    ASSERT_FALSE(in_cell.empty()) << cells[0];
    const std::optional<Code> c = Documented(in_cell[0]);
    ASSERT_TRUE(c.has_value()) << "docs/report.md lists " << in_cell[0]
                               << ", which protocol/findings.def does not have";
    EXPECT_EQ(ImpactCell(cells[1]), SeverityName(SeverityOf(*c))) << in_cell[0];
    listed.push_back(*c);
  }
  std::vector<Code> expected;
  for (const Info& row : kTable) {
    if (row.side != Side::kHost) {
      expected.push_back(row.code);
    }
  }
  auto names = [](const std::vector<Code>& v) {
    std::string s;
    for (Code c : v) {
      s += std::string(Name(c)) + " ";
    }
    return s;
  };
  EXPECT_EQ(names(listed), names(expected))
      << "docs/report.md's finding codes differ from the table's (codes or order)";
}

TEST(FindingDocs, ReportListsTheHostCodesItPassesThroughAndThoseItDerivesPerProxy) {
  const std::vector<std::string> lines =
      Section("docs/report.md", "### Codes passed through from the host agent");
  std::map<std::string, std::string> passed;  // code -> impact as documented
  for (const auto& cells : TableRows(lines)) {
    ASSERT_GE(cells.size(), 2u);
    for (const std::string& code : CodesIn(cells[0])) {
      passed[code] = ImpactCell(cells[1]);
    }
  }
  std::set<std::string> per_proxy;
  for (const std::string& line : lines) {
    if (line.rfind("|", 0) != 0) {
      for (const std::string& code : CodesIn(line)) {
        per_proxy.insert(code);
      }
    }
  }
  std::map<std::string, std::string> expected_passed;
  std::set<std::string> expected_per_proxy;
  for (const Info& row : kTable) {
    if (row.host_use == HostUse::kListed || row.host_use == HostUse::kTagCheck) {
      expected_passed[std::string(row.name)] = SeverityName(row.severity);
    } else if (row.host_use == HostUse::kPerProxy) {
      expected_per_proxy.insert(std::string(row.name));
    }
  }
  EXPECT_EQ(passed, expected_passed);
  EXPECT_EQ(per_proxy, expected_per_proxy);
}

TEST(FindingDocs, HostAgentListsEveryCodeItSends) {
  std::set<std::string> listed;
  for (const auto& cells : TableRows(Section("docs/host-agent.md", "## Findings"))) {
    ASSERT_FALSE(cells.empty());
    for (const std::string& code : CodesIn(cells[0])) {
      EXPECT_TRUE(Documented(code).has_value())
          << "docs/host-agent.md lists " << code << ", which protocol/findings.def does not have";
      listed.insert(code);
    }
  }
  std::set<std::string> expected;
  for (const Info& row : kTable) {
    if (EmittedByHost(row.code)) {
      expected.insert(std::string(row.name));
    }
  }
  EXPECT_EQ(listed, expected);
}

// Every string in a "findings" or "findings_at_copy" list anywhere in `j`.
void ExpectedCodes(const nlohmann::json& j, std::vector<std::string>* out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if ((key == "findings" || key == "findings_at_copy") && value.is_array()) {
        for (const auto& code : value) {
          if (code.is_string()) {
            out->push_back(code.get<std::string>());
          }
        }
      } else {
        ExpectedCodes(value, out);
      }
    }
  } else if (j.is_array()) {
    for (const auto& value : j) {
      ExpectedCodes(value, out);
    }
  }
}

// A lab scenario expecting a misspelled or retired code could never pass; say so without a lab.
TEST(FindingDocs, LabScenariosExpectOnlyCodesOfTheTable) {
  const std::string dir = SourceDir() + "/tests/lab/scenarios";
  int files = 0;
  size_t codes_seen = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    auto text = fs::ReadFile(entry.path().string());
    ASSERT_TRUE(text.ok()) << entry.path();
    const nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << entry.path() << " is not JSON";
    std::vector<std::string> expected;
    ExpectedCodes(j, &expected);
    for (const std::string& code : expected) {
      EXPECT_TRUE(Find(code).has_value())
          << entry.path() << " expects " << code << ", which protocol/findings.def does not have";
    }
    codes_seen += expected.size();
    ++files;
  }
  ASSERT_FALSE(ec) << dir << ": " << ec.message();
  EXPECT_GT(files, 0);
  EXPECT_GT(codes_seen, 0u);
}

}  // namespace
}  // namespace bnfc::findings
