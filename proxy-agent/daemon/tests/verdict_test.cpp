#include "verdict.h"

#include <gtest/gtest.h>

namespace bnfc::proxyd {
namespace {

// Every check ran and passed: the only fact set that may yield ISOLATED.
PairFacts Good() {
  PairFacts f;
  f.host_id = "esx01";
  f.has_report = true;
  f.fresh = true;
  auto& r = f.report;
  r.set_nfc_address("10.99.0.11");
  r.set_nfc_vmknic("vmk2");
  r.set_management_vmknic("vmk0");
  r.set_management_address("10.98.0.11");
  auto* vmk0 = r.add_vmknics();
  vmk0->set_name("vmk0");
  vmk0->set_netstack("defaultTcpipStack");
  vmk0->add_tags("Management");
  auto* vmk2 = r.add_vmknics();
  vmk2->set_name("vmk2");
  vmk2->set_netstack("defaultTcpipStack");
  vmk2->set_mac("00:50:56:aa:00:02");
  vmk2->add_tags("vSphereBackupNFC");
  auto* c = r.add_checks();
  c->set_proxy_address("10.99.0.100");
  c->set_vmknic("vmk2");
  c->set_ran(true);
  c->set_in_subnet(true);
  c->set_ping_sent(3);
  c->set_ping_received(3);
  c->set_df_at_mtu_ok(true);
  c->set_expected_mtu(9000);
  c->set_neighbor_mac("00:50:56:bb:00:01");
  f.mapped = true;
  f.interface = "eth1";
  f.proxy_address = "10.99.0.100";
  f.proxy_mac = "00:50:56:bb:00:01";
  f.pin_installed = true;
  f.neighbor_checked = true;
  f.neighbor_mac = "00:50:56:aa:00:02";
  f.flows_checked = true;
  return f;
}

bool Has(const PairResult& r, const std::string& code) {
  for (const auto& f : r.findings) {
    if (f.code == code)
      return true;
  }
  return false;
}

TEST(VerdictTest, AllChecksPassIsIsolated) {
  auto r = Evaluate(Good());
  EXPECT_EQ(r.verdict, Verdict::kIsolated);
  EXPECT_TRUE(r.findings.empty());
}

struct Case {
  const char* name;
  void (*spoil)(PairFacts&);
  const char* code;
  Verdict verdict;
};

const Case kCases[] = {
    {"no report", [](PairFacts& f) { f.has_report = false; }, "NO_REPORT", Verdict::kUnknown},
    {"stale", [](PairFacts& f) { f.fresh = false; }, "HOST_STALE", Verdict::kUnknown},
    {"tag missing", [](PairFacts& f) { f.report.set_nfc_vmknic(""); }, "TAG_MISSING",
     Verdict::kNotIsolated},
    {"tag on management", [](PairFacts& f) { f.report.set_nfc_vmknic("vmk0"); },
     "TAG_ON_MANAGEMENT", Verdict::kNotIsolated},
    {"failover",
     [](PairFacts& f) {
       f.report.set_nfc_vmknic("vmk0");
       f.report.set_failover_active(true);
     },
     "FAILOVER_ACTIVE", Verdict::kNotIsolated},
    {"vmotion stack", [](PairFacts& f) { f.report.mutable_vmknics(1)->set_netstack("vmotion"); },
     "WRONG_NETSTACK", Verdict::kNotIsolated},
    {"no mapping",
     [](PairFacts& f) {
       f.mapped = false;
       f.map_finding = "NO_MAPPING";
     },
     "NO_MAPPING", Verdict::kNotIsolated},
    {"ambiguous",
     [](PairFacts& f) {
       f.mapped = false;
       f.map_finding = "AMBIGUOUS_MAPPING";
     },
     "AMBIGUOUS_MAPPING", Verdict::kNotIsolated},
    {"via gateway", [](PairFacts& f) { f.map_finding = "NOT_L2_ADJACENT"; }, "NOT_L2_ADJACENT",
     Verdict::kNotIsolated},
    {"interface down", [](PairFacts& f) { f.map_finding = "INTERFACE_DOWN"; }, "INTERFACE_DOWN",
     Verdict::kUnreachable},
    {"host check missing", [](PairFacts& f) { f.report.clear_checks(); }, "CHECK_NOT_RUN",
     Verdict::kUnknown},
    {"L3 from host", [](PairFacts& f) { f.report.mutable_checks(0)->set_in_subnet(false); },
     "NOT_L2_ADJACENT", Verdict::kNotIsolated},
    {"ping fails", [](PairFacts& f) { f.report.mutable_checks(0)->set_ping_received(0); },
     "PING_FAILED", Verdict::kUnreachable},
    {"mtu", [](PairFacts& f) { f.report.mutable_checks(0)->set_df_at_mtu_ok(false); },
     "MTU_MISMATCH", Verdict::kDegraded},
    {"host sees other mac",
     [](PairFacts& f) { f.report.mutable_checks(0)->set_neighbor_mac("00:11:22:33:44:55"); },
     "MAC_MISMATCH", Verdict::kNotIsolated},
    {"proxy sees other mac", [](PairFacts& f) { f.neighbor_mac = "00:11:22:33:44:55"; },
     "MAC_MISMATCH", Verdict::kNotIsolated},
    {"proxy neighbor missing", [](PairFacts& f) { f.neighbor_mac = ""; }, "NEIGHBOR_MISSING",
     Verdict::kUnknown},
    {"pin missing", [](PairFacts& f) { f.pin_installed = false; }, "PIN_MISSING",
     Verdict::kDegraded},
    {"flow audit not run", [](PairFacts& f) { f.flows_checked = false; }, "CHECK_NOT_RUN",
     Verdict::kUnknown},
    {"flow off backup", [](PairFacts& f) { f.flows_off_backup = 1; }, "FLOW_OFF_BACKUP",
     Verdict::kNotIsolated},
    {"duplicate", [](PairFacts& f) { f.same_address_hosts = {"esx02"}; }, "DUPLICATE_NFC_ADDRESS",
     Verdict::kNotIsolated},
    {"public address", [](PairFacts& f) { f.report.set_nfc_address("198.51.100.11"); },
     "PUBLIC_ADDRESS_PLAINTEXT", Verdict::kDegraded},
};

TEST(VerdictTest, EachSpoiledFactHasItsCodeAndIsNeverIsolated) {
  for (const auto& c : kCases) {
    PairFacts f = Good();
    c.spoil(f);
    auto r = Evaluate(f);
    EXPECT_TRUE(Has(r, c.code)) << c.name;
    EXPECT_EQ(r.verdict, c.verdict) << c.name << ": got " << VerdictName(r.verdict);
    EXPECT_NE(r.verdict, Verdict::kIsolated) << c.name;
  }
}

TEST(VerdictTest, PublicPlaintextAllowedByOperator) {
  PairFacts f = Good();
  f.report.set_nfc_address("198.51.100.11");
  f.allow_public_plaintext = true;
  auto r = Evaluate(f);
  EXPECT_FALSE(Has(r, "PUBLIC_ADDRESS_PLAINTEXT"));
  EXPECT_FALSE(r.encryption_recommended);
}

TEST(VerdictTest, WorstFindingWins) {
  PairFacts f = Good();
  f.report.mutable_checks(0)->set_df_at_mtu_ok(false);  // DEGRADED
  f.flows_off_backup = 2;                               // NOT_ISOLATED
  EXPECT_EQ(Evaluate(f).verdict, Verdict::kNotIsolated);
}

}  // namespace
}  // namespace bnfc::proxyd
