// Each phase of the host-agent cycle on its own (cycle_test.cpp runs them together).
#include "hostagent/cycle_phases.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_esxcli.h"

namespace bnfc::hostagent {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> Codes(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) {
    out.push_back(f.code);
  }
  return out;
}

EngineSettings Settings() {
  EngineSettings s;
  s.host_id = "esx01";
  s.selector = Selector::ByName("vmk2");
  s.format = Format::kText;
  s.hostd_check = false;
  s.probes = {ProbeAddress{"10.99.0.100", 9000, "config"}};
  return s;
}

// A vmknic as the readers would have built it (tags unset: not read).
VmknicInfo Vmknic(const std::string& name, const std::string& ip, int mtu = 1500,
                  const std::string& netstack = kDefaultNetstack) {
  VmknicInfo v;
  v.name = name;
  v.netstack = netstack;
  v.mtu = mtu;
  v.enabled = true;
  v.mac = "00:50:56:00:00:0" + name.substr(3);
  if (!ip.empty()) {
    v.ipv4 = Ipv4Config{ip, "255.255.255.0", 24, std::nullopt, "STATIC"};
  }
  return v;
}

// vmk0 management (tagged), vmk2 the backup vmknic with `backup_tags`.
HostState TwoVmknics(std::vector<std::string> backup_tags) {
  HostState st;
  st.vmknics = {Vmknic("vmk0", "10.98.0.11"), Vmknic("vmk2", "10.99.0.11", 9000)};
  st.vmknics[0].tags = std::vector<std::string>{"Management"};
  st.vmknics[1].tags = std::move(backup_tags);
  return st;
}

class PhaseTest : public ::testing::Test {
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
             {"vmk2", "10.99.0.11", kDefaultNetstack, 9000, {}, "Backup NFC", "00:50:56:00:00:02"},
             {"vmk3", "10.96.0.11", kDefaultNetstack, 1500, {}, "Spare", "00:50:56:00:00:03"}};
  }
  void ScriptReads() { ScriptHostReads(fake_, vmks_, l2_); }

  std::vector<FakeVmk> vmks_;
  FakeL2Map l2_;
  EngineSettings s_ = Settings();
  FakeCommandRunner fake_;
  HostCli cli_{fake_, s_};
  std::vector<Finding> findings_;
};

// --- HostCli ---

TEST_F(PhaseTest, CliReadThroughHostdFallsBackToLocalcliAndReportsHostdDownOncePerCycle) {
  fake_.Script("esxcli network ip interface tag get -i vmk2", "", 1, "Connection failed");
  fake_.Script("localcli network ip interface tag get -i vmk2", TagsText({kNfcTag}));
  std::string evidence;
  HostCli::Read r = cli_.RunRead({"network", "ip", "interface", "tag", "get", "-i", "vmk2"},
                                 &findings_, &evidence, /*through_hostd=*/true);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.cli, "localcli");
  EXPECT_FALSE(cli_.hostd_available());
  ASSERT_THAT(Codes(findings_), ElementsAre(codes::kHostdDown));
  EXPECT_THAT(findings_[0].detail, HasSubstr("Connection failed"));
  EXPECT_FALSE(findings_[0].blocking);
  // A second fallback in the same cycle says nothing new; a new cycle starts with hostd up.
  cli_.RunRead({"network", "ip", "interface", "tag", "get", "-i", "vmk2"}, &findings_, &evidence,
               true);
  EXPECT_EQ(findings_.size(), 1u);
  cli_.BeginCycle();
  EXPECT_TRUE(cli_.hostd_available());
  EXPECT_EQ(cli_.launches(), 4u);
}

