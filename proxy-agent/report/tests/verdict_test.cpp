// The verdict engine, case by case: a fully good pair is ISOLATED; every single fact taken away
// or turned bad yields a specific finding and a verdict other than ISOLATED.
#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bnfc.pb.h"
#include "bnfc/report/verdict.h"
#include "report_fixtures.h"

namespace bnfc::report {
namespace {

using testing::GoodFacts;

bool HasCode(const PairVerdict& v, const std::string& code) {
  return std::any_of(v.findings.begin(), v.findings.end(),
                     [&](const Finding& f) { return f.code == code; });
}

std::string Codes(const PairVerdict& v) {
  std::string s;
  for (const Finding& f : v.findings) {
    s += f.code + "(" + VerdictName(f.impact) + ") ";
  }
  return s;
}

TEST(Verdict, GoodPairIsIsolatedWithoutFindings) {
  PairFacts f = GoodFacts();
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kIsolated) << Codes(v);
  EXPECT_TRUE(v.findings.empty()) << Codes(v);
  EXPECT_TRUE(AllConditionsHold(f));
  EXPECT_EQ(v.host_id, "esx01");
  EXPECT_EQ(v.nfc_address, "10.99.0.11");
  EXPECT_EQ(v.interface, "eth1");
  EXPECT_FALSE(v.nbdssl_recommended);
}

TEST(Verdict, OptionalConnectCheckWhenEnabledAndOkStillIsolated) {
  PairFacts f = GoodFacts();
  f.connect = ConnectFacts{true, true, true, "connected in 1 ms"};
  EXPECT_EQ(Evaluate(f).verdict, Verdict::kIsolated);
}

// The host's vmknic `name` in the facts; a scratch one when absent, so random combinations of
// mutations never index out of range.
HostVmknic& Vmk(PairFacts& f, const std::string& name) {
  for (HostVmknic& v : f.host.vmknics) {
    if (v.name == name) {
      return v;
    }
  }
  static HostVmknic scratch;
  scratch = HostVmknic{};
  return scratch;
}

const Check& CheckOf(const PairVerdict& v, const std::string& id) {
  for (const Check& c : v.checks) {
    if (c.id == id) {
      return c;
    }
  }
  static const Check missing{};
  ADD_FAILURE() << "no check " << id;
  return missing;
}

struct Case {
  const char* name;
  std::function<void(PairFacts&)> mutate;
  const char* code;  // the finding that must appear
  Verdict verdict;   // the pair's verdict
};

std::vector<Case> SingleFaultCases() {
  return {
      {"no report", [](PairFacts& f) { f.has_report = false; }, codes::kNoReport,
       Verdict::kUnknown},
      {"stale report", [](PairFacts& f) { f.report_age_ms = 91'000; }, codes::kHostStale,
       Verdict::kUnknown},
      {"negative age", [](PairFacts& f) { f.report_age_ms = -5; }, codes::kHostStale,
       Verdict::kUnknown},
      {"tag missing", [](PairFacts& f) { f.host.nfc_vmknic.clear(); }, codes::kTagMissing,
       Verdict::kNotIsolated},
      {"tag on management vmknic", [](PairFacts& f) { f.host.nfc_is_management = true; },
       codes::kTagOnManagement, Verdict::kNotIsolated},
      {"nfc address equals management address",
       [](PairFacts& f) { f.host.management_address = "10.99.0.11"; }, codes::kTagOnManagement,
       Verdict::kNotIsolated},
      {"wrong netstack", [](PairFacts& f) { f.host.nfc_netstack = "vmotion"; },
       codes::kWrongNetstack, Verdict::kNotIsolated},
      {"netstack unknown", [](PairFacts& f) { f.host.nfc_netstack.clear(); }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"failover active", [](PairFacts& f) { f.host.failover_active = true; },
       codes::kFailoverActive, Verdict::kDegraded},
      {"hostd down", [](PairFacts& f) { f.host.hostd_available = false; }, codes::kHostdDown,
       Verdict::kUnreachable},
      {"no nfc address", [](PairFacts& f) { f.host.nfc_address.clear(); }, codes::kBadAddress,
       Verdict::kUnknown},
      {"garbage nfc address", [](PairFacts& f) { f.host.nfc_address = "10.99.0.300"; },
       codes::kBadAddress, Verdict::kUnknown},
      {"mapping not run", [](PairFacts& f) { f.mapping.ran = false; }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"no mapping", [](PairFacts& f) { f.mapping.finding = codes::kNoMapping; }, codes::kNoMapping,
       Verdict::kNotIsolated},
      {"ambiguous mapping", [](PairFacts& f) { f.mapping.finding = codes::kAmbiguousMapping; },
       codes::kAmbiguousMapping, Verdict::kUnknown},
      {"mapping via gateway",
       [](PairFacts& f) {
         f.mapping.via = "10.98.0.1";
         f.mapping.l2_adjacent = false;
       },
       codes::kNotL2Adjacent, Verdict::kNotIsolated},
      {"mapping finding NOT_L2_ADJACENT",
       [](PairFacts& f) { f.mapping.finding = codes::kNotL2Adjacent; }, codes::kNotL2Adjacent,
       Verdict::kNotIsolated},
      {"mapping not adjacent without gateway", [](PairFacts& f) { f.mapping.l2_adjacent = false; },
       codes::kNotL2Adjacent, Verdict::kNotIsolated},
      {"interface down", [](PairFacts& f) { f.mapping.finding = codes::kInterfaceDown; },
       codes::kInterfaceDown, Verdict::kUnreachable},
      {"unknown mapping finding", [](PairFacts& f) { f.mapping.finding = "SOMETHING_NEW"; },
       "SOMETHING_NEW", Verdict::kUnknown},
      {"mapping without source address", [](PairFacts& f) { f.mapping.source_address.clear(); },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"host check missing for this proxy address",
       [](PairFacts& f) { f.host.checks[0].proxy_address = "10.99.0.200"; }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"host checked from another vmknic", [](PairFacts& f) { f.host.checks[0].vmknic = "vmk3"; },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"host check did not run", [](PairFacts& f) { f.host.checks[0].ran = false; },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"host says proxy outside its subnet",
       [](PairFacts& f) { f.host.checks[0].in_subnet = false; }, codes::kNotL2Adjacent,
       Verdict::kNotIsolated},
      {"no ping sent", [](PairFacts& f) { f.host.checks[0].ping_sent = 0; }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"ping failed", [](PairFacts& f) { f.host.checks[0].ping_received = 0; }, codes::kPingFailed,
       Verdict::kUnreachable},
      {"packet loss", [](PairFacts& f) { f.host.checks[0].ping_received = 2; }, codes::kPacketLoss,
       Verdict::kDegraded},
      {"DF at MTU fails", [](PairFacts& f) { f.host.checks[0].df_at_mtu_ok = false; },
       codes::kMtuMismatch, Verdict::kDegraded},
      {"MTU configured differently", [](PairFacts& f) { f.mapping.interface_mtu = 1500; },
       codes::kMtuMismatch, Verdict::kDegraded},
      {"host has no neighbor entry", [](PairFacts& f) { f.host.checks[0].neighbor_mac.clear(); },
       codes::kNeighborMissing, Verdict::kUnknown},
      {"host sees another MAC for the proxy",
       [](PairFacts& f) { f.host.checks[0].neighbor_mac = "02:00:00:00:00:99"; },
       codes::kMacMismatch, Verdict::kNotIsolated},
      {"host neighbor MAC is garbage",
       [](PairFacts& f) { f.host.checks[0].neighbor_mac = "zz:zz"; }, codes::kMacMismatch,
       Verdict::kNotIsolated},
      {"proxy interface MAC unknown", [](PairFacts& f) { f.mapping.interface_mac.clear(); },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"proxy neighbor check not run", [](PairFacts& f) { f.neighbor.ran = false; },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"proxy has no neighbor entry", [](PairFacts& f) { f.neighbor.mac.clear(); },
       codes::kNeighborMissing, Verdict::kUnknown},
      {"proxy sees another MAC for the NFC address",
       [](PairFacts& f) { f.neighbor.mac = "02:00:00:00:00:77"; }, codes::kMacMismatch,
       Verdict::kNotIsolated},
      {"host reported no vmknic MAC", [](PairFacts& f) { f.host.nfc_vmknic_mac.clear(); },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"pin not checked", [](PairFacts& f) { f.pin.ran = false; }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"pin missing", [](PairFacts& f) { f.pin.installed = false; }, codes::kPinMissing,
       Verdict::kDegraded},
      {"connect enabled but not run", [](PairFacts& f) { f.connect.enabled = true; },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"connect failed",
       [](PairFacts& f) {
         f.connect.enabled = true;
         f.connect.ran = true;
         f.connect.ok = false;
       },
       codes::kTcpConnectFailed, Verdict::kUnreachable},
      {"flow audit not run", [](PairFacts& f) { f.flows.ran = false; }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"flow off backup", [](PairFacts& f) { f.flows.off_backup = 1; }, codes::kFlowOffBackup,
       Verdict::kNotIsolated},
      {"duplicate nfc address", [](PairFacts& f) { f.duplicate_hosts = {"esx07"}; },
       codes::kDuplicateNfcAddress, Verdict::kUnreachable},
      {"host reports a command failure",
       [](PairFacts& f) {
         f.host.problems.push_back({"COMMAND_FAILED", "esxcli failed", "rc=1"});
       },
       "COMMAND_FAILED", Verdict::kUnknown},
      {"host reports an unknown problem",
       [](PairFacts& f) {
         f.host.problems.push_back({"NEW_THING", "something", ""});
       },
       "NEW_THING", Verdict::kUnknown},
      {"host reports tag change failure",
       [](PairFacts& f) {
         f.host.problems.push_back({"TAG_CHANGE_FAILED", "add failed", ""});
       },
       "TAG_CHANGE_FAILED", Verdict::kDegraded},
      {"host reports HOSTD_DOWN",
       [](PairFacts& f) {
         f.host.problems.push_back({"HOSTD_DOWN", "x", ""});
       },
       codes::kHostdDown, Verdict::kUnreachable},
      {"tag on several vmknics",
       [](PairFacts& f) {
         HostVmknic v3 = Vmk(f, "vmk2");
         v3.name = "vmk3";
         v3.ipv4 = "10.97.0.11";
         f.host.vmknics.push_back(v3);
       },
       codes::kTagOnSeveralVmknics, Verdict::kUnknown},
      {"tag also on the management vmknic",
       [](PairFacts& f) { Vmk(f, "vmk0").tags.push_back("vSphereBackupNFC"); },
       codes::kTagOnManagement, Verdict::kNotIsolated},
      {"tagged vmknic named but untagged in the list",
       [](PairFacts& f) { Vmk(f, "vmk2").tags.clear(); }, codes::kCheckNotRun, Verdict::kUnknown},
      {"no vmknic list", [](PairFacts& f) { f.host.vmknics.clear(); }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"tagged vmknic in the management subnet",
       [](PairFacts& f) { Vmk(f, "vmk0").ipv4 = "10.99.0.12"; }, "SUBNET_SHARED_WITH_VMK0",
       Verdict::kNotIsolated},
      {"tagged vmknic's subnet inside a wider one",
       [](PairFacts& f) {
         HostVmknic v1 = Vmk(f, "vmk0");
         v1.name = "vmk1";
         v1.tags = {"VMotion"};
         v1.ipv4 = "10.0.0.5";
         v1.ipv4_prefix = 8;
         v1.vlan_id = 30;
         f.host.vmknics.push_back(v1);
       },
       "SUBNET_SHARED_WITH_VMK1", Verdict::kNotIsolated},
      {"overlapping vmknic on an unknown netstack",
       [](PairFacts& f) {
         HostVmknic& v = Vmk(f, "vmk0");
         v.ipv4 = "10.99.0.12";
         v.netstack.clear();
       },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"tagged vmknic without IPv4 prefix", [](PairFacts& f) { Vmk(f, "vmk2").ipv4_prefix = 0; },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"same VLAN on the same vSwitch as management",
       [](PairFacts& f) { Vmk(f, "vmk2").vlan_id = 10; }, codes::kSameL2AsManagement,
       Verdict::kNotIsolated},
      {"management portgroup carries all VLANs",
       [](PairFacts& f) { Vmk(f, "vmk0").vlan_id = 4095; }, codes::kSameL2AsManagement,
       Verdict::kNotIsolated},
      {"switch unknown (old host agent)", [](PairFacts& f) { Vmk(f, "vmk2").switch_name.clear(); },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"VLAN unknown on the same switch", [](PairFacts& f) { Vmk(f, "vmk0").vlan_known = false; },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"management path not looked up", [](PairFacts& f) { f.path.ran = false; },
       codes::kCheckNotRun, Verdict::kUnknown},
      {"pin on the management path's interface",
       [](PairFacts& f) { f.path.management_interface = "eth1"; }, codes::kPathSharedWithManagement,
       Verdict::kNotIsolated},
      {"pin on the control connection's interface",
       [](PairFacts& f) { f.path.control_interface = "eth1"; }, codes::kPathSharedWithManagement,
       Verdict::kNotIsolated},
      {"backup next hop is the management next hop",
       [](PairFacts& f) { f.path.management_next_hop_mac = "00:50:56:6a:bb:01"; },
       codes::kPathSharedWithManagement, Verdict::kNotIsolated},
      {"management next hop answers ARP on the backup interface",
       [](PairFacts& f) {
         f.path.backup_probe_macs = {"00:50:56:6a:bb:01", "00:50:56:6a:aa:01"};
       },
       codes::kPathSharedWithManagement, Verdict::kNotIsolated},
      {"ARP probe on the backup interface not run",
       [](PairFacts& f) { f.path.backup_probe_ran = false; }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"management next hop MAC unknown",
       [](PairFacts& f) { f.path.management_next_hop_mac.clear(); }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"only the management interface holds the NFC subnet",
       [](PairFacts& f) {
         f.mapping.finding = codes::kNoMapping;
         f.mapping.management_excluded = true;
       },
       codes::kPathSharedWithManagement, Verdict::kNotIsolated},
      {"vmknic MTU unknown", [](PairFacts& f) { f.host.nfc_vmknic_mtu = 0; }, codes::kCheckNotRun,
       Verdict::kUnknown},
      {"host reports TAG_MISSING itself",
       [](PairFacts& f) {
         f.host.problems.push_back({"TAG_MISSING", "no tag", ""});
       },
       codes::kTagMissing, Verdict::kNotIsolated},
  };
}

TEST(Verdict, EverySingleFaultHasItsFindingAndIsNotIsolated) {
  for (const Case& c : SingleFaultCases()) {
    SCOPED_TRACE(c.name);
    PairFacts f = GoodFacts();
    c.mutate(f);
    PairVerdict v = Evaluate(f);
    EXPECT_NE(v.verdict, Verdict::kIsolated) << Codes(v);
    EXPECT_EQ(v.verdict, c.verdict) << Codes(v);
    EXPECT_TRUE(HasCode(v, c.code)) << "want " << c.code << ", got " << Codes(v);
    EXPECT_FALSE(AllConditionsHold(f));
    for (const Finding& fd : v.findings) {
      EXPECT_FALSE(fd.detail.empty()) << fd.code;
      EXPECT_EQ(fd.detail.find('\n'), std::string::npos) << "one sentence: " << fd.detail;
    }
  }
}

TEST(Verdict, IsolatedListsEveryCheckPassedWithEvidenceAndTime) {
  PairFacts f = GoodFacts();
  PairVerdict v = Evaluate(f);
  ASSERT_EQ(v.verdict, Verdict::kIsolated) << Codes(v);
  ASSERT_EQ(v.checks.size(), CheckIds().size());
  for (size_t i = 0; i < v.checks.size(); ++i) {
    const Check& c = v.checks[i];
    EXPECT_EQ(c.id, CheckIds()[i]);
    EXPECT_FALSE(c.name.empty()) << c.id;
    EXPECT_EQ(c.status, CheckStatus::kPassed) << c.id << ": " << c.evidence;
    EXPECT_FALSE(c.evidence.empty()) << c.id;
    EXPECT_GT(c.at_unix_ms, 0) << c.id;
  }
  // Host facts date from when the report arrived, proxy facts from when they were read.
  EXPECT_EQ(CheckOf(v, checks::kTag).at_unix_ms, f.observed_unix_ms - f.report_age_ms);
  EXPECT_EQ(CheckOf(v, checks::kPin).at_unix_ms, f.observed_unix_ms);
  EXPECT_NE(CheckOf(v, checks::kOwnSubnet).evidence.find("10.99.0.11/24"), std::string::npos);
  EXPECT_NE(CheckOf(v, checks::kOwnL2).evidence.find("VLAN 20"), std::string::npos);
  EXPECT_NE(CheckOf(v, checks::kDisjointPath).evidence.find("eth0"), std::string::npos);
}

// Every check can pass, fail and not run; the status follows the facts.
TEST(Verdict, EachCheckPassesFailsAndDoesNotRun) {
  struct Three {
    const char* id;
    std::function<void(PairFacts&)> fail;
    std::function<void(PairFacts&)> not_run;
  };
  const std::vector<Three> all = {
      {checks::kReportFresh, [](PairFacts& f) { f.report_age_ms = 100'000; }, nullptr},
      {checks::kTag, [](PairFacts& f) { f.host.nfc_netstack = "vmotion"; },
       [](PairFacts& f) { f.host.nfc_netstack.clear(); }},
      {checks::kOwnSubnet, [](PairFacts& f) { Vmk(f, "vmk0").ipv4 = "10.99.0.12"; },
       [](PairFacts& f) { Vmk(f, "vmk2").ipv4.clear(); }},
      {checks::kOwnL2, [](PairFacts& f) { Vmk(f, "vmk2").vlan_id = 10; },
       [](PairFacts& f) {
         Vmk(f, "vmk0").on_vds = Vmk(f, "vmk2").on_vds = true;
         Vmk(f, "vmk2").vlan_known = false;
       }},
      {checks::kMapping, [](PairFacts& f) { f.mapping.finding = codes::kNoMapping; },
       [](PairFacts& f) { f.mapping.ran = false; }},
      {checks::kDisjointPath, [](PairFacts& f) { f.path.control_interface = "eth1"; },
       [](PairFacts& f) { f.path.management_interface.clear(); }},
      {checks::kAdjacency, [](PairFacts& f) { f.neighbor.mac = "02:00:00:00:00:77"; },
       [](PairFacts& f) { f.neighbor.ran = false; }},
      {checks::kMtu, [](PairFacts& f) { f.host.checks[0].df_at_mtu_ok = false; },
       [](PairFacts& f) { f.mapping.interface_mtu = 0; }},
      {checks::kPin, [](PairFacts& f) { f.pin.installed = false; },
       [](PairFacts& f) { f.pin.ran = false; }},
      {checks::kFlows, [](PairFacts& f) { f.flows.off_backup = 1; },
       [](PairFacts& f) { f.flows.ran = false; }},
  };
  ASSERT_EQ(all.size(), CheckIds().size());
  for (const Three& t : all) {
    SCOPED_TRACE(t.id);
    EXPECT_EQ(CheckOf(Evaluate(GoodFacts()), t.id).status, CheckStatus::kPassed);
    PairFacts f = GoodFacts();
    t.fail(f);
    PairVerdict v = Evaluate(f);
    EXPECT_EQ(CheckOf(v, t.id).status, CheckStatus::kFailed) << CheckOf(v, t.id).evidence;
    EXPECT_NE(v.verdict, Verdict::kIsolated);
    if (t.not_run) {
      PairFacts g = GoodFacts();
      t.not_run(g);
      PairVerdict w = Evaluate(g);
      EXPECT_EQ(CheckOf(w, t.id).status, CheckStatus::kNotRun) << CheckOf(w, t.id).evidence;
      EXPECT_EQ(w.verdict, Verdict::kUnknown) << Codes(w);
      EXPECT_TRUE(HasCode(w, codes::kCheckNotRun)) << Codes(w);
    }
  }
  PairFacts none = GoodFacts();
  none.has_report = false;
  EXPECT_EQ(CheckOf(Evaluate(none), checks::kReportFresh).status, CheckStatus::kFailed);
}

TEST(Verdict, OldHostAgentWithoutSwitchFieldsIsNeverIsolated) {
  PairFacts f = GoodFacts();
  for (HostVmknic& v : f.host.vmknics) {
    v.switch_name.clear();
    v.vlan_known = false;
    v.vlan_id = 0;
  }
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kUnknown) << Codes(v);
  EXPECT_EQ(CheckOf(v, checks::kOwnL2).status, CheckStatus::kNotRun);
}

TEST(Verdict, SameVlanOnAnotherSwitchOrSameSwitchAnotherVlanPasses) {
  PairFacts f = GoodFacts();
  Vmk(f, "vmk2").vlan_id = 10;
  Vmk(f, "vmk2").switch_name = "vSwitch1";
  EXPECT_EQ(Evaluate(f).verdict, Verdict::kIsolated) << Codes(Evaluate(f));
  // A VDS with unknown VLANs is fine when the other vmknic is on another switch.
  Vmk(f, "vmk2").on_vds = true;
  Vmk(f, "vmk2").vlan_known = false;
  EXPECT_EQ(Evaluate(f).verdict, Verdict::kIsolated) << Codes(Evaluate(f));
}

TEST(Verdict, OverlapOnAnotherNetstackIsNotShared) {
  PairFacts f = GoodFacts();
  HostVmknic v = Vmk(f, "vmk2");
  v.name = "vmk5";
  v.tags.clear();
  v.netstack = "vmotion";
  v.ipv4 = "10.99.0.50";
  f.host.vmknics.push_back(v);
  EXPECT_EQ(Evaluate(f).verdict, Verdict::kIsolated) << Codes(Evaluate(f));
  f.host.vmknics.back().netstack = "defaultTcpipStack";
  PairVerdict w = Evaluate(f);
  EXPECT_TRUE(HasCode(w, "SUBNET_SHARED_WITH_VMK5")) << Codes(w);
}

// The real traps of issue 14, built by hand (the daemon tests build them through the kernel).
TEST(Verdict, TrapBackupVmknicInManagementSubnetWithOneProxyCard) {
  PairFacts f = GoodFacts("esx01", "10.98.0.12");
  Vmk(f, "vmk2").vlan_id = 10;  // same segment as vmk0
  f.host.checks[0].proxy_address = "10.98.0.100";
  // The proxy's one card holds 10.98.0.0/24 and carries management: never a backup path.
  f.mapping = MappingFacts{};
  f.mapping.ran = true;
  f.mapping.finding = codes::kNoMapping;
  f.mapping.management_excluded = true;
  f.mapping.detail = "eth0 holds 10.98.0.12 but carries the management path to esx01";
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(HasCode(v, "SUBNET_SHARED_WITH_VMK0")) << Codes(v);
  EXPECT_TRUE(HasCode(v, codes::kPathSharedWithManagement)) << Codes(v);
  EXPECT_FALSE(HasCode(v, codes::kNoMapping)) << "one cause, one finding: " << Codes(v);
  EXPECT_EQ(CheckOf(v, checks::kDisjointPath).status, CheckStatus::kFailed);
}

TEST(Verdict, TrapOtherSubnetSameVlanAndSwitch) {
  PairFacts f = GoodFacts();
  Vmk(f, "vmk2").vlan_id = Vmk(f, "vmk0").vlan_id;
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(HasCode(v, codes::kSameL2AsManagement)) << Codes(v);
}

TEST(Verdict, TrapOneProxyCardWithAManualMappingOntoManagement) {
  PairFacts f = GoodFacts();
  f.mapping.interface = "eth0";
  f.mapping.detail = "mapping line: eth0";
  f.path.management_interface = "eth0";
  f.path.control_interface = "eth0";
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(HasCode(v, codes::kPathSharedWithManagement)) << Codes(v);
  EXPECT_EQ(
      std::count_if(v.findings.begin(), v.findings.end(),
                    [](const Finding& x) { return x.code == codes::kPathSharedWithManagement; }),
      1);
}

TEST(Verdict, TrapDuplicateNfcAddressOnOneSegment) {
  PairFacts f = GoodFacts();
  f.duplicate_hosts = {"esx02"};
  f.neighbor.mac = "00:50:56:6a:bb:02";  // the other host answered ARP
  PairVerdict v = Evaluate(f);
  EXPECT_NE(v.verdict, Verdict::kIsolated);
  EXPECT_TRUE(HasCode(v, codes::kDuplicateNfcAddress));
  EXPECT_TRUE(HasCode(v, codes::kMacMismatch));
}

// The host's ping failing does not hide another device answering for the NFC address.
TEST(Verdict, PingFailedAndProxySeesAnotherMacBothCount) {
  PairFacts f = GoodFacts();
  f.duplicate_hosts = {"esx02"};
  f.host.checks[0].ping_received = 0;
  f.neighbor.mac = "00:50:56:6a:bb:02";
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(HasCode(v, codes::kPingFailed)) << Codes(v);
  EXPECT_TRUE(HasCode(v, codes::kMacMismatch)) << Codes(v);
  EXPECT_TRUE(HasCode(v, codes::kDuplicateNfcAddress)) << Codes(v);
}

// A proxy address outside the vmknic's subnet explains the failed ping: one finding, not three.
TEST(Verdict, OneRootCauseIsReportedOnce) {
  PairFacts f = GoodFacts();
  f.host.checks[0].in_subnet = false;
  f.host.checks[0].ping_received = 0;
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(HasCode(v, codes::kNotL2Adjacent));
  EXPECT_FALSE(HasCode(v, codes::kPingFailed)) << Codes(v);
  EXPECT_EQ(std::count_if(v.findings.begin(), v.findings.end(),
                          [](const Finding& x) { return x.code == codes::kNotL2Adjacent; }),
            1);
  // A routed mapping: the dependent checks do not run and add nothing of their own.
  PairFacts r = GoodFacts();
  r.mapping.via = "10.99.1.1";
  r.mapping.l2_adjacent = false;
  r.mapping.finding = codes::kNotL2Adjacent;
  r.host.checks[0].in_subnet = false;
  r.host.checks[0].ping_received = 0;
  PairVerdict w = Evaluate(r);
  ASSERT_EQ(w.findings.size(), 1u) << Codes(w);
  EXPECT_EQ(w.findings[0].code, codes::kNotL2Adjacent);
  EXPECT_EQ(CheckOf(w, checks::kAdjacency).status, CheckStatus::kNotRun);
  // Tag on management: the mapping onto management is a consequence, not a second cause.
  PairFacts t = GoodFacts("esx01", "10.98.0.11");
  t.host.nfc_vmknic = "vmk0";
  t.host.nfc_is_management = true;
  t.mapping.finding = codes::kNoMapping;
  t.mapping.management_excluded = true;
  PairVerdict x = Evaluate(t);
  EXPECT_TRUE(HasCode(x, codes::kTagOnManagement));
  EXPECT_FALSE(HasCode(x, codes::kPathSharedWithManagement)) << Codes(x);
  EXPECT_FALSE(HasCode(x, codes::kNoMapping)) << Codes(x);
}

TEST(Verdict, HostWordsAboutAFailedTagAreNotASecondFinding) {
  PairFacts f = GoodFacts("esx03", "10.98.0.11");
  f.host.nfc_vmknic = "vmk0";
  f.host.nfc_is_management = true;
  f.host.problems.push_back({"TAG_MISSING", "vmk2 does not carry vSphereBackupNFC", ""});
  f.host.problems.push_back({"COMMAND_FAILED", "esxcli failed", ""});
  PairVerdict v = Evaluate(f);
  EXPECT_TRUE(HasCode(v, codes::kTagOnManagement)) << Codes(v);
  EXPECT_FALSE(HasCode(v, codes::kTagMissing)) << Codes(v);
  EXPECT_TRUE(HasCode(v, "COMMAND_FAILED")) << "other host problems stay";
}

TEST(Verdict, NoMappingAdviceNeverPointsAtManagement) {
  PairFacts f = GoodFacts();
  f.mapping.finding = codes::kNoMapping;
  PairVerdict v = Evaluate(f);
  ASSERT_TRUE(HasCode(v, codes::kNoMapping));
  for (const Finding& x : v.findings) {
    if (x.code == codes::kNoMapping) {
      EXPECT_EQ(x.detail.find("mapping entry"), std::string::npos) << x.detail;
      EXPECT_NE(x.detail.find("backup subnet"), std::string::npos) << x.detail;
    }
  }
}

TEST(Verdict, HostPerProxyProblemsAreDerivedFromTheCheckNotPassedThrough) {
  // The host checks every proxy; its PROXY_UNREACHABLE about another proxy must not hit us.
  PairFacts f = GoodFacts();
  f.host.problems.push_back({"PROXY_UNREACHABLE", "10.99.0.200 does not answer", ""});
  f.host.problems.push_back({"MTU_MISMATCH", "10.99.0.200 drops jumbo", ""});
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kIsolated) << Codes(v);
  EXPECT_TRUE(v.findings.empty());
}

TEST(Verdict, PlannedTagChangesAreAdvisoryButUnknownHostCodesAreNot) {
  // What observe would have done changes nothing where NBD goes; it is shown, not held against
  // the pair. A host code the engine does not know is never ignored.
  PairFacts f = GoodFacts();
  f.host.problems.push_back({"PLANNED_TAG_REMOVE", "would remove the tag from vmk3", ""});
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kIsolated) << Codes(v);
  ASSERT_TRUE(HasCode(v, "PLANNED_TAG_REMOVE")) << Codes(v);
  EXPECT_TRUE(AllConditionsHold(f));
  f.host.problems.push_back({"SOMETHING_NEW", "a code from a newer agent", ""});
  EXPECT_EQ(Evaluate(f).verdict, Verdict::kUnknown);
  EXPECT_FALSE(AllConditionsHold(f));
}

TEST(Verdict, FailoverWithTagOnManagementIsNotIsolated) {
  PairFacts f = GoodFacts();
  f.host.failover_active = true;
  f.host.nfc_vmknic = "vmk0";
  f.host.nfc_is_management = true;
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated);
  EXPECT_TRUE(HasCode(v, codes::kTagOnManagement));
  EXPECT_TRUE(HasCode(v, codes::kFailoverActive));
}

