// The API ensure planner: which vmknic gets vSphereBackupNFC, and the proofs it needs first.
#include "ensure.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace bnfc::vsphere
