// The finding table (protocol/findings.def) is well formed and Find() applies its rules.
#include "bnfc/findings.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

namespace bnfc::findings {
namespace {

// The C++ name each row should have: CamelCase of the code, "Prefix" after a prefix code.
std::string ExpectedId(std::string_view code) {
  std::string out;
  bool upper = true;
  for (char c : code) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    upper = false;
  }
  return code.back() == '_' ? out + "Prefix" : out;
}

struct Row {
  const char* id;
  const char* code;
};
constexpr Row kIds[] = {
#define BNFC_FINDING(id, code, severity, side, host_use, meaning) {#id, code},
#include "findings.def"
#undef BNFC_FINDING
};

TEST(FindingTable, CodesAreUniqueUpperCaseAndNamedAfterTheirId) {
  ASSERT_EQ(sizeof(kIds) / sizeof(kIds[0]), kCount);
  std::set<std::string_view> seen;
  for (size_t i = 0; i < kCount; ++i) {
    const Info& row = kTable[i];
    SCOPED_TRACE(std::string(row.name));
    EXPECT_TRUE(seen.insert(row.name).second) << "duplicate code";
    ASSERT_FALSE(row.name.empty());
    EXPECT_TRUE(row.name.front() >= 'A' && row.name.front() <= 'Z');
    for (char c : row.name) {
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') << c;
    }
    EXPECT_EQ(std::string(kIds[i].id), ExpectedId(row.name));
    EXPECT_EQ(static_cast<size_t>(row.code), i);
  }
}

TEST(FindingTable, EveryRowHasAKnownSeveritySideAndUseAndAMeaning) {
  for (const Info& row : kTable) {
    SCOPED_TRACE(std::string(row.name));
    EXPECT_LE(static_cast<int>(row.severity), static_cast<int>(Severity::kNotIsolated));
    EXPECT_STRNE(SideName(row.side), "");
    EXPECT_STRNE(HostUseName(row.host_use), "");
    // One line that fits a Markdown table cell.
    EXPECT_FALSE(row.meaning.empty());
    EXPECT_EQ(row.meaning.find('\n'), std::string_view::npos);
    EXPECT_EQ(row.meaning.find('|'), std::string_view::npos);
  }
}

TEST(FindingTable, HostUseIsGivenExactlyForCodesTheHostSends) {
  for (const Info& row : kTable) {
    SCOPED_TRACE(std::string(row.name));
    EXPECT_EQ(row.host_use == HostUse::kNotHost, !EmittedByHost(row.code));
  }
}

TEST(FindingTable, CodesOnlyTheHostSendsComeLast) {
  // The proxy's tie-break order is the row order, with host-only codes after every other code.
  bool host_only_seen = false;
  for (const Info& row : kTable) {
    if (row.side == Side::kHost) {
      host_only_seen = true;
    } else {
      EXPECT_FALSE(host_only_seen) << row.name << " comes after a host-only code";
    }
  }
  EXPECT_TRUE(host_only_seen);
}

TEST(FindingTable, NoCodeIsShadowedByAPrefix) {
  for (const Info& prefix : kTable) {
    if (!IsPrefix(prefix.code)) {
      continue;
    }
    for (const Info& row : kTable) {
      EXPECT_FALSE(row.code != prefix.code && row.name.substr(0, prefix.name.size()) == prefix.name)
          << row.name << " starts with the prefix " << prefix.name;
    }
  }
}

TEST(FindingTable, ConstantsAndAccessorsAgreeWithTheRows) {
  EXPECT_STREQ(codes::kTagMissing, "TAG_MISSING");
  EXPECT_STREQ(Name(Code::kPinMissing), "PIN_MISSING");
  EXPECT_EQ(SeverityOf(Code::kTagOnManagement), Severity::kNotIsolated);
  EXPECT_EQ(SeverityOf(Code::kPlannedTagAdd), Severity::kAdvisory);
  EXPECT_EQ(Get(Code::kProxyUnreachable).host_use, HostUse::kPerProxy);
  EXPECT_TRUE(EmittedByHost(Code::kHostdDown));    // both
  EXPECT_FALSE(EmittedByHost(Code::kPinMissing));  // proxy
  EXPECT_TRUE(IsPrefix(Code::kSubnetSharedWithPrefix));
  EXPECT_FALSE(IsPrefix(Code::kSameL2AsManagement));
  static_assert(SeverityOf(Code::kFlowOffBackup) == Severity::kNotIsolated);
}

TEST(FindingFind, ExactCodes) {
  for (const Info& row : kTable) {
    if (!IsPrefix(row.code)) {
      EXPECT_EQ(Find(row.name), row.code) << row.name;
    }
  }
}

TEST(FindingFind, PrefixCodesNeedANameInCapitals) {
  EXPECT_EQ(Find("SUBNET_SHARED_WITH_VMK0"), Code::kSubnetSharedWithPrefix);
  EXPECT_EQ(Find("SUBNET_SHARED_WITH_VMK_12"), Code::kSubnetSharedWithPrefix);
  EXPECT_EQ(Find("SUBNET_SHARED_WITH_"), std::nullopt);  // the prefix alone names nothing
  EXPECT_EQ(Find("SUBNET_SHARED_WITH_vmk0"), std::nullopt);
  EXPECT_EQ(Find("SUBNET_SHARED_WITH_VMK 0"), std::nullopt);
}

TEST(FindingFind, UnknownTextIsNotACode) {
  EXPECT_EQ(Find(""), std::nullopt);
  EXPECT_EQ(Find("SOMETHING_NEW"), std::nullopt);
  EXPECT_EQ(Find("tag_missing"), std::nullopt);
  EXPECT_EQ(Find("TAG_MISSING "), std::nullopt);
  EXPECT_EQ(Find("TAG_MISSIN"), std::nullopt);
}

TEST(FindingNames, EveryEnumValueHasAName) {
  std::set<std::string> severities;
  for (Severity s : {Severity::kAdvisory, Severity::kDegraded, Severity::kUnknown,
                     Severity::kUnreachable, Severity::kNotIsolated}) {
    severities.insert(SeverityName(s));
  }
  EXPECT_EQ(severities.size(), 5u);
  std::set<std::string> sides;
  for (Side s : {Side::kHost, Side::kProxy, Side::kBoth, Side::kVsphere}) {
    sides.insert(SideName(s));
  }
  EXPECT_EQ(sides.size(), 4u);
  EXPECT_EQ(sides.count(""), 0u);
}

}  // namespace
}  // namespace bnfc::findings
