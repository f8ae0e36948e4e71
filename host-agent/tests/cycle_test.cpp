// The cycle engine against the scripted fake runner.
#include "hostagent/cycle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "fake_esxcli.h"
#include "hostagent/testing/fake_runner.h"

namespace bnfc::hostagent {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class CycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vmks_ = {{"vmk0",
              "10.98.0.11",
              kDefaultNetstack,
              1500,
              {"Management"},
              "Management Network",
              "00:50:56:00:00:00"},
             {"vmk1", "10.97.0.11", "vmotion", 9000, {"VMotion"}, "vMotion", "00:50:56:00:00:01"},
             {"vmk2", "10.99.0.11", kDefaultNetstack, 9000, {}, "Backup NFC", "00:50:56:00:00:02"}};
    settings_.host_id = "esx01";
    settings_.selector = Selector::ByName("vmk2");
    settings_.format = Format::kText;
    settings_.read_cli = "localcli";
    settings_.change_cli = "esxcli";
    settings_.fallback_cli = "localcli";
    settings_.hostd_check = false;  // most tests script localcli reads only; see HostdCheck*
    settings_.probes = {ProbeAddress{"10.99.0.100", 9000, "config"}};
  }

  // Scripts every read for the current vmks_ with `cli`.
  void ScriptReads(const std::string& cli = "localcli") { ScriptHostReads(fake_, vmks_, l2_, cli); }
  // After a change the tag get for `vmk` answers `after` (the first read still sees the old).
  void ScriptTagsAfterChange(const std::string& cli, const std::string& vmk,
                             const std::vector<std::string>& after) {
    fake_.Script(cli + " network ip interface tag get -i " + vmk, TagsText(after));
  }
  void ScriptPingOk(const std::string& addr = "10.99.0.100", int payload = 8972) {
    fake_.Script("vmkping -I vmk2 -c 3 -W 1 -d -s " + std::to_string(payload) + " " + addr,
                 PingText(addr, payload, 3, 3));
  }
  void ScriptPingDead(const std::string& addr = "10.99.0.100", int payload = 8972) {
    fake_.Clear("vmkping -I vmk2 -c 3 -W 1 -d -s " + std::to_string(payload) + " " + addr);
    fake_.Script("vmkping -I vmk2 -c 3 -W 1 -d -s " + std::to_string(payload) + " " + addr,
                 PingText(addr, payload, 3, 0), 1);
    fake_.Clear("vmkping -I vmk2 -c 3 -W 1 " + addr);
    fake_.Script("vmkping -I vmk2 -c 3 -W 1 " + addr, PingText(addr, 56, 3, 0), 1);
  }
  FakeVmk& Vmk(const std::string& name) {
    return *std::find_if(vmks_.begin(), vmks_.end(),
                         [&](const FakeVmk& v) { return v.name == name; });
  }
  static std::vector<std::string> Codes(const CycleResult& r) {
    std::vector<std::string> out;
    for (const Finding& f : r.findings) {
      out.push_back(f.code);
    }
    return out;
  }
  size_t AddCalls() const {
    return fake_.CountCalls("esxcli network ip interface tag add") +
           fake_.CountCalls("localcli network ip interface tag add");
  }
  // As the daemon runs a cycle once a proxy has acknowledged a report (consent given).
  CycleResult Run(CycleEngine& e, bool allow_changes = true) {
    CycleOptions o;
    o.allow_changes = allow_changes;
    o.now_unix_ms = 1700000000000;
    o.consent_missing = "";
    return e.RunCycle(o);
  }

  std::vector<FakeVmk> vmks_;
  FakeL2Map l2_;
  EngineSettings settings_;
  FakeCommandRunner fake_;
};

