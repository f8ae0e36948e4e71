#include "test_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace bnfc::vib::testing {

std::string SourceDir() {
  const char* s = std::getenv("BNFC_SOURCE_DIR");
  return s ? s : ".";
}

std::string FixturePath(const std::string& name) {
  const char* s = std::getenv("BNFC_FIXTURES_DIR");
  return (s ? std::string(s) : SourceDir() + "/../shared/fixtures") + "/vib/" + name;
}

std::string Fixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "fixture " << name << " missing";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string MakeTempDir() {
  std::string tmpl = "/tmp/bnfc-vib-test.XXXXXX";
  char* d = mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return d ? d : "";
}

void RemoveTree(const std::string& dir) {
  if (dir.rfind("/tmp/bnfc-vib-test.", 0) == 0) {
    std::string cmd = "rm -rf '" + dir + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
}

void WriteFile(const std::string& path, const std::string& data, unsigned mode) {
  std::string dir = path.substr(0, path.rfind('/'));
  std::string cmd = "mkdir -p '" + dir + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  out.close();
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

std::vector<ArInput> Members(const std::string& ar) {
  ArParse p = ParseAr(ar);
  EXPECT_TRUE(p.problems.empty());
  std::vector<ArInput> out;
  for (const auto& m : p.members) {
    out.push_back({m.name, std::string(m.data)});
  }
  return out;
}

std::string Pack(const std::vector<ArInput>& members) {
  auto r = WriteAr(members);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : std::string();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << "'" << from << "' not found";
  if (pos != std::string::npos) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

bool HasCode(const Problems& p, const std::string& code) {
  for (const auto& x : p) {
    if (x.code == code) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> ErrorCodes(const Problems& p) {
  std::vector<std::string> out;
  for (const auto& x : p) {
    if (x.severity == Severity::kError) {
      out.push_back(x.code);
    }
  }
  return out;
}

std::string Describe(const Problems& p) {
  std::string out;
  for (const auto& x : p) {
    out += std::string(SeverityName(x.severity)) + " " + x.code + " [" + x.where + "] " + x.detail +
           "\n";
  }
  return out.empty() ? "(no problems)" : out;
}

}  // namespace bnfc::vib::testing