TEST(Verdict, StaleReportIgnoresHostFactsButKeepsProxyObservations) {
  PairFacts f = GoodFacts();
  f.report_age_ms = 10 * 60 * 1000;
  f.host.nfc_vmknic.clear();  // stale data is not evidence either way
  f.flows.off_backup = 2;     // but the proxy saw this now
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(HasCode(v, codes::kHostStale));
  EXPECT_TRUE(HasCode(v, codes::kFlowOffBackup));
  EXPECT_FALSE(HasCode(v, codes::kTagMissing));
}

TEST(Verdict, NoReportOnlySaysSo) {
  PairFacts f;
  f.proxy_id = "proxy01";
  f.host_id = "esx09";
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kUnknown);
  ASSERT_EQ(v.findings.size(), 1u) << Codes(v);
  EXPECT_EQ(v.findings[0].code, codes::kNoReport);
  EXPECT_TRUE(v.nfc_address.empty());
}

TEST(Verdict, ReportExactlyAtTheLimitIsFresh) {
  PairFacts f = GoodFacts();
  f.report_age_ms = f.freshness_limit_ms;
  EXPECT_EQ(Evaluate(f).verdict, Verdict::kIsolated);
  f.report_age_ms += 1;
  EXPECT_EQ(Evaluate(f).verdict, Verdict::kUnknown);
}