TEST_F(PhaseTest, CliReadThatFailsEverywhereIsABlockingCommandFailedWithEvidence) {
  fake_.Script("localcli network ip interface list", "", 1, "boom");
  std::string evidence;
  HostCli::Read r =
      cli_.RunRead({"network", "ip", "interface", "list"}, &findings_, &evidence, false);
  EXPECT_FALSE(r.ok);
  ASSERT_THAT(Codes(findings_), ElementsAre(codes::kCommandFailed));
  EXPECT_TRUE(findings_[0].blocking);
  EXPECT_THAT(findings_[0].evidence, HasSubstr("$ localcli network ip interface list"));
  EXPECT_THAT(findings_[0].evidence, HasSubstr("[exit 1]"));
  EXPECT_TRUE(cli_.hostd_available());  // read_cli == fallback_cli: nothing to fall back to
}

TEST_F(PhaseTest, CliParseErrorKeepsTheCommandOutputAsEvidence) {
  fake_.Script("localcli system version get", "<<not esxcli output>>\n");
  auto v =
      cli_.ReadParsed<VersionInfo>({"system", "version", "get"}, ParseSystemVersion, &findings_);
  EXPECT_FALSE(v.has_value());
  ASSERT_THAT(Codes(findings_), ElementsAre(codes::kParseError));
  EXPECT_THAT(findings_[0].evidence, HasSubstr("<<not esxcli output>>"));
}

TEST_F(PhaseTest, CliChangeTagTouchesOnlyTheNfcTagAndTreatsAnEsxcliErrorAsFailure) {
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC",
               "Error: Unable to add tag\n");
  fake_.Script("localcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "", 1);
  std::string evidence;
  EXPECT_FALSE(cli_.ChangeTag(TagAction{"vmk2", true, "test"}, &findings_, &evidence));
  ASSERT_THAT(Codes(findings_), ElementsAre(codes::kTagChangeFailed));
  EXPECT_THAT(findings_[0].detail, HasSubstr("cannot add vSphereBackupNFC to vmk2"));
  EXPECT_EQ(fake_.calls().size(), 2u);
  for (const std::string& c : fake_.calls()) {
    EXPECT_THAT(c, HasSubstr("-i vmk2 -t vSphereBackupNFC"));
  }
}

// --- HostReader ---

TEST_F(PhaseTest, ReaderReadsVersionAndNetstacksOnceAndMergesVmknics) {
  ScriptReads();
  l2_["vmk2"].vlan = 99;
  fake_.Clear("localcli network vswitch standard portgroup list");
  fake_.Script("localcli network vswitch standard portgroup list", PortgroupText(vmks_, l2_));
  HostReader reader;
  HostReader::Result first = reader.Read(cli_, s_, 1, &findings_);
  ASSERT_TRUE(first.ok);
  EXPECT_TRUE(findings_.empty()) << findings_[0].detail;
  EXPECT_EQ(first.state.version.version.value_or(""), "8.0.3");
  EXPECT_THAT(first.state.netstacks, ElementsAre("defaultTcpipStack", "vmotion"));
  ASSERT_EQ(first.state.vmknics.size(), 4u);
  const VmknicInfo* vmk2 = first.state.Find("vmk2");
  ASSERT_TRUE(vmk2 && vmk2->ipv4);
  EXPECT_EQ(vmk2->ipv4->address, "10.99.0.11");
  EXPECT_EQ(vmk2->vlan_id.value_or(-1), 99);
  EXPECT_FALSE(vmk2->tags.has_value());  // tags are the next phase's
  HostReader::Result second = reader.Read(cli_, s_, 2, &findings_);
  EXPECT_TRUE(second.ok);
  EXPECT_EQ(second.state.version.version.value_or(""), "8.0.3");  // from the cache
  EXPECT_EQ(fake_.CountCalls("localcli system version get"), 1u);
  EXPECT_EQ(fake_.CountCalls("localcli network ip netstack list"), 1u);
  // Same layout, no rescan due: the portgroup list is not read again, the VLAN stays known.
  EXPECT_EQ(fake_.CountCalls("localcli network vswitch standard portgroup list"), 1u);
  EXPECT_EQ(second.state.Find("vmk2")->vlan_id.value_or(-1), 99);
}