TEST_F(CycleTest, EnsureAddsTheMissingTagThroughEsxcliAndVerifies) {
  ScriptReads();
  ScriptTagsAfterChange("localcli", "vmk2", {kNfcTag});
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "");
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_EQ(fake_.CountCalls("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC"),
            1u);
  ASSERT_EQ(r.report.changes_size(), 1);
  EXPECT_EQ(r.report.changes(0).vmknic(), "vmk2");
  EXPECT_EQ(r.report.changes(0).action(), "add");
  EXPECT_TRUE(r.report.changes(0).ok());
  EXPECT_EQ(r.report.changes(0).at_unix_ms(), 1700000000000);
  EXPECT_THAT(Codes(r), Not(Contains(codes::kTagMissing)));
  EXPECT_TRUE(r.ready) << CycleResultText(r);
  EXPECT_EQ(r.report.nfc_vmknic(), "vmk2");
  EXPECT_EQ(r.report.nfc_address(), "10.99.0.11");
  EXPECT_EQ(r.report.backup_vmknic(), "vmk2");
  EXPECT_EQ(r.report.management_vmknic(), "vmk0");
  EXPECT_EQ(r.report.management_address(), "10.98.0.11");
  EXPECT_EQ(r.report.host().version(), "8.0.3");
  EXPECT_EQ(r.report.host().hostname(), "esx01");
  EXPECT_TRUE(r.report.hostd_available());
  // Never another tag, never vmk0.
  for (const std::string& c : fake_.calls()) {
    if (c.find(" tag add") != std::string::npos || c.find(" tag remove") != std::string::npos) {
      EXPECT_THAT(c, HasSubstr("-t vSphereBackupNFC"));
      EXPECT_THAT(c, Not(HasSubstr("-i vmk0")));
    }
  }
}

TEST_F(CycleTest, SteadyStateChangesNothingWithinSixLaunches) {
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads();
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult first = Run(e);
  EXPECT_TRUE(first.ready) << CycleResultText(first);
  CycleResult second = Run(e);
  EXPECT_TRUE(second.ready);
  EXPECT_EQ(second.report.changes_size(), 0);
  EXPECT_LE(second.report.command_launches(), 6u);
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
  EXPECT_EQ(fake_.CountCalls("localcli system version get"), 1u);  // cached
  EXPECT_EQ(fake_.CountCalls("localcli network ip netstack list"), 1u);
  // vmk1 (vmotion stack) never has its tags read.
  EXPECT_EQ(fake_.CountCalls("localcli network ip interface tag get -i vmk1"), 0u);
  ASSERT_EQ(second.report.checks_size(), 1);
  const proto::L2Check& c = second.report.checks(0);
  EXPECT_TRUE(c.in_subnet());
  EXPECT_TRUE(c.ran());
  EXPECT_TRUE(c.df_at_mtu_ok());
  EXPECT_EQ(c.expected_mtu(), 9000u);
  EXPECT_EQ(c.largest_df_payload(), 8972u);
  EXPECT_EQ(c.ping_received(), 3u);
  EXPECT_EQ(c.neighbor_mac(), "00:11:22:33:44:55");
  EXPECT_THAT(c.evidence(), HasSubstr("$ vmkping -I vmk2 -c 3 -W 1 -d -s 8972 10.99.0.100"));
}

TEST_F(CycleTest, ObserveReportsButNeverChanges) {
  settings_.policy = TagPolicy::kObserve;
  ScriptReads();
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
  EXPECT_EQ(r.report.changes_size(), 0);
  EXPECT_THAT(Codes(r), Contains(codes::kTagMissing));
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.report.tag_policy(), "observe");
  EXPECT_EQ(r.report.nfc_address(), "10.98.0.11");  // vmk0's while no vmknic carries the tag
  // What ensure would do is reported, as advice.
  EXPECT_THAT(Codes(r), Contains(codes::kPlannedTagAdd));
  ASSERT_EQ(r.planned.size(), 1u);
  EXPECT_THAT(r.blockers, Contains("tag_policy = observe"));
}

TEST_F(CycleTest, EnsureWithoutConsentOnlyPlans) {
  ScriptReads();
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleOptions o;  // the default: no proxy has acknowledged a report
  CycleResult r = e.RunCycle(o);
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
  EXPECT_EQ(AddCalls(), 0u);
  EXPECT_EQ(r.report.changes_size(), 0);
  ASSERT_EQ(r.planned.size(), 1u);
  EXPECT_EQ(r.blockers, std::vector<std::string>{"no proxy has acknowledged a report yet"});
  bool advisory = false;
  for (const Finding& f : r.findings) {
    if (f.code == codes::kPlannedTagAdd) {
      advisory = !f.blocking;
      EXPECT_THAT(f.detail, HasSubstr("add vSphereBackupNFC to vmk2"));
      EXPECT_THAT(f.detail, HasSubstr("no proxy has acknowledged a report yet"));
    }
  }
  EXPECT_TRUE(advisory) << CycleResultText(r);
  int problems = 0;
  for (const proto::Problem& p : r.report.problems()) {
    problems += p.code() == codes::kPlannedTagAdd;
  }
  EXPECT_EQ(problems, 1);
  auto j = nlohmann::json::parse(CycleResultJson(r));
  EXPECT_EQ(j["planned"][0]["vmknic"], "vmk2");
  EXPECT_EQ(j["not_applied_because"][0], "no proxy has acknowledged a report yet");
}

