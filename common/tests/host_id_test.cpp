#include "bnfc/host_id.h"

#include <gtest/gtest.h>

#include <string>

namespace bnfc {
namespace {

TEST(HostIdTest, DnsNamesFit) {
  for (const char* id : {"esx01", "ESX-01.lab.example.com", "h_1", "1host", "a"}) {
    EXPECT_TRUE(ValidateHostId(id).ok()) << id;
  }
  EXPECT_TRUE(ValidateHostId(std::string(kMaxHostIdBytes, 'a')).ok());
}

TEST(HostIdTest, RefusesWhatCouldEscapeAPathALogLineOrATerminal) {
  const std::string cases[] = {"",
                               "../x",
                               "..",
                               ".hidden",
                               "-flag",
                               "a/b",
                               "esx01\n",
                               "esx\x1b[31m01",
                               "esx 01",
                               std::string("esx\0", 4),
                               "esx\xc3\xa9",  // UTF-8 e-acute: ASCII only
                               "\xff\xfe",     // not UTF-8 at all
                               std::string(10000, 'a'),
                               std::string(kMaxHostIdBytes + 1, 'a')};
  for (const auto& id : cases) {
    auto s = ValidateHostId(id);
    ASSERT_FALSE(s.ok()) << id;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    // The message names the grammar and never carries the raw bytes.
    EXPECT_NE(s.error().message.find("A-Z a-z 0-9"), std::string::npos);
    EXPECT_EQ(s.error().message.find('\n'), std::string::npos);
    EXPECT_EQ(s.error().message.find('\x1b'), std::string::npos);
    EXPECT_LT(s.error().message.size(), 400u);
  }
}

TEST(HostIdTest, ErrorSaysWhichByte) {
  auto s = ValidateHostId("esx/01");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("'/' at byte 3"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace bnfc