TEST_F(PhaseTest, ReaderWithoutIpv4SettingsIsNotOk) {
  ScriptReads();
  fake_.Clear("localcli network ip interface ipv4 get");
  fake_.Script("localcli network ip interface ipv4 get", "", 1, "no");
  HostReader reader;
  HostReader::Result r = reader.Read(cli_, s_, 1, &findings_);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(Codes(findings_), Contains(codes::kCommandFailed));
  EXPECT_EQ(r.state.vmknics.size(), 4u);  // the interface list still arrives
}

// --- TagReader ---

TEST_F(PhaseTest, TagReaderReadsEveryDefaultStackVmknicOnRescansAndOnlyCandidatesBetween) {
  ScriptReads();
  s_.tag_rescan_cycles = 3;
  HostReader reader;
  TagReader tags;
  Selection sel{"vmk2", std::nullopt};
  for (uint64_t cycle = 1; cycle <= 3; ++cycle) {
    fake_.ClearCalls();
    HostState st = reader.Read(cli_, s_, cycle, &findings_).state;
    EXPECT_TRUE(tags.Read(cli_, s_, cycle, sel, &st, &findings_));
    const size_t vmk3_reads = fake_.CountCalls("localcli network ip interface tag get -i vmk3");
    EXPECT_EQ(vmk3_reads, cycle == 2 ? 0u : 1u) << "cycle " << cycle;
    EXPECT_EQ(fake_.CountCalls("localcli network ip interface tag get -i vmk0"), 1u);
    EXPECT_EQ(fake_.CountCalls("localcli network ip interface tag get -i vmk2"), 1u);
    // vmotion stack: never read, so its tags stay unknown.
    EXPECT_EQ(fake_.CountCalls("localcli network ip interface tag get -i vmk1"), 0u);
    EXPECT_FALSE(st.Find("vmk1")->tags.has_value());
    // Between rescans vmk3's tags come from the cache.
    ASSERT_TRUE(st.Find("vmk3")->tags.has_value()) << "cycle " << cycle;
    EXPECT_THAT(*st.Find("vmk0")->tags, ElementsAre("Management"));
  }
  EXPECT_TRUE(findings_.empty());
}

TEST_F(PhaseTest, TagReaderReportsWhetherTheBackupTagsWereRead) {
  ScriptReads();
  fake_.Clear("localcli network ip interface tag get -i vmk2");
  fake_.Script("localcli network ip interface tag get -i vmk2", "", 1);
  HostReader reader;
  TagReader tags;
  HostState st = reader.Read(cli_, s_, 1, &findings_).state;
  EXPECT_FALSE(tags.Read(cli_, s_, 1, Selection{"vmk2", std::nullopt}, &st, &findings_));
  EXPECT_FALSE(st.Find("vmk2")->tags.has_value());
  EXPECT_THAT(Codes(findings_), Contains(codes::kCommandFailed));
}

// --- ValidateCycle ---

TEST(ValidateCycle, AValidBackupVmknicWithReadTagsIsValid) {
  HostState st = TwoVmknics({});
  proto::HostReport rep;
  std::vector<Finding> findings;
  Validation v = ValidateCycle(st, Selection{"vmk2", std::nullopt}, true, true, &rep, &findings);
  EXPECT_TRUE(v.valid);
  EXPECT_EQ(v.management, "vmk0");
  EXPECT_EQ(rep.management_vmknic(), "vmk0");
  EXPECT_EQ(rep.management_address(), "10.98.0.11");
  EXPECT_EQ(rep.backup_vmknic(), "vmk2");
  EXPECT_TRUE(findings.empty());
  // Unread tags: not valid, and nothing to say beyond the read's own finding.
  Validation unread =
      ValidateCycle(st, Selection{"vmk2", std::nullopt}, true, false, &rep, &findings);
  EXPECT_FALSE(unread.valid);
  EXPECT_TRUE(findings.empty());
}