TEST(Verdict, MacComparisonIgnoresCaseAndFormat) {
  PairFacts f = GoodFacts();
  f.neighbor.mac = "00-50-56-6A-BB-01";
  f.host.checks[0].neighbor_mac = "2:0:0:0:0:64";
  EXPECT_EQ(Evaluate(f).verdict, Verdict::kIsolated) << Codes(Evaluate(f));
}

TEST(Verdict, PublicAddressRecommendsNbdssl) {
  PairFacts f = GoodFacts();
  f.host.nfc_address = "198.51.100.11";
  f.host.checks[0].proxy_address = "198.51.100.100";
  f.mapping.source_address = "198.51.100.100";
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kIsolated) << "advisory only: " << Codes(v);
  ASSERT_EQ(v.findings.size(), 1u) << Codes(v);
  EXPECT_EQ(v.findings[0].code, codes::kPublicAddressPlaintext);
  EXPECT_NE(v.findings[0].detail.find("NBDSSL"), std::string::npos);
  EXPECT_TRUE(v.nbdssl_recommended);

  f.allow_public_plaintext = true;
  v = Evaluate(f);
  EXPECT_TRUE(v.findings.empty());
  EXPECT_FALSE(v.nbdssl_recommended);
}

TEST(Verdict, EitherEndPublicIsEnough) {
  PairFacts f = GoodFacts();
  f.mapping.source_address = "203.0.113.5";
  f.host.checks[0].proxy_address = "203.0.113.5";
  PairVerdict v = Evaluate(f);
  EXPECT_TRUE(HasCode(v, codes::kPublicAddressPlaintext)) << Codes(v);
  EXPECT_TRUE(v.nbdssl_recommended);
}