TEST_F(CycleTest, EnsureWithAFailingProbeChangesNothing) {
  ScriptReads();
  ScriptPingDead();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);  // consent given
  EXPECT_EQ(AddCalls(), 0u);
  EXPECT_EQ(r.report.changes_size(), 0);
  EXPECT_THAT(Codes(r), Contains(codes::kPlannedTagAdd));
  ASSERT_EQ(r.blockers.size(), 1u);
  EXPECT_THAT(r.blockers[0], HasSubstr("DF ping at the MTU from vmk2"));
  // Without any proxy backup address there is no proof either.
  settings_.probes.clear();
  CycleEngine none(fake_, settings_);
  CycleResult n = Run(none);
  EXPECT_EQ(AddCalls(), 0u);
  EXPECT_THAT(Codes(n), Contains(codes::kPlannedTagAdd));
  // A path that answers only below the MTU is no proof.
  fake_.Clear("vmkping -I vmk2 -c 3 -W 1 10.99.0.100");
  fake_.Script("vmkping -I vmk2 -c 3 -W 1 10.99.0.100", PingText("10.99.0.100", 56, 3, 3));
  settings_.probes = {ProbeAddress{"10.99.0.100", 9000, "config"}};
  CycleEngine small(fake_, settings_);
  CycleResult m = Run(small);
  EXPECT_EQ(AddCalls(), 0u);
  EXPECT_THAT(Codes(m), Contains(codes::kMtuMismatch));
  EXPECT_THAT(Codes(m), Contains(codes::kPlannedTagAdd));
}

TEST_F(CycleTest, ForceSkipsTheProof) {
  ScriptReads();
  ScriptPingDead();
  ScriptTagsAfterChange("localcli", "vmk2", {kNfcTag});
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "");
  CycleEngine e(fake_, settings_);
  CycleOptions o;
  o.consent_missing = "";
  o.force = true;
  CycleResult r = e.RunCycle(o);
  EXPECT_EQ(fake_.CountCalls("esxcli network ip interface tag add -i vmk2"), 1u);
  EXPECT_TRUE(r.blockers.empty());
  EXPECT_THAT(Codes(r), Not(Contains(codes::kPlannedTagAdd)));
}

TEST_F(CycleTest, ReadOnlyCyclePlansButDoesNotApply) {
  ScriptReads();
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e, /*allow_changes=*/false);
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
  ASSERT_EQ(r.planned.size(), 1u);
  EXPECT_EQ(r.planned[0].vmknic, "vmk2");
  EXPECT_FALSE(r.ready);
}

TEST_F(CycleTest, RefusesVmk0) {
  settings_.selector = Selector::ByName("vmk0");
  ScriptReads();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Codes(r), Contains(codes::kBackupVmkIsVmk0));
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
  EXPECT_TRUE(r.planned.empty());
  EXPECT_FALSE(r.ready);
}

TEST_F(CycleTest, RefusesVmknicOnVmotionStack) {
  settings_.selector = Selector::ByName("vmk1");
  ScriptReads();
  fake_.Script("vmkping -I vmk1 -c 3 -W 1 -d -s 8972 10.99.0.100", "");
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Codes(r), Contains(codes::kWrongNetstack));
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
  EXPECT_FALSE(r.ready);
}