TEST(ValidateCycle, Vmk0IsRefusedAndASelectionFindingIsPassedOn) {
  HostState st = TwoVmknics({});
  proto::HostReport rep;
  std::vector<Finding> findings;
  Validation v = ValidateCycle(st, Selection{"vmk0", std::nullopt}, true, true, &rep, &findings);
  EXPECT_FALSE(v.valid);
  EXPECT_THAT(Codes(findings), Contains(codes::kBackupVmkIsVmk0));

  proto::HostReport none;
  findings.clear();
  Finding missing = MakeFinding(codes::kBackupVmkNotFound, "no vmknic", true);
  Validation w = ValidateCycle(st, Selection{"", missing}, true, true, &none, &findings);
  EXPECT_FALSE(w.valid);
  EXPECT_THAT(Codes(findings), ElementsAre(codes::kBackupVmkNotFound));
  EXPECT_EQ(none.backup_vmknic(), "");
  // Without the host's state nothing is judged.
  findings.clear();
  EXPECT_FALSE(
      ValidateCycle(st, Selection{"vmk2", std::nullopt}, false, true, &none, &findings).valid);
  EXPECT_TRUE(findings.empty());
}

// --- ProbePhase ---

TEST(MergeProbes, ConfiguredFirstThenRequestedWithoutDuplicates) {
  auto merged = MergeProbes({{"10.99.0.100", 9000, "config"}},
                            {{"10.99.0.100", 1500, "p1"}, {"10.99.0.101", 1500, "p1"}});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].source, "config");
  EXPECT_EQ(merged[1].address, "10.99.0.101");
}

TEST_F(PhaseTest, ProbeOkPingsOnceAtTheMtuAndReadsTheNeighborMac) {
  fake_.Script("vmkping -I vmk2 -c 3 -W 1 -d -s 8972 10.99.0.100",
               PingText("10.99.0.100", 8972, 3, 3));
  fake_.Script("localcli network ip neighbor list", kNeighbors);
  VmknicInfo backup = Vmknic("vmk2", "10.99.0.11", 9000);
  ProbePhase::Result r = ProbePhase::Run(cli_, s_, &backup, s_.probes, &findings_);
  EXPECT_EQ(r.health, CycleHealth::kGood);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_TRUE(r.checks[0].df_at_mtu_ok());
  EXPECT_EQ(r.checks[0].largest_df_payload(), 8972u);
  EXPECT_EQ(r.checks[0].neighbor_mac(), "00:11:22:33:44:55");
  ASSERT_TRUE(r.neighbors.has_value());
  EXPECT_EQ(fake_.calls().size(), 2u);
  EXPECT_TRUE(findings_.empty());
}

TEST_F(PhaseTest, ProbeOutsideTheSubnetSendsNoPingAndCountsAsBad) {
  VmknicInfo backup = Vmknic("vmk2", "10.99.0.11", 9000);
  ProbePhase::Result r =
      ProbePhase::Run(cli_, s_, &backup, {{"10.55.0.1", 9000, "config"}}, &findings_);
  EXPECT_EQ(fake_.calls().size(), 0u);
  EXPECT_EQ(r.health, CycleHealth::kBad);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_FALSE(r.checks[0].in_subnet());
  EXPECT_FALSE(r.neighbors.has_value());
  EXPECT_THAT(Codes(findings_), ElementsAre(codes::kNotL2Adjacent));
}