TEST(Verdict, NeedsEncryptionFollowsRfc1918) {
  EXPECT_FALSE(NeedsEncryption("10.1.2.3"));
  EXPECT_FALSE(NeedsEncryption("172.16.0.1"));
  EXPECT_FALSE(NeedsEncryption("192.168.1.1"));
  EXPECT_FALSE(NeedsEncryption("fd00::1"));
  EXPECT_FALSE(NeedsEncryption("127.0.0.1"));
  EXPECT_FALSE(NeedsEncryption("169.254.1.1"));
  EXPECT_FALSE(NeedsEncryption(""));
  EXPECT_FALSE(NeedsEncryption("not an address"));
  EXPECT_TRUE(NeedsEncryption("172.32.0.1"));
  EXPECT_TRUE(NeedsEncryption("8.8.8.8"));
  EXPECT_TRUE(NeedsEncryption("2001:db8::1"));
  EXPECT_TRUE(NeedsEncryption("100.64.0.1"));
}

TEST(Verdict, SeveralFindingsTakeTheMostSevereVerdictInDocumentedOrder) {
  PairFacts f = GoodFacts();
  f.pin.installed = false;               // DEGRADED
  f.flows.ran = false;                   // UNKNOWN
  f.host.checks[0].ping_received = 0;    // UNREACHABLE
  f.host.nfc_netstack = "vmotion";       // NOT_ISOLATED
  f.host.nfc_address = "198.51.100.11";  // advisory
  f.host.checks[0].proxy_address = "10.99.0.100";
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated);
  std::vector<std::string> got;
  for (const Finding& fd : v.findings) {
    got.push_back(fd.code);
  }
  std::vector<std::string> want = {codes::kWrongNetstack, codes::kPingFailed, codes::kCheckNotRun,
                                   codes::kPinMissing, codes::kPublicAddressPlaintext};
  EXPECT_EQ(got, want) << Codes(v);
  // Deterministic: shuffled input sorts to the same order.
  std::vector<Finding> shuffled = v.findings;
  std::reverse(shuffled.begin(), shuffled.end());
  SortFindings(shuffled);
  for (size_t i = 0; i < shuffled.size(); ++i) {
    EXPECT_EQ(shuffled[i].code, v.findings[i].code);
  }
}