TEST_F(CycleTest, BackupSelectedByPortgroupAndSubnet) {
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads();
  ScriptPingOk();
  settings_.selector = Selector::ByPortgroup("Backup NFC");
  CycleEngine by_pg(fake_, settings_);
  EXPECT_EQ(Run(by_pg).report.backup_vmknic(), "vmk2");
  settings_.selector = *Selector::BySubnet("10.99.0.0/24");
  CycleEngine by_subnet(fake_, settings_);
  EXPECT_EQ(Run(by_subnet).report.backup_vmknic(), "vmk2");
  settings_.selector = Selector::ByPortgroup("Nope");
  CycleEngine none(fake_, settings_);
  CycleResult r = Run(none);
  EXPECT_THAT(Codes(r), Contains(codes::kBackupVmkNotFound));
  EXPECT_FALSE(r.ready);
}

TEST_F(CycleTest, ExclusiveRemovesTheTagElsewhereOnly) {
  vmks_.push_back({"vmk3",
                   "10.96.0.11",
                   kDefaultNetstack,
                   1500,
                   {"VSAN", kNfcTag},
                   "vSAN",
                   "00:50:56:00:00:03"});
  Vmk("vmk2").tags = {kNfcTag};
  settings_.exclusive = true;
  ScriptReads();
  ScriptTagsAfterChange("localcli", "vmk3", {"VSAN"});
  fake_.Script("esxcli network ip interface tag remove -i vmk3 -t vSphereBackupNFC", "");
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_EQ(fake_.CountCalls("esxcli network ip interface tag remove -i vmk3 -t vSphereBackupNFC"),
            1u);
  EXPECT_EQ(fake_.CountCalls("esxcli network ip interface tag add"), 0u);
  EXPECT_TRUE(r.ready) << CycleResultText(r);
  // VSAN stays.
  const VmknicInfo* v3 = r.state.Find("vmk3");
  ASSERT_TRUE(v3 && v3->tags);
  EXPECT_EQ(*v3->tags, std::vector<std::string>{"VSAN"});
  // A second cycle changes nothing.
  fake_.ClearCalls();
  CycleResult again = Run(e);
  EXPECT_EQ(again.report.changes_size(), 0);
}

// Switch and VLAN of every vmknic (issue 14's own-layer-2 check needs them on the proxy).
TEST_F(CycleTest, SwitchAndVlanOfEveryVmknicArriveInTheReportWithinSixLaunches) {
  l2_["vmk1"].vlan = 20;
  l2_["vmk2"].vlan = 120;
  l2_["vmk2"].portset = "vSwitch1";
  vmks_.push_back({"vmk3", "10.96.0.11", "vmotion", 1500, {}, "dvpg-vsan", "00:50:56:00:00:03"});
  l2_["vmk3"].vds = "dvs1";
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads();
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult first = Run(e);
  EXPECT_TRUE(first.ready) << CycleResultText(first);
  CycleResult second = Run(e);
  EXPECT_TRUE(second.ready) << CycleResultText(second);
  EXPECT_LE(second.report.command_launches(), 6u);
  EXPECT_EQ(fake_.CountCalls("localcli network vswitch standard portgroup list"), 1u);
  for (const CycleResult* r : {&first, &second}) {
    ASSERT_EQ(r->report.vmknics_size(), 4);
    const proto::Vmknic& vmk0 = r->report.vmknics(0);
    EXPECT_EQ(vmk0.switch_name(), "vSwitch0");
    EXPECT_FALSE(vmk0.on_vds());
    EXPECT_TRUE(vmk0.vlan_known());
    EXPECT_EQ(vmk0.vlan_id(), 0u);
    EXPECT_EQ(r->report.vmknics(1).vlan_id(), 20u);
    EXPECT_TRUE(r->report.vmknics(1).vlan_known());
    const proto::Vmknic& vmk2 = r->report.vmknics(2);
    EXPECT_EQ(vmk2.switch_name(), "vSwitch1");
    EXPECT_TRUE(vmk2.vlan_known());
    EXPECT_EQ(vmk2.vlan_id(), 120u);
    const proto::Vmknic& vmk3 = r->report.vmknics(3);
    EXPECT_EQ(vmk3.switch_name(), "dvs1");
    EXPECT_TRUE(vmk3.on_vds());
    EXPECT_FALSE(vmk3.vlan_known());
  }
  nlohmann::json j = nlohmann::json::parse(CycleResultJson(second));
  EXPECT_EQ(j["vmknics"][2]["vlan_id"], 120);
  EXPECT_EQ(j["vmknics"][3]["switch_name"], "dvs1");
}