TEST_F(PhaseTest, ProbeWithAFailingDfPingBisectsTheLargestPassingPayload) {
  fake_.Script("vmkping -I vmk2 -c 3 -W 1 -d -s 8972 10.99.0.100",
               PingText("10.99.0.100", 8972, 3, 0, true), 1);
  fake_.Script("vmkping -I vmk2 -c 3 -W 1 10.99.0.100", PingText("10.99.0.100", 56, 3, 3));
  // The path carries 1500-byte packets: DF payloads up to 1472 pass.
  for (int p = 1; p < 8972; ++p) {
    const bool passes = p <= 1472;
    fake_.Script("vmkping -I vmk2 -c 1 -W 1 -d -s " + std::to_string(p) + " 10.99.0.100",
                 PingText("10.99.0.100", p, 1, passes ? 1 : 0, !passes), passes ? 0 : 1);
  }
  fake_.Script("localcli network ip neighbor list", kNeighbors);
  VmknicInfo backup = Vmknic("vmk2", "10.99.0.11", 9000);
  ProbePhase::Result r = ProbePhase::Run(cli_, s_, &backup, s_.probes, &findings_);
  EXPECT_EQ(r.health, CycleHealth::kGood);  // reachable, though not at the MTU
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_FALSE(r.checks[0].df_at_mtu_ok());
  EXPECT_EQ(r.checks[0].largest_df_payload(), 1472u);
  EXPECT_THAT(Codes(findings_), ElementsAre(codes::kMtuMismatch));
  EXPECT_FALSE(findings_[0].blocking);
  EXPECT_LE(fake_.CountCalls("vmkping -I vmk2 -c 1"), 6u);
}

TEST_F(PhaseTest, ProbeWithoutABackupAddressDoesNothing) {
  VmknicInfo no_ip = Vmknic("vmk2", "");
  ProbePhase::Result r = ProbePhase::Run(cli_, s_, &no_ip, s_.probes, &findings_);
  EXPECT_EQ(r.health, CycleHealth::kUnknown);
  EXPECT_TRUE(r.checks.empty());
  r = ProbePhase::Run(cli_, s_, nullptr, s_.probes, &findings_);
  EXPECT_TRUE(r.checks.empty());
  EXPECT_TRUE(findings_.empty());
  EXPECT_EQ(fake_.calls().size(), 0u);
}

// --- TagPlanner ---

proto::L2Check ProvenCheck() {
  proto::L2Check c;
  c.set_vmknic("vmk2");
  c.set_ran(true);
  c.set_in_subnet(true);
  c.set_ping_received(3);
  c.set_df_at_mtu_ok(true);
  return c;
}

TEST(TagPlanner, ConsentAndProofLetTheAddThroughObserveAndReadOnlyWithholdIt) {
  EngineSettings s = Settings();
  HostState st = TwoVmknics({});
  Selection sel{"vmk2", std::nullopt};
  Validation valid{"vmk0", true};
  std::vector<proto::L2Check> checks = {ProvenCheck()};
  CycleOptions consent;
  consent.consent_missing = "";
  std::vector<Finding> findings;
  TagPlanner planner;
  TagDecision d = planner.Decide(
      s, DecideInput{st, sel, valid, CycleHealth::kGood, checks, consent}, &findings);
  ASSERT_EQ(d.planned.size(), 1u);
  EXPECT_EQ(d.planned[0].vmknic, "vmk2");
  EXPECT_TRUE(d.planned[0].add);
  EXPECT_TRUE(d.blockers.empty());
  EXPECT_TRUE(findings.empty());

  CycleOptions read_only = consent;
  read_only.allow_changes = false;
  d = planner.Decide(s, DecideInput{st, sel, valid, CycleHealth::kGood, checks, read_only},
                     &findings);
  EXPECT_THAT(d.blockers, ElementsAre("a read-only cycle changes nothing"));
  EXPECT_THAT(Codes(findings), ElementsAre(codes::kPlannedTagAdd));

  s.policy = TagPolicy::kObserve;
  findings.clear();
  d = planner.Decide(s, DecideInput{st, sel, valid, CycleHealth::kGood, checks, consent},
                     &findings);
  EXPECT_THAT(d.blockers, Contains("tag_policy = observe"));
  EXPECT_EQ(d.planned.size(), 1u);  // still shown
  // Without proof from this cycle, ensure waits too.
  s.policy = TagPolicy::kEnsure;
  const std::vector<proto::L2Check> unproven;
  d = planner.Decide(s, DecideInput{st, sel, valid, CycleHealth::kBad, unproven, consent},
                     &findings);
  ASSERT_EQ(d.blockers.size(), 1u);
  EXPECT_THAT(d.blockers[0], HasSubstr("DF ping at the MTU from vmk2"));
}