TEST(Verdict, VerdictsBySeverityIsDescending) {
  const auto& all = VerdictsBySeverity();
  ASSERT_EQ(all.size(), static_cast<size_t>(kVerdictCount));
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_GT(static_cast<int>(all[i - 1]), static_cast<int>(all[i]));
  }
  EXPECT_STREQ(VerdictName(Verdict::kNotIsolated), "NOT_ISOLATED");
}

// Random combinations of faults: ISOLATED exactly when the independent conditions hold.
TEST(Verdict, RandomFactsNeverYieldAWrongIsolated) {
  std::mt19937 rng(20240611);
  const std::vector<Case> cases = SingleFaultCases();
  int isolated = 0;
  for (int i = 0; i < 5000; ++i) {
    PairFacts f = GoodFacts();
    for (const Case& c : cases) {
      if (rng() % 12 == 0) {
        c.mutate(f);
      }
    }
    PairVerdict v = Evaluate(f);
    const bool hold = AllConditionsHold(f);
    ASSERT_EQ(v.verdict == Verdict::kIsolated, hold) << "iteration " << i << ": " << Codes(v);
    // The rules alone agree with the conditions; the last guard in Evaluate never had to step in.
    for (const Finding& fd : v.findings) {
      ASSERT_EQ(fd.detail.find("consistency"), std::string::npos) << "iteration " << i;
    }
    isolated += v.verdict == Verdict::kIsolated;
  }
  EXPECT_GT(isolated, 0);  // the generator does produce good pairs too
}

