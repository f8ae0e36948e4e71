// The verdict engine classifies findings by the table (protocol/findings.def): every code the host
// sends gets its row's severity, codes about one proxy address are derived per pair, and a code
// the table does not know stays UNKNOWN and named.
#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bnfc/findings.h"
#include "bnfc/report/verdict.h"
#include "report_fixtures.h"

namespace bnfc::report {
namespace {

using findings::Code;
using findings::HostUse;
using findings::Severity;
using testing::GoodFacts;

const Finding* FindingOf(const PairVerdict& v, const std::string& code) {
  auto it = std::find_if(v.findings.begin(), v.findings.end(),
                         [&](const Finding& f) { return f.code == code; });
  return it == v.findings.end() ? nullptr : &*it;
}

std::string Codes(const PairVerdict& v) {
  std::string s;
  for (const Finding& f : v.findings) {
    s += f.code + "(" + VerdictName(f.impact) + ") ";
  }
  return s;
}

TEST(FindingSeverity, EachSeverityHasItsVerdictInTheSameOrder) {
  EXPECT_EQ(ImpactOf(Severity::kAdvisory), Verdict::kIsolated);
  EXPECT_EQ(ImpactOf(Severity::kDegraded), Verdict::kDegraded);
  EXPECT_EQ(ImpactOf(Severity::kUnknown), Verdict::kUnknown);
  EXPECT_EQ(ImpactOf(Severity::kUnreachable), Verdict::kUnreachable);
  EXPECT_EQ(ImpactOf(Severity::kNotIsolated), Verdict::kNotIsolated);
  const Finding f = MakeFinding(Code::kPinMissing, "d", "e");
  EXPECT_EQ(f.code, "PIN_MISSING");
  EXPECT_EQ(f.impact, Verdict::kDegraded);
}

// A good pair plus one problem the host reports.
PairVerdict WithHostProblem(const std::string& code) {
  PairFacts f = GoodFacts();
  f.host.problems.push_back({code, "something about " + code, "evidence"});
  return Evaluate(f);
}

TEST(FindingSeverity, EveryListedHostCodeGetsItsRowsSeverity) {
  int checked = 0;
  for (const findings::Info& row : findings::kTable) {
    if (!findings::EmittedByHost(row.code) || row.host_use == HostUse::kPerProxy ||
        findings::IsPrefix(row.code)) {
      continue;
    }
    const std::string code(row.name);
    SCOPED_TRACE(code);
    const PairVerdict v = WithHostProblem(code);
    const Finding* f = FindingOf(v, code);
    ASSERT_NE(f, nullptr) << Codes(v);
    EXPECT_EQ(f->impact, ImpactOf(row.severity));
    EXPECT_NE(f->detail.find("Host esx01 reports: something about " + code), std::string::npos);
    // Alone on a good pair, the finding decides the verdict.
    EXPECT_EQ(v.verdict, ImpactOf(row.severity)) << Codes(v);
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(FindingSeverity, PerProxyHostCodesAreDerivedFromThisProxysCheckNotPassedThrough) {
  int checked = 0;
  for (const findings::Info& row : findings::kTable) {
    if (row.host_use != HostUse::kPerProxy) {
      continue;
    }
    SCOPED_TRACE(std::string(row.name));
    // The host's L2 check of this proxy's address is good: a problem about another proxy address
    // does not touch this pair.
    const PairVerdict v = WithHostProblem(std::string(row.name));
    EXPECT_EQ(v.verdict, Verdict::kIsolated) << Codes(v);
    EXPECT_TRUE(v.findings.empty()) << Codes(v);
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST(FindingSeverity, TagHostCodesAreNotRepeatedWhenTheTagCheckFailed) {
  PairFacts f = GoodFacts();
  f.host.nfc_vmknic.clear();  // the tag check fails with TAG_MISSING
  f.host.problems.push_back({codes::kTagOnOtherVmknic, "vmk3 carries it", ""});
  f.host.problems.push_back({codes::kTagMissing, "vmk2 does not carry it", ""});
  const PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated);
  EXPECT_EQ(FindingOf(v, codes::kTagOnOtherVmknic), nullptr) << Codes(v);
  EXPECT_EQ(std::count_if(v.findings.begin(), v.findings.end(),
                          [](const Finding& x) { return x.code == codes::kTagMissing; }),
            1)
      << Codes(v);
}

TEST(FindingSeverity, AnUnknownHostCodeIsUnknownAndNamed) {
  const PairVerdict v = WithHostProblem("SOMETHING_NEW");
  EXPECT_EQ(v.verdict, Verdict::kUnknown);
  const Finding* f = FindingOf(v, "SOMETHING_NEW");
  ASSERT_NE(f, nullptr) << Codes(v);
  EXPECT_EQ(f->impact, Verdict::kUnknown);
  EXPECT_NE(f->detail.find("SOMETHING_NEW, a code this proxy does not know"), std::string::npos)
      << f->detail;
  EXPECT_NE(f->detail.find("something about SOMETHING_NEW"), std::string::npos);
  EXPECT_EQ(f->evidence, "evidence");
}

TEST(FindingSeverity, AProxyCodeFromTheHostIsUnknownNotItsProxySeverity) {
  // PIN_MISSING is DEGRADED when the proxy finds it; the host cannot know it, so from a host it
  // is an unexpected code.
  const PairVerdict v = WithHostProblem(codes::kPinMissing);
  const Finding* f = FindingOf(v, codes::kPinMissing);
  ASSERT_NE(f, nullptr) << Codes(v);
  EXPECT_EQ(f->impact, Verdict::kUnknown);
  EXPECT_EQ(v.verdict, Verdict::kUnknown);
}

TEST(FindingSeverity, AProblemWithoutACodeIsHostProblem) {
  const PairVerdict v = WithHostProblem("");
  EXPECT_EQ(v.verdict, Verdict::kUnknown);
  const Finding* f = FindingOf(v, codes::kHostProblem);
  ASSERT_NE(f, nullptr) << Codes(v);
  EXPECT_EQ(f->impact, Verdict::kUnknown);
}

TEST(FindingSeverity, EveryProxyFindingHasItsRowsSeverity) {
  const std::vector<std::function<void(PairFacts&)>> faults = {
      [](PairFacts& f) { f.has_report = false; },
      [](PairFacts& f) { f.report_age_ms = f.freshness_limit_ms + 1; },
      [](PairFacts& f) { f.host.nfc_vmknic.clear(); },
      [](PairFacts& f) { f.host.nfc_netstack = "vmotion"; },
      [](PairFacts& f) { f.host.hostd_available = false; },
      [](PairFacts& f) { f.host.failover_active = true; },
      [](PairFacts& f) { f.host.nfc_address = "not an address"; },
      [](PairFacts& f) { f.mapping.finding = codes::kNoMapping; },
      [](PairFacts& f) { f.mapping.finding = codes::kAmbiguousMapping; },
      [](PairFacts& f) { f.mapping.finding = codes::kInterfaceDown; },
      [](PairFacts& f) { f.mapping.via = "10.99.0.1"; },
      [](PairFacts& f) { f.neighbor.mac = "02:00:00:00:00:99"; },
      [](PairFacts& f) { f.neighbor.mac.clear(); },
      [](PairFacts& f) { f.pin.installed = false; },
      [](PairFacts& f) { f.flows.off_backup = 1; },
      [](PairFacts& f) { f.duplicate_hosts = {"esx09"}; },
      [](PairFacts& f) { f.mapping.interface_mtu = 1500; },
      [](PairFacts& f) {
        f.connect.enabled = true;
        f.connect.ran = true;
        f.connect.ok = false;
      },
  };
  std::set<std::string> seen;
  for (size_t i = 0; i < faults.size(); ++i) {
    PairFacts f = GoodFacts();
    faults[i](f);
    const PairVerdict v = Evaluate(f);
    EXPECT_NE(v.verdict, Verdict::kIsolated) << "fault " << i;
    for (const Finding& x : v.findings) {
      const auto c = findings::Find(x.code);
      ASSERT_TRUE(c.has_value()) << x.code << " (fault " << i << ") is not in the table";
      EXPECT_EQ(x.impact, ImpactOf(findings::SeverityOf(*c))) << x.code << " (fault " << i << ")";
      seen.insert(x.code);
    }
  }
  EXPECT_GE(seen.size(), 14u);
}

TEST(FindingOrder, TableRowsBreakTiesHostOnlyAndUnknownCodesLast) {
  std::vector<Finding> v = {
      {"SOMETHING_NEW", Verdict::kUnknown, "", ""},
      {codes::kCommandFailed, Verdict::kUnknown, "", ""},
      {codes::kCheckNotRun, Verdict::kUnknown, "", ""},
      {codes::kNoReport, Verdict::kUnknown, "", ""},
      {"SUBNET_SHARED_WITH_VMK0", Verdict::kNotIsolated, "", ""},
      {codes::kTagMissing, Verdict::kNotIsolated, "", ""},
  };
  SortFindings(v);
  std::vector<std::string> order;
  for (const Finding& f : v) {
    order.push_back(f.code);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"TAG_MISSING", "SUBNET_SHARED_WITH_VMK0", "NO_REPORT",
                                             "CHECK_NOT_RUN", "COMMAND_FAILED", "SOMETHING_NEW"}));
}

}  // namespace
}  // namespace bnfc::report