TEST(TagPlanner, FailoverMovesAfterKBadCyclesAndReadOnlyCyclesNeverStepIt) {
  EngineSettings s = Settings();
  s.failover = true;
  s.failover_cycles = 2;
  HostState st = TwoVmknics({kNfcTag});
  Selection sel{"vmk2", std::nullopt};
  Validation valid{"vmk0", true};
  const std::vector<proto::L2Check> none;
  CycleOptions run;
  run.consent_missing = "";
  CycleOptions read_only = run;
  read_only.allow_changes = false;
  std::vector<Finding> findings;
  TagPlanner planner;
  for (int i = 0; i < 3; ++i) {
    planner.Decide(s, DecideInput{st, sel, valid, CycleHealth::kBad, none, read_only}, &findings);
  }
  EXPECT_FALSE(planner.failover().active);
  planner.Decide(s, DecideInput{st, sel, valid, CycleHealth::kBad, none, run}, &findings);
  EXPECT_FALSE(planner.failover().active);
  TagDecision d =
      planner.Decide(s, DecideInput{st, sel, valid, CycleHealth::kBad, none, run}, &findings);
  EXPECT_TRUE(planner.failover().active);
  // The move needs no proof (the path is bad): add on management, remove from the backup.
  EXPECT_TRUE(d.blockers.empty());
  EXPECT_THAT(d.planned, ElementsAre(TagAction{"vmk0", true, ""}, TagAction{"vmk2", false, ""}));
}

TEST(TagPlanner, AnUnusableFailoverTargetBlocksTheMove) {
  EngineSettings s = Settings();
  s.failover = true;
  s.failover_cycles = 1;
  HostState st = TwoVmknics({kNfcTag});
  st.vmknics[0].ipv4.reset();  // management without IPv4
  Selection sel{"vmk2", std::nullopt};
  Validation valid{"vmk0", true};
  const std::vector<proto::L2Check> none;
  CycleOptions run;
  run.consent_missing = "";
  std::vector<Finding> findings;
  TagPlanner planner;
  planner.Decide(s, DecideInput{st, sel, valid, CycleHealth::kBad, none, run}, &findings);
  EXPECT_FALSE(planner.failover().active);
  EXPECT_THAT(Codes(findings), Not(Contains(codes::kPlannedTagAdd)));
  EXPECT_FALSE(findings.empty());
}

// --- ApplyPlan ---

TEST_F(PhaseTest, ApplyRecordsTheChangeReadsItBackAndUpdatesStateAndCache) {
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "");
  fake_.Script("localcli network ip interface tag get -i vmk2", TagsText({kNfcTag}));
  HostState st = TwoVmknics({});
  TagReader tags;
  proto::HostReport rep;
  ApplyPlan(cli_, tags, {TagAction{"vmk2", true, "the backup vmknic lacks it"}}, 1234, &st, &rep,
            &findings_);
  ASSERT_EQ(rep.changes_size(), 1);
  EXPECT_TRUE(rep.changes(0).ok());
  EXPECT_EQ(rep.changes(0).at_unix_ms(), 1234);
  EXPECT_EQ(rep.changes(0).reason(), "the backup vmknic lacks it");
  EXPECT_TRUE(st.Find("vmk2")->HasTag(kNfcTag));
  EXPECT_TRUE(findings_.empty());
  // The cache holds the read-back: the next steady cycle starts from it (the host has the tag now).
  vmks_[2].tags = {kNfcTag};
  ScriptReads();
  fake_.Clear("localcli network ip interface tag get -i vmk3");
  fake_.Script("localcli network ip interface tag get -i vmk3", "", 1);
  HostReader reader;
  HostState next = reader.Read(cli_, s_, 2, &findings_).state;
  tags.Read(cli_, s_, 2, Selection{"vmk2", std::nullopt}, &next, &findings_);
  EXPECT_TRUE(next.Find("vmk2")->HasTag(kNfcTag));
}

