// The command-line kit: what is declared parses, anything else is a precise usage error.
#include "bnfc/cli.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace bnfc::cli {
namespace {

Command Accept() {
  return {"keys accept",
          "HOST",
          "Enrol a pending key.",
          {{"key", "Z85", "the key"}, {"source", "PREFIX", "sources", true}, {"json", "", "JSON"}},
          1,
          1,
          "  0  success\n  2  usage error\n"};
}

TEST(Cli, DeclaredOptionsAndOperandsParse) {
  auto p =
      Parse(Accept(), {"esx01", "--key", "K", "--source=10.0.0.0/24", "--source", "b", "--json"});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->operands, std::vector<std::string>{"esx01"});
  EXPECT_EQ(p->Get("key"), "K");
  EXPECT_EQ(p->GetAll("source"), (std::vector<std::string>{"10.0.0.0/24", "b"}));
  EXPECT_TRUE(p->Has("json"));
  EXPECT_FALSE(p->help);
  auto dashdash = Parse(Accept(), {"--", "--odd-host-name"});
  ASSERT_TRUE(dashdash.ok());
  EXPECT_EQ(dashdash->operands, std::vector<std::string>{"--odd-host-name"});
}

TEST(Cli, EverythingElseIsAPreciseUsageError) {
  struct Case {
    std::vector<std::string> words;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {{"esx01", "--host", "x"}, "unknown option '--host'"},
           {{"esx01", "-x"}, "unknown option '-x'"},
           {{"esx01", "--key"}, "option --key needs a value (Z85)"},
           {{"esx01", "--json=yes"}, "option --json takes no value"},
           {{"esx01", "--key", "a", "--key", "b"}, "option --key given twice"},
           {{}, "missing HOST"},
           {{"esx01", "esx02"}, "unexpected argument 'esx02'"},
       }) {
    auto p = Parse(Accept(), c.words);
    ASSERT_FALSE(p.ok()) << c.says;
    EXPECT_NE(p.error().message.find(c.says), std::string::npos) << p.error().message;
    EXPECT_NE(p.error().message.find("keys accept --help"), std::string::npos);
  }
}

TEST(Cli, HelpWinsAndListsOptionsAndExitStatus) {
  for (const char* h : {"-h", "--help"}) {
    auto p = Parse(Accept(), {"--unknown", h});
    ASSERT_FALSE(p.ok());  // an earlier unknown option is still an error
    auto q = Parse(Accept(), {h, "--unknown"});
    ASSERT_TRUE(q.ok());
    EXPECT_TRUE(q->help);
  }
  std::string text = Help("bnfc-proxyd", Accept());
  EXPECT_EQ(text.rfind("usage: bnfc-proxyd keys accept [OPTIONS] HOST\n", 0), 0u) << text;
  EXPECT_NE(text.find("  --source PREFIX ..."), std::string::npos) << text;
  EXPECT_NE(text.find("Exit status:\n  0  success\n  2  usage error\n"), std::string::npos);
}

TEST(Cli, AnyNumberOfOperandsWhenDeclared) {
  Command c{"report", "[SOURCE ...]", "", {}, 0, SIZE_MAX, "  0  ok\n"};
  auto p = Parse(c, {"a", "b", "c"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->operands.size(), 3u);
}

}  // namespace
}  // namespace bnfc::cli