TEST_F(CycleTest, PortgroupListIsReReadWhenAVmknicMovesAndEveryRescan) {
  settings_.tag_rescan_cycles = 4;
  Vmk("vmk2").tags = {kNfcTag};
  l2_["vmk2"].vlan = 120;
  ScriptReads();
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  Run(e);
  Run(e);
  EXPECT_EQ(fake_.CountCalls("localcli network vswitch standard portgroup list"), 1u);
  // vmk2 moves to another portgroup: the interface list shows it, the next cycle re-reads.
  Vmk("vmk2").portgroup = "Backup NFC 2";
  l2_["vmk2"].vlan = 130;
  ScriptReads();
  CycleResult moved = Run(e);
  EXPECT_EQ(fake_.CountCalls("localcli network vswitch standard portgroup list"), 2u);
  EXPECT_EQ(moved.report.vmknics(2).vlan_id(), 130u);
  // A VLAN edited on the portgroup alone is not in the interface list: seen at the rescan.
  l2_["vmk2"].vlan = 140;
  ScriptReads();
  CycleResult cycle4 = Run(e);  // cycles_ % 4 == 0
  EXPECT_EQ(fake_.CountCalls("localcli network vswitch standard portgroup list"), 3u);
  EXPECT_EQ(cycle4.report.vmknics(2).vlan_id(), 140u);
  Run(e);
  EXPECT_EQ(fake_.CountCalls("localcli network vswitch standard portgroup list"), 3u);
}

TEST_F(CycleTest, FailedPortgroupReadLeavesVlansUnknownWithoutBlocking) {
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads();
  ScriptPingOk();
  fake_.Clear("localcli network vswitch standard portgroup list");
  fake_.Script("localcli network vswitch standard portgroup list",
               "Name  Virtual Switch  VLAN ID\n----  --------------  -------\nA     vSwitch0   "
               "       x\n");
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_TRUE(r.ready) << CycleResultText(r);
  bool found = false;
  for (const Finding& f : r.findings) {
    if (f.code == codes::kParseError) {
      found = true;
      EXPECT_FALSE(f.blocking);
      EXPECT_THAT(f.detail, HasSubstr("esxcli network vswitch standard portgroup list: line 3"));
      EXPECT_THAT(f.detail, HasSubstr("VLAN of every vmknic stays unknown"));
    }
  }
  EXPECT_TRUE(found) << CycleResultText(r);
  for (const proto::Vmknic& v : r.report.vmknics()) {
    EXPECT_FALSE(v.vlan_known()) << v.name();
    EXPECT_EQ(v.switch_name(), "vSwitch0") << v.name();  // the interface list still says it
  }
  // Not retried every cycle (the budget): the next cycle keeps the VLANs unknown.
  CycleResult next = Run(e);
  EXPECT_LE(next.report.command_launches(), 6u);
  EXPECT_FALSE(next.report.vmknics(0).vlan_known());
}

TEST_F(CycleTest, WithoutExclusiveAnotherTaggedVmknicIsOnlyReported) {
  vmks_.push_back(
      {"vmk3", "10.96.0.11", kDefaultNetstack, 1500, {kNfcTag}, "vSAN", "00:50:56:00:00:03"});
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads();
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
  EXPECT_THAT(Codes(r), Contains(codes::kTagOnOtherVmknic));
}

TEST_F(CycleTest, HostdCheckReadsTheBackupTagsThroughEsxcliWithinSixLaunches) {
  settings_.hostd_check = true;
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads("localcli");
  fake_.Script("esxcli network ip interface tag get -i vmk2", TagsText({kNfcTag}));
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  Run(e);
  CycleResult second = Run(e);
  EXPECT_TRUE(second.ready) << CycleResultText(second);
  EXPECT_LE(second.report.command_launches(), 6u);
  EXPECT_EQ(fake_.CountCalls("esxcli network ip interface tag get -i vmk2"), 2u);
  EXPECT_EQ(fake_.CountCalls("localcli network ip interface tag get -i vmk2"), 0u);
  EXPECT_TRUE(second.report.hostd_available());
  EXPECT_THAT(Codes(second), Not(Contains(codes::kHostdDown)));
}