TEST_F(PhaseTest, ApplyWhoseReadBackDoesNotShowTheChangeIsAVerifyFailure) {
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "");
  fake_.Script("localcli network ip interface tag get -i vmk2", TagsText({}));
  HostState st = TwoVmknics({});
  TagReader tags;
  proto::HostReport rep;
  ApplyPlan(cli_, tags, {TagAction{"vmk2", true, "r"}}, 0, &st, &rep, &findings_);
  EXPECT_TRUE(rep.changes(0).ok());
  ASSERT_THAT(Codes(findings_), ElementsAre(codes::kTagVerifyFailed));
  EXPECT_TRUE(findings_[0].blocking);
}

TEST_F(PhaseTest, ApplyThatFailsIsRecordedAndNotReadBack) {
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "", 1, "no");
  fake_.Script("localcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "", 1, "no");
  HostState st = TwoVmknics({});
  TagReader tags;
  proto::HostReport rep;
  ApplyPlan(cli_, tags, {TagAction{"vmk2", true, "r"}}, 0, &st, &rep, &findings_);
  ASSERT_EQ(rep.changes_size(), 1);
  EXPECT_FALSE(rep.changes(0).ok());
  EXPECT_THAT(Codes(findings_), ElementsAre(codes::kTagChangeFailed));
  EXPECT_EQ(fake_.CountCalls("localcli network ip interface tag get"), 0u);
}

// --- AssembleReport ---

TEST(AssembleReport, CarriesFactsVmknicsNfcAddressFlagsAndEveryFinding) {
  HostState st = TwoVmknics({kNfcTag});
  st.version.product = "VMware ESXi";
  st.version.version = "8.0.3";
  st.vmknics[1].vlan_id = 99;
  st.vmknics[1].portset = "vSwitch1";
  std::vector<Finding> findings = {MakeFinding(codes::kNeighborMissing, "d", false, "e")};
  proto::HostReport rep;
  AssembleReport(st, "esx01", true, false, findings, &rep);
  EXPECT_EQ(rep.host().hostname(), "esx01");
  EXPECT_EQ(rep.host().version(), "8.0.3");
  ASSERT_EQ(rep.vmknics_size(), 2);
  EXPECT_EQ(rep.vmknics(1).name(), "vmk2");
  EXPECT_EQ(rep.vmknics(1).mtu(), 9000u);
  EXPECT_TRUE(rep.vmknics(1).vlan_known());
  EXPECT_EQ(rep.vmknics(1).vlan_id(), 99u);
  EXPECT_EQ(rep.vmknics(1).switch_name(), "vSwitch1");
  EXPECT_EQ(rep.vmknics(1).ipv4().prefix_length(), 24u);
  EXPECT_THAT(rep.vmknics(1).tags(), ElementsAre(kNfcTag));
  EXPECT_FALSE(rep.vmknics(0).vlan_known());
  EXPECT_EQ(rep.nfc_vmknic(), "vmk2");
  EXPECT_EQ(rep.nfc_address(), "10.99.0.11");
  EXPECT_TRUE(rep.failover_active());
  EXPECT_FALSE(rep.hostd_available());
  ASSERT_EQ(rep.problems_size(), 1);
  EXPECT_EQ(rep.problems(0).code(), codes::kNeighborMissing);
  EXPECT_EQ(rep.problems(0).evidence(), "e");
}

TEST(MakeFinding, CapsTheEvidence) {
  Finding f = MakeFinding(codes::kCommandFailed, "d", true, std::string(10000, 'x'));
  EXPECT_LT(f.evidence.size(), 4200u);
  EXPECT_THAT(f.evidence, HasSubstr("[truncated]"));
}

}  // namespace
}  // namespace bnfc::hostagent