TEST(Verdict, HostSideFromReportExtractsTheTaggedVmknic) {
  proto::HostReport r;
  r.mutable_host()->set_hostname("esx01");
  r.mutable_host()->set_version("8.0.3");
  r.mutable_host()->set_build("Releasebuild-24677879");
  r.set_agent_version("0.1.0");
  r.set_nfc_vmknic("vmk2");
  r.set_nfc_address("10.99.0.11");
  r.set_management_vmknic("vmk0");
  r.set_management_address("10.98.0.11");
  r.set_hostd_available(true);
  proto::Vmknic* v0 = r.add_vmknics();
  v0->set_name("vmk0");
  v0->set_netstack("defaultTcpipStack");
  v0->set_mac("00:50:56:00:00:01");
  v0->add_tags("Management");
  proto::Vmknic* v2 = r.add_vmknics();
  v2->set_name("vmk2");
  v2->set_netstack("defaultTcpipStack");
  v2->set_mac("00:50:56:6a:bb:01");
  v2->set_mtu(9000);
  v2->add_tags("vSphereBackupNFC");
  proto::L2Check* c = r.add_checks();
  c->set_proxy_address("10.99.0.100");
  c->set_vmknic("vmk2");
  c->set_ran(true);
  c->set_ping_sent(3);
  c->set_ping_received(3);
  proto::Problem* p = r.add_problems();
  p->set_code("COMMAND_FAILED");
  HostSide h = HostSideFromReport(r);
  EXPECT_EQ(h.nfc_vmknic, "vmk2");
  EXPECT_EQ(h.nfc_netstack, "defaultTcpipStack");
  EXPECT_EQ(h.nfc_vmknic_mac, "00:50:56:6a:bb:01");
  EXPECT_EQ(h.nfc_vmknic_mtu, 9000u);
  EXPECT_FALSE(h.nfc_is_management);
  EXPECT_EQ(h.esxi_version, "8.0.3 (Releasebuild-24677879)");
  ASSERT_EQ(h.checks.size(), 1u);
  EXPECT_EQ(h.checks[0].ping_received, 3u);
  ASSERT_EQ(h.problems.size(), 1u);
  EXPECT_EQ(h.problems[0].code, "COMMAND_FAILED");
  ASSERT_EQ(h.vmknics.size(), 2u);
  EXPECT_TRUE(h.vmknics[1].switch_name.empty());  // an agent that does not send the L2 fields
  v2->set_switch_name("dvs-backup");
  v2->set_on_vds(true);
  v2->set_vlan_known(true);
  v2->set_vlan_id(20);
  v2->mutable_ipv4()->set_address("10.99.0.11");
  v2->mutable_ipv4()->set_prefix_length(24);
  HostVmknic got = HostSideFromReport(r).vmknics[1];
  EXPECT_EQ(got.switch_name, "dvs-backup");
  EXPECT_TRUE(got.on_vds);
  EXPECT_TRUE(got.vlan_known);
  EXPECT_EQ(got.vlan_id, 20u);
  EXPECT_EQ(got.ipv4, "10.99.0.11");
  EXPECT_EQ(got.ipv4_prefix, 24u);
  EXPECT_EQ(got.tags, std::vector<std::string>{"vSphereBackupNFC"});

  r.set_nfc_vmknic("vmk0");
  EXPECT_TRUE(HostSideFromReport(r).nfc_is_management);
  // A vmknic carrying the Management tag is management even if it is not the named one.
  v2->add_tags("Management");
  r.set_nfc_vmknic("vmk2");
  EXPECT_TRUE(HostSideFromReport(r).nfc_is_management);
}

}  // namespace
}  // namespace bnfc::report