TEST_F(CycleTest, HostdCheckNoticesAStoppedHostdWithoutAnyChangeToMake) {
  settings_.hostd_check = true;
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads("localcli");
  fake_.Script("esxcli network ip interface tag get -i vmk2", "", 1, "Connection failed\n");
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_FALSE(r.report.hostd_available());
  EXPECT_THAT(Codes(r), Contains(codes::kHostdDown));
  EXPECT_EQ(r.report.changes_size(), 0);
  EXPECT_EQ(r.report.nfc_vmknic(), "vmk2");  // the tags were read through localcli instead
  EXPECT_EQ(fake_.CountCalls("localcli network ip interface tag get -i vmk2"), 1u);
}

TEST_F(CycleTest, HostdDownFallsBackToLocalcli) {
  settings_.read_cli = "esxcli";
  ScriptReads("localcli");
  ScriptTagsAfterChange("localcli", "vmk2", {kNfcTag});
  for (const char* c :
       {"esxcli system version get", "esxcli network ip netstack list",
        "esxcli network ip interface list", "esxcli network ip interface ipv4 get",
        "esxcli network ip interface tag get -i vmk0",
        "esxcli network ip interface tag get -i vmk2", "esxcli network ip neighbor list",
        "esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC"}) {
    fake_.Script(c, "", 1, "Connection failed\n");
  }
  fake_.Script("localcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "");
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_EQ(fake_.CountCalls("localcli network ip interface tag add -i vmk2"), 1u);
  EXPECT_FALSE(r.report.hostd_available());
  EXPECT_THAT(Codes(r), Contains(codes::kHostdDown));
  ASSERT_EQ(r.report.changes_size(), 1);
  EXPECT_TRUE(r.report.changes(0).ok());
  EXPECT_TRUE(r.ready) << CycleResultText(r);  // HOSTD_DOWN is not blocking
}

TEST_F(CycleTest, GarbledOutputGivesAPreciseErrorAndNoChange) {
  ScriptReads();
  fake_.Clear("localcli network ip interface list");
  fake_.Script("localcli network ip interface list",
               "vmk0\n   Name: vmk0\n   MTU: 1500\n\x01\x02garbage without colon\n");
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
  EXPECT_FALSE(r.ready);
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [](const Finding& f) { return f.code == codes::kParseError; });
  ASSERT_NE(it, r.findings.end());
  EXPECT_THAT(it->detail, HasSubstr("esxcli network ip interface list: line 4"));
  EXPECT_THAT(it->evidence, HasSubstr("$ localcli network ip interface list"));
}

TEST_F(CycleTest, TagChangeThatDoesNotStickIsReported) {
  ScriptReads();  // tag get keeps answering "no tag"
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "");
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Codes(r), Contains(codes::kTagVerifyFailed));
  EXPECT_FALSE(r.ready);
}

TEST_F(CycleTest, FailedTagAddIsReported) {
  ScriptReads();
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC",
               "Error: Unable to add tag\n", 1);
  fake_.Script("localcli network ip interface tag add -i vmk2 -t vSphereBackupNFC",
               "Error: Unable to add tag\n", 1);
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  ASSERT_EQ(r.report.changes_size(), 1);
  EXPECT_FALSE(r.report.changes(0).ok());
  EXPECT_THAT(Codes(r), Contains(codes::kTagChangeFailed));
  EXPECT_FALSE(r.ready);
}

TEST_F(CycleTest, ProxyOutsideSubnetIsNotL2AdjacentAndNotPinged) {
  Vmk("vmk2").tags = {kNfcTag};
  settings_.probes = {ProbeAddress{"10.50.0.100", 0, "config"}};
  ScriptReads();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Codes(r), Contains(codes::kNotL2Adjacent));
  EXPECT_EQ(fake_.CountCalls("vmkping"), 0u);
  ASSERT_EQ(r.report.checks_size(), 1);
  EXPECT_FALSE(r.report.checks(0).in_subnet());
  EXPECT_FALSE(r.ready);
}

