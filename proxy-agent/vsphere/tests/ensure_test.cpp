// The API ensure planner: which vmknic gets vSphereBackupNFC, and the proofs it needs first.
#include "ensure.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "bnfc/log.h"

namespace bnfc::vsphere {
namespace {

proto::Vmknic* AddVmknic(VsphereHost& h, const std::string& name, const std::string& portgroup,
                         const std::string& address, uint32_t mtu) {
  proto::Vmknic* v = h.report.add_vmknics();
  v->set_name(name);
  v->set_portgroup(portgroup);
  v->mutable_ipv4()->set_address(address);
  v->set_mtu(mtu);
  return v;
}

// vmk0 management, vmk1 backup (untagged), read under ensure.
VsphereHost Host() {
  VsphereHost h;
  h.host_id = "esx1";
  h.vnic_manager = {"HostVirtualNicManager", "ha-vnicmgr"};
  h.management_selected = {"vmk0"};
  AddVmknic(h, "vmk0", "Management Network", "10.0.0.11", 1500);
  AddVmknic(h, "vmk1", "Backup NFC", "10.99.0.11", 9000);
  return h;
}

const std::vector<DfProof> kProof = {{"10.99.0.11", 9000, true}};

TEST(ApiEnsure, SelectsTheBackupVmknicOnceTheProxysDfProbeWasAnswered) {
  ApiTagPlan p = PlanApiTagChanges(Host(), "vmk1", "ensure", kProof);
  EXPECT_EQ(p.backup_vmknic, "vmk1");
  ASSERT_EQ(p.actions.size(), 1u);
  EXPECT_EQ(p.actions[0].device, "vmk1");
  EXPECT_TRUE(p.actions[0].select);
  EXPECT_TRUE(p.blockers.empty()) << p.blockers.front();
  // By portgroup too; and nothing to do once it is selected.
  EXPECT_EQ(PlanApiTagChanges(Host(), "portgroup: Backup NFC", "ensure", kProof).backup_vmknic,
            "vmk1");
  VsphereHost tagged = Host();
  tagged.nfc_selected = {"vmk1"};
  EXPECT_TRUE(PlanApiTagChanges(tagged, "vmk1", "ensure", kProof).actions.empty());
}

TEST(ApiEnsure, DeselectsEveryOtherSelectedVmknic) {
  VsphereHost h = Host();
  h.nfc_selected = {"vmk0", "vmk1"};
  ApiTagPlan p = PlanApiTagChanges(h, "vmk1", "ensure", kProof);
  ASSERT_EQ(p.actions.size(), 1u);
  EXPECT_EQ(p.actions[0].device, "vmk0");
  EXPECT_FALSE(p.actions[0].select);
  EXPECT_TRUE(p.blockers.empty());
}

TEST(ApiEnsure, WithoutAnAnsweredProbeAtTheVmknicsMtuToItsAddressNothingMayChange) {
  for (const auto& proofs : std::vector<std::vector<DfProof>>{
           {},
           {{"10.99.0.11", 9000, false}},  // not answered
           {{"10.99.0.11", 1500, true}},   // another size
           {{"10.0.0.11", 9000, true}},    // another address (the current NFC address, vmk0's)
       }) {
    ApiTagPlan p = PlanApiTagChanges(Host(), "vmk1", "ensure", proofs);
    EXPECT_EQ(p.actions.size(), 1u);  // still planned, to be shown as planned
    ASSERT_EQ(p.blockers.size(), 1u);
    EXPECT_NE(p.blockers[0].find("no DF probe from the proxy to 10.99.0.11 (vmk1) at MTU 9000"),
              std::string::npos)
        << p.blockers[0];
  }
}

TEST(ApiEnsure, AmbiguousOrUnsafeSelectionBlocksBeforeAnyPlan) {
  VsphereHost two = Host();
  AddVmknic(two, "vmk2", "Backup NFC", "10.99.0.12", 9000);
  VsphereHost no_ip = Host();
  no_ip.report.mutable_vmknics(1)->mutable_ipv4()->clear_address();
  struct Case {
    VsphereHost host;
    std::string backup;
    std::string why;
  };
  for (const Case& c : std::vector<Case>{{two, "portgroup: Backup NFC", "2 vmknics match"},
                                         {Host(), "vmk7", "no vmknic matches vmk7"},
                                         {Host(), "", "no backup vmknic is configured"},
                                         {Host(), "vmk0", "vmk0 is the management vmknic"},
                                         {no_ip, "vmk1", "vmk1 has no IPv4 address"}}) {
    ApiTagPlan p = PlanApiTagChanges(c.host, c.backup, "ensure", kProof);
    EXPECT_TRUE(p.actions.empty()) << c.backup;
    EXPECT_TRUE(p.backup_vmknic.empty()) << c.backup;
    ASSERT_EQ(p.blockers.size(), 1u) << c.backup;
    EXPECT_NE(p.blockers[0].find(c.why), std::string::npos) << p.blockers[0];
  }
}

TEST(ApiEnsure, ObserveAndAnUnreadVnicManagerNeverChangeAnything) {
  ApiTagPlan observe = PlanApiTagChanges(Host(), "vmk1", "observe", kProof);
  EXPECT_TRUE(observe.actions.empty());
  ASSERT_EQ(observe.blockers.size(), 1u);
  EXPECT_EQ(observe.blockers[0], "tag_policy = observe");
  VsphereHost unread = Host();
  unread.vnic_manager = {};
  ApiTagPlan p = PlanApiTagChanges(unread, "vmk1", "ensure", kProof);
  ASSERT_EQ(p.blockers.size(), 1u);
  EXPECT_EQ(p.blockers[0], "the host's VirtualNicManager was not read");
}

// ---- Applying the plan (ApiTagEnsurer) through the tagger seam ----

// Records every call; fails the calls named in `fail`.
class FakeTagger : public ApiTagger {
 public:
  Status Select(const VsphereHost& h, const std::string& device) override {
    return Call(h, "select " + device);
  }
  Status Deselect(const VsphereHost& h, const std::string& device) override {
    return Call(h, "deselect " + device);
  }
  std::vector<std::string> calls;
  std::vector<std::string> fail;