namespace bnfc::report {
namespace {

// The same good pair as stated by the vSphere API: no host-side checks.
PairFacts ApiFacts() {
  PairFacts f = testing::GoodFacts();
  f.host.source = "vsphere";
  f.host.checks.clear();
  return f;
}

const Check& ApiCheck(const PairVerdict& v, const std::string& id) {
  for (const Check& c : v.checks) {
    if (c.id == id)
      return c;
  }
  static Check none;
  return none;
}

TEST(VerdictVsphereSource, AdjacencyRestsOnTheProxyEndAndMtuDoesNotRunSoNeverIsolated) {
  PairVerdict v = Evaluate(ApiFacts());
  EXPECT_EQ(v.source, "vsphere");
  EXPECT_EQ(ApiCheck(v, checks::kAdjacency).status, CheckStatus::kPassed)
      << ApiCheck(v, checks::kAdjacency).evidence;
  EXPECT_NE(ApiCheck(v, checks::kAdjacency).evidence.find("not available through the vSphere API"),
            std::string::npos);
  EXPECT_EQ(ApiCheck(v, checks::kMtu).status, CheckStatus::kNotRun);
  EXPECT_NE(v.verdict, Verdict::kIsolated);
  EXPECT_EQ(v.verdict, Verdict::kUnknown);
  EXPECT_FALSE(AllConditionsHold(ApiFacts()));
  for (const char* id : {checks::kReportFresh, checks::kTag, checks::kOwnSubnet, checks::kOwnL2,
                         checks::kMapping, checks::kDisjointPath, checks::kPin, checks::kFlows}) {
    EXPECT_EQ(ApiCheck(v, id).status, CheckStatus::kPassed)
        << id << ": " << ApiCheck(v, id).evidence;
  }
}

TEST(VerdictVsphereSource, AnotherMacForTheNfcAddressStillFailsAdjacency) {
  PairFacts f = ApiFacts();
  f.neighbor.mac = "02:00:00:00:99:99";
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(ApiCheck(v, checks::kAdjacency).status, CheckStatus::kFailed);
  EXPECT_TRUE(std::any_of(v.findings.begin(), v.findings.end(),
                          [](const Finding& x) { return x.code == codes::kMacMismatch; }));
  EXPECT_EQ(v.verdict, Verdict::kNotIsolated);
  // Without the proxy's neighbor read the API source has nothing: not run, never passed.
  f = ApiFacts();
  f.neighbor.ran = false;
  EXPECT_EQ(ApiCheck(Evaluate(f), checks::kAdjacency).status, CheckStatus::kNotRun);
}

// The API pair with the proxy's DF probe made at the vmknic's MTU.
PairFacts ApiFactsWithProbe(const std::string& outcome) {
  PairFacts f = ApiFacts();
  f.proxy_df = {true, outcome, 9000, "DF echo 10.99.0.100 (eth1) -> 10.99.0.11 at MTU 9000"};
  return f;
}

TEST(VerdictVsphereSource, ProxyDfReplyAtTheVmknicMtuPassesMtuAndTheApiPairCanBeIsolated) {
  PairFacts f = ApiFactsWithProbe("reply");
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(ApiCheck(v, checks::kMtu).status, CheckStatus::kPassed)
      << ApiCheck(v, checks::kMtu).evidence;
  EXPECT_NE(ApiCheck(v, checks::kMtu).evidence.find("proxy DF probe at MTU 9000: reply"),
            std::string::npos);
  EXPECT_EQ(v.verdict, Verdict::kIsolated);
  EXPECT_TRUE(AllConditionsHold(f));
  // The same reply with the proxy interface at another MTU still fails: both ends must match.
  f.mapping.interface_mtu = 9216;
  v = Evaluate(f);
  EXPECT_EQ(ApiCheck(v, checks::kMtu).status, CheckStatus::kFailed);
  EXPECT_FALSE(AllConditionsHold(f));
}

TEST(VerdictVsphereSource, ProxyDfNoReplyOrTooLongFailsMtu) {
  for (const char* outcome : {"no_reply", "too_long"}) {
    PairFacts f = ApiFactsWithProbe(outcome);
    PairVerdict v = Evaluate(f);
    EXPECT_EQ(ApiCheck(v, checks::kMtu).status, CheckStatus::kFailed) << outcome;
    EXPECT_TRUE(std::any_of(v.findings.begin(), v.findings.end(), [](const Finding& x) {
      return x.code == codes::kMtuMismatch && x.detail.find("from eth1") != std::string::npos;
    })) << outcome;
    EXPECT_EQ(v.verdict, Verdict::kDegraded) << outcome;
    EXPECT_FALSE(AllConditionsHold(f)) << outcome;
  }
}

TEST(VerdictVsphereSource, ProxyDfErrorOrAnotherSizeProvesNothing) {
  PairFacts error = ApiFactsWithProbe("error");
  PairVerdict v = Evaluate(error);
  EXPECT_EQ(ApiCheck(v, checks::kMtu).status, CheckStatus::kNotRun);
  EXPECT_NE(ApiCheck(v, checks::kMtu).evidence.find("failed to run"), std::string::npos)
      << ApiCheck(v, checks::kMtu).evidence;
  EXPECT_FALSE(AllConditionsHold(error));
  PairFacts small = ApiFactsWithProbe("reply");
  small.proxy_df.mtu = 1500;  // a reply at 1500 says nothing about 9000
  v = Evaluate(small);
  EXPECT_EQ(ApiCheck(v, checks::kMtu).status, CheckStatus::kNotRun);
  EXPECT_NE(v.verdict, Verdict::kIsolated);
  EXPECT_FALSE(AllConditionsHold(small));
}

TEST(VerdictVsphereSource, ForAgentPairsTheHostsDfResultDecidesAndTheProxysIsEvidence) {
  PairFacts f = testing::GoodFacts();
  f.proxy_df = {true, "no_reply", 9000, "no reply within 1000 ms"};
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(ApiCheck(v, checks::kMtu).status, CheckStatus::kPassed);
  EXPECT_NE(ApiCheck(v, checks::kMtu).evidence.find("proxy DF probe at MTU 9000: no_reply"),
            std::string::npos);
  EXPECT_NE(ApiCheck(v, checks::kMtu).evidence.find("disagrees"), std::string::npos);
  EXPECT_EQ(v.verdict, Verdict::kIsolated);
  // A proxy reply cannot rescue a host whose own DF probe failed.
  f.proxy_df.outcome = "reply";
  f.host.checks[0].df_at_mtu_ok = false;
  v = Evaluate(f);
  EXPECT_EQ(ApiCheck(v, checks::kMtu).status, CheckStatus::kFailed);
  EXPECT_FALSE(AllConditionsHold(f));
  // Agreement adds the evidence without the disagreement line.
  f = testing::GoodFacts();
  f.proxy_df = {true, "reply", 9000, ""};
  EXPECT_EQ(ApiCheck(Evaluate(f), checks::kMtu).evidence.find("disagrees"), std::string::npos);
}

TEST(VerdictVsphereSource, AgentAndVcenterDisagreeingBlocksIsolated) {
  PairFacts f = testing::GoodFacts();
  ASSERT_EQ(Evaluate(f).verdict, Verdict::kIsolated);
  f.source_disagreement = "agent: NFC address 10.99.0.11 on vmk1; vc1: 10.0.0.11 on (none)";
  PairVerdict v = Evaluate(f);
  EXPECT_EQ(v.verdict, Verdict::kUnknown);
  ASSERT_FALSE(v.findings.empty());
  EXPECT_EQ(v.findings.front().code, codes::kVsphereDisagrees);
  EXPECT_EQ(v.findings.front().evidence, f.source_disagreement);
  EXPECT_FALSE(AllConditionsHold(f));
}

}  // namespace
}  // namespace bnfc::report