TEST_F(CycleTest, MtuMismatchFindsTheLargestPassingPayload) {
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads();
  ScriptPingDead();
  fake_.Clear("vmkping -I vmk2 -c 3 -W 1 10.99.0.100");
  fake_.Script("vmkping -I vmk2 -c 3 -W 1 10.99.0.100", PingText("10.99.0.100", 56, 3, 3));
  // The path carries 1500-byte frames only: payloads up to 1472 pass.
  for (int size : {1472, 5222, 3347, 2409, 1940, 1706, 1589, 1530, 1501, 1486, 1479, 1475}) {
    bool pass = size <= 1472;
    fake_.Script("vmkping -I vmk2 -c 1 -W 1 -d -s " + std::to_string(size) + " 10.99.0.100",
                 PingText("10.99.0.100", size, 1, pass ? 1 : 0, !pass), pass ? 0 : 1);
  }
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Codes(r), Contains(codes::kMtuMismatch));
  ASSERT_EQ(r.report.checks_size(), 1);
  const proto::L2Check& c = r.report.checks(0);
  EXPECT_FALSE(c.df_at_mtu_ok());
  EXPECT_EQ(c.ping_received(), 3u);
  EXPECT_EQ(c.largest_df_payload(), 1472u);
  EXPECT_TRUE(r.ready) << CycleResultText(r);  // degraded, still isolated
}

TEST_F(CycleTest, UnreachableProxy) {
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads();
  ScriptPingDead();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Codes(r), Contains(codes::kProxyUnreachable));
  EXPECT_FALSE(r.ready);
}

TEST_F(CycleTest, NoProxyAddressCannotBeReady) {
  Vmk("vmk2").tags = {kNfcTag};
  settings_.probes.clear();
  ScriptReads();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Codes(r), Contains(codes::kNoProxyAddress));
  EXPECT_FALSE(r.ready);
  // A ProbeRequest target is used like a configured one.
  CycleOptions o;
  o.extra_probes = {ProbeAddress{"10.99.0.100", 9000, "proxy01"}};
  ScriptPingOk();
  CycleResult with = e.RunCycle(o);
  EXPECT_TRUE(with.ready) << CycleResultText(with);
}

TEST_F(CycleTest, FailoverMovesTheTagAfterKBadCyclesAndBackAfterKGood) {
  Vmk("vmk2").tags = {kNfcTag};
  settings_.failover = true;
  settings_.failover_cycles = 2;
  ScriptReads();
  ScriptPingDead();
  CycleEngine e(fake_, settings_);
  CycleResult c1 = Run(e);
  EXPECT_EQ(c1.report.changes_size(), 0);
  EXPECT_FALSE(c1.report.failover_active());
  // Second bad cycle: move. The read-back shows the new placement.
  fake_.Script("esxcli network ip interface tag add -i vmk0 -t vSphereBackupNFC", "");
  fake_.Script("esxcli network ip interface tag remove -i vmk2 -t vSphereBackupNFC", "");
  fake_.Clear("localcli network ip interface tag get -i vmk0");
  fake_.Script("localcli network ip interface tag get -i vmk0", TagsText({"Management"}));
  fake_.Script("localcli network ip interface tag get -i vmk0", TagsText({"Management", kNfcTag}));
  fake_.Clear("localcli network ip interface tag get -i vmk2");
  fake_.Script("localcli network ip interface tag get -i vmk2", TagsText({kNfcTag}));
  fake_.Script("localcli network ip interface tag get -i vmk2", TagsText({}));
  CycleResult c2 = Run(e);
  EXPECT_TRUE(c2.report.failover_active());
  ASSERT_EQ(c2.report.changes_size(), 2) << CycleResultText(c2);
  EXPECT_EQ(c2.report.changes(0).vmknic(), "vmk0");
  EXPECT_EQ(c2.report.changes(0).action(), "add");
  EXPECT_EQ(c2.report.changes(1).vmknic(), "vmk2");
  EXPECT_EQ(c2.report.changes(1).action(), "remove");
  EXPECT_EQ(c2.report.nfc_address(), "10.98.0.11");
  EXPECT_THAT(Codes(c2), Contains(codes::kFailoverActive));
  EXPECT_THAT(Codes(c2), Not(Contains(codes::kTagOnManagement)));
  // Still bad: stays, nothing more to do.
  CycleResult c3 = Run(e);
  EXPECT_TRUE(c3.report.failover_active());
  EXPECT_EQ(c3.report.changes_size(), 0);
  // Proxy comes back: after 2 good cycles the tag moves back.
  fake_.Clear("vmkping -I vmk2 -c 3 -W 1 -d -s 8972 10.99.0.100");
  ScriptPingOk();
  CycleResult c4 = Run(e);
  EXPECT_TRUE(c4.report.failover_active());
  EXPECT_EQ(c4.report.changes_size(), 0);
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "");
  fake_.Script("esxcli network ip interface tag remove -i vmk0 -t vSphereBackupNFC", "");
  fake_.Script("localcli network ip interface tag get -i vmk0", TagsText({"Management"}));
  fake_.Script("localcli network ip interface tag get -i vmk2", TagsText({kNfcTag}));
  CycleResult c5 = Run(e);
  EXPECT_FALSE(c5.report.failover_active());
  ASSERT_EQ(c5.report.changes_size(), 2) << CycleResultText(c5);
  EXPECT_EQ(c5.report.changes(0).vmknic(), "vmk2");
  EXPECT_EQ(c5.report.changes(0).action(), "add");
  EXPECT_EQ(c5.report.changes(1).vmknic(), "vmk0");
  EXPECT_EQ(c5.report.changes(1).action(), "remove");
  EXPECT_TRUE(c5.ready) << CycleResultText(c5);
}