 private:
  Status Call(const VsphereHost& h, const std::string& what) {
    calls.push_back(h.host_id + " " + what);
    if (std::find(fail.begin(), fail.end(), what) != fail.end()) {
      return Unexpected(ErrorCode::kIo, "ServerFaultCode: " + what + " refused");
    }
    return OkStatus();
  }
};

// Captures the log lines of one test.
class LogLines {
 public:
  LogLines() {
    log::Options o;
    o.to_stderr = false;
    o.to_syslog = true;
    o.syslog_sink = [this](int, const std::string& text) { lines.push_back(text); };
    log::Init(o);
  }
  ~LogLines() { log::Init(log::Options{}); }
  size_t Count(const std::string& part) const {
    return std::count_if(lines.begin(), lines.end(),
                         [&](const std::string& l) { return l.find(part) != std::string::npos; });
  }
  std::vector<std::string> lines;
};

// vmk0 (management) carries the tag, vmk1 is the configured backup vmknic.
VsphereHost TaggedOnManagement() {
  VsphereHost h = Host();
  h.nfc_selected = {"vmk0"};
  return h;
}

TEST(ApiEnsureApply, NoProofNoCallAndTheRefusalIsLoggedAndKeptOnce) {
  LogLines logs;
  FakeTagger tagger;
  ApiTagEnsurer e("vc1", "vmk1", "ensure", tagger);
  for (int cycle = 0; cycle < 3; ++cycle) {
    EXPECT_FALSE(e.Step(TaggedOnManagement(), {}, 1000 + cycle));
  }
  EXPECT_TRUE(tagger.calls.empty());
  EXPECT_EQ(logs.Count("not changing vSphereBackupNFC (select vmk1, deselect vmk0)"), 1u);
  VsphereHost shown = TaggedOnManagement();
  e.Annotate(shown);
  ASSERT_EQ(shown.report.changes_size(), 2);  // one refused entry per planned action, once
  EXPECT_TRUE(shown.report.changes(0).refused());
  EXPECT_FALSE(shown.report.changes(0).ok());
  EXPECT_EQ(shown.report.changes(0).action(), "add");
  EXPECT_NE(shown.report.changes(0).reason().find("not made: no DF probe from the proxy to "
                                                  "10.99.0.11 (vmk1) at MTU 9000"),
            std::string::npos)
      << shown.report.changes(0).reason();
}

TEST(ApiEnsureApply, WithProofSelectsFirstThenDeselectsAndRecordsBoth) {
  LogLines logs;
  FakeTagger tagger;
  ApiTagEnsurer e("vc1", "vmk1", "ensure", tagger);
  EXPECT_TRUE(e.Step(TaggedOnManagement(), kProof, 5000));
  EXPECT_EQ(tagger.calls, (std::vector<std::string>{"esx1 select vmk1", "esx1 deselect vmk0"}));
  VsphereHost shown = TaggedOnManagement();
  e.Annotate(shown);
  ASSERT_EQ(shown.report.changes_size(), 2);
  EXPECT_EQ(shown.report.changes(0).vmknic(), "vmk1");
  EXPECT_EQ(shown.report.changes(0).action(), "add");
  EXPECT_TRUE(shown.report.changes(0).ok());
  EXPECT_EQ(shown.report.changes(0).at_unix_ms(), 5000);
  EXPECT_EQ(shown.report.changes(1).action(), "remove");
  EXPECT_EQ(logs.Count("select vmk1 for vSphereBackupNFC"), 1u);
  // The re-read shows the move: nothing more to do, no call.
  VsphereHost moved = Host();
  moved.nfc_selected = {"vmk1"};
  EXPECT_FALSE(e.Step(moved, kProof, 6000));
  EXPECT_EQ(tagger.calls.size(), 2u);
  EXPECT_EQ(e.by(), "bnfc-proxyd through the vSphere API (source vc1)");
}

TEST(ApiEnsureApply, AFailingSelectStopsBeforeTheDeselectAndIsLoggedOnceAndReported) {
  LogLines logs;
  FakeTagger tagger;
  tagger.fail = {"select vmk1"};
  ApiTagEnsurer e("vc1", "vmk1", "ensure", tagger);
  EXPECT_TRUE(e.Step(TaggedOnManagement(), kProof, 1000));
  EXPECT_TRUE(e.Step(TaggedOnManagement(), kProof, 2000));  // tried again, not logged again
  EXPECT_EQ(tagger.calls, (std::vector<std::string>{"esx1 select vmk1", "esx1 select vmk1"}));
  EXPECT_EQ(logs.Count("select vmk1 for vSphereBackupNFC failed: ServerFaultCode"), 1u);
  VsphereHost shown = TaggedOnManagement();
  e.Annotate(shown);
  ASSERT_EQ(shown.report.changes_size(), 1);
  EXPECT_FALSE(shown.report.changes(0).ok());
  EXPECT_FALSE(shown.report.changes(0).refused());
  EXPECT_NE(shown.report.changes(0).reason().find("failed: ServerFaultCode"), std::string::npos);
}

TEST(ApiEnsureApply, ObserveNeverCallsWhateverTheProofs) {
  LogLines logs;
  FakeTagger tagger;
  ApiTagEnsurer e("vc1", "vmk1", "observe", tagger);
  EXPECT_FALSE(e.Step(TaggedOnManagement(), kProof, 1000));
  VsphereHost untagged = Host();
  EXPECT_FALSE(e.Step(untagged, kProof, 2000));
  EXPECT_TRUE(tagger.calls.empty());
  e.Annotate(untagged);
  EXPECT_EQ(untagged.report.changes_size(), 0);
  EXPECT_TRUE(logs.lines.empty());
}

TEST(ApiEnsureApply, KeepsOnlyTheLastChangesPerHost) {
  FakeTagger tagger;
  ApiTagEnsurer e("vc1", "vmk1", "ensure", tagger);
  for (int i = 0; i < 10; ++i) {
    // Something moves the tag back each time: every step selects again.
    EXPECT_TRUE(e.Step(Host(), kProof, 1000 + i));
  }
  VsphereHost shown = Host();
  e.Annotate(shown);
  ASSERT_EQ(shown.report.changes_size(), static_cast<int>(ApiTagEnsurer::kKeep));
  EXPECT_EQ(shown.report.changes(0).at_unix_ms(), 1000 + 10 - ApiTagEnsurer::kKeep);
}

}  // namespace
}  // namespace bnfc::vsphere