TEST_F(CycleTest, XmlFormatterEndToEnd) {
  settings_.format = Format::kXml;
  settings_.probes.clear();
  fake_.Script("localcli --formatter=xml system version get",
               "<output><root><structure typeName=\"VersionGet\"><field name=\"Product\">"
               "<string>VMware ESXi</string></field><field name=\"Version\"><string>8.0.3</string>"
               "</field></structure></root></output>");
  fake_.Script("localcli --formatter=xml network ip netstack list",
               "<output><root><list type=\"structure\"><structure><field name=\"Key\"><string>"
               "defaultTcpipStack</string></field></structure></list></root></output>");
  fake_.Script("localcli --formatter=xml network ip interface list",
               "<output><root><list type=\"structure\"><structure typeName=\"NetworkInterface\">"
               "<field name=\"Enabled\"><boolean>true</boolean></field>"
               "<field name=\"MTU\"><integer>1500</integer></field>"
               "<field name=\"Name\"><string>vmk2</string></field>"
               "<field name=\"NetstackInstance\"><string>defaultTcpipStack</string></field>"
               "</structure></list></root></output>");
  fake_.Script("localcli --formatter=xml network ip interface ipv4 get",
               "<output><root><list type=\"structure\"><structure typeName=\"IPv4Interface\">"
               "<field name=\"IPv4Address\"><string>10.99.0.11</string></field>"
               "<field name=\"IPv4Netmask\"><string>255.255.255.0</string></field>"
               "<field name=\"Name\"><string>vmk2</string></field>"
               "</structure></list></root></output>");
  fake_.Script("localcli --formatter=xml network ip interface tag get -i vmk2",
               "<output><root><structure typeName=\"TagGet\"><field name=\"Tags\"><list "
               "type=\"string\"><string>vSphereBackupNFC</string></list></field></structure>"
               "</root></output>");
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  EXPECT_EQ(r.report.nfc_vmknic(), "vmk2");
  EXPECT_EQ(r.report.nfc_address(), "10.99.0.11");
  EXPECT_EQ(r.report.vmknics_size(), 1);
  EXPECT_EQ(r.report.vmknics(0).ipv4().prefix_length(), 24u);
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
}

TEST_F(CycleTest, JsonAndTextRenderings) {
  Vmk("vmk2").tags = {kNfcTag};
  ScriptReads();
  ScriptPingOk();
  CycleEngine e(fake_, settings_);
  CycleResult r = Run(e);
  auto j = nlohmann::json::parse(CycleResultJson(r));
  EXPECT_EQ(j["ready"], true);
  EXPECT_EQ(j["nfc_address"], "10.99.0.11");
  EXPECT_EQ(j["checks"][0]["neighbor_mac"], "00:11:22:33:44:55");
  EXPECT_EQ(j["vmknics"][2]["tags"][0], kNfcTag);
  EXPECT_THAT(CycleResultText(r), HasSubstr("READY for isolated NBD"));
}

}  // namespace
}  // namespace bnfc::hostagent
