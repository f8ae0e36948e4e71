// Observe: ARP, connects, neighbor entries and flows through the Observer seam.
#include "observe_stage.h"

#include <gtest/gtest.h>

#include "fake_observer.h"
#include "stage_fixtures.h"

namespace bnfc::proxyd {
namespace {

using testing::Facts;
using testing::FakeObserver;
using testing::Ip;
using testing::Local;

constexpr int64_t kNow = 1718100000000;

class ObserveStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    local_ = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
              Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
    hosts_["esx01"] = Facts("esx01", "10.99.0.11", "10.98.0.11", kNow - 1000);
    hosts_["esx02"] = Facts("esx02", "10.99.0.12", "10.98.0.12", kNow - 1000);
    for (const auto& [id, h] : hosts_) {
      maps_[id].map = MapNfc(h.nfc, local_, MappingRules{}, {"eth0"});
      maps_[id].path.management_next_hop = h.management.text + " (on-link)";
    }
  }
  Observations Run() {
    return Observe(observer_, options_, lifetimes_, hosts_, maps_, local_, kNow);
  }
  FakeObserver observer_;
  ObserveOptions options_;
  Lifetimes lifetimes_{90000, 3600000};
  std::vector<pin::LocalAddress> local_;
  HostFactsTable hosts_;
  HostMappings maps_;
};

TEST_F(ObserveStageTest, ConnectsGoToFreshMappedHostsFromTheBackupAddress) {
  observer_.refuse["10.99.0.12"] = true;
  hosts_["esx03"] = Facts("esx03", "10.99.0.13", "10.98.0.13", kNow - 100000);  // not fresh
  maps_["esx03"].map = MapNfc(hosts_["esx03"].nfc, local_, MappingRules{}, {});
  Observations seen = Run();
  EXPECT_EQ(observer_.connects, (std::vector<std::string>{"10.99.0.11:902", "10.99.0.12:902"}));
  ASSERT_EQ(seen.connect.count("esx01"), 1u);
  EXPECT_TRUE(seen.connect.at("esx01").ok);
  EXPECT_EQ(seen.connect.at("esx01").evidence,
            "connect 10.99.0.100 -> 10.99.0.11:902: connected (no data sent)");
  EXPECT_FALSE(seen.connect.at("esx02").ok);
  EXPECT_EQ(seen.connect.at("esx02").evidence, "connection refused");
  EXPECT_EQ(seen.connect.count("esx03"), 0u);
}

TEST_F(ObserveStageTest, DfProbesOnlyForHostsWhoseSourceCannotProbeItself) {
  // esx01 is an agent host (its own vmkping decides the MTU); esx02 comes from the vSphere API.
  hosts_["esx01"].l2_checks = std::vector<report::HostL2Check>{};
  hosts_["esx02"].l2_checks.reset();
  hosts_["esx02"].source = FactsSource::kVsphere;
  hosts_["esx02"].host.nfc_vmknic_mtu = 9000;
  observer_.df["10.99.0.12"] = {dfprobe::DfOutcome::kReply, "9000 bytes DF: reply"};
  Observations seen = Run();
  EXPECT_EQ(observer_.df_probes,
            (std::vector<std::string>{"eth1 10.99.0.100 -> 10.99.0.12 mtu 9000"}));
  EXPECT_EQ(seen.df.count("esx01"), 0u);
  ASSERT_EQ(seen.df.count("esx02"), 1u);
  EXPECT_TRUE(seen.df.at("esx02").ran);
  EXPECT_EQ(seen.df.at("esx02").outcome, "reply");
  EXPECT_EQ(seen.df.at("esx02").mtu, 9000u);
  EXPECT_EQ(seen.df.at("esx02").evidence, "9000 bytes DF: reply");
}

TEST_F(ObserveStageTest, NoDfProbeWithoutTheVmknicMtuAndAFailedProbeIsNotARun) {
  hosts_["esx01"].l2_checks.reset();
  hosts_["esx01"].host.nfc_vmknic_mtu = 0;
  hosts_["esx02"].l2_checks.reset();
  hosts_["esx02"].host.nfc_vmknic_mtu = 1500;
  observer_.df["10.99.0.12"] = {dfprobe::DfOutcome::kError, "cannot open a ping socket"};
  Observations seen = Run();
  EXPECT_EQ(observer_.df_probes.size(), 1u);
  EXPECT_FALSE(seen.df.at("esx01").ran);
  EXPECT_EQ(seen.df.at("esx01").evidence, "the source did not state the vmknic's MTU; no DF probe");
  EXPECT_FALSE(seen.df.at("esx02").ran);
  EXPECT_EQ(seen.df.at("esx02").outcome, "error");
}

// Under ensure through the API: the NFC address's probe counts, and the configured backup
// vmknic (here vmk2, untagged while vCenter hands out vmk0's address) is probed at its MTU.
TEST_F(ObserveStageTest, EnsureProofsProbeTheConfiguredBackupVmknicWhenTheTagIsElsewhere) {
  hosts_.erase("esx02");
  HostFacts& h = hosts_["esx01"];
  h.nfc = AddressFact::Of("10.98.0.11");  // the tag is on management
  h.backup = AddressFact::Of("10.99.0.11");
  h.backup_mtu = 9000;
  h.host.tag_policy = "ensure";
  maps_["esx01"].map = MapNfc(h.nfc, local_, MappingRules{}, {"eth0"});  // not mapped
  maps_["esx01"].path.management_interface = "eth0";
  observer_.df["10.99.0.11"] = {dfprobe::DfOutcome::kReply, "9000 bytes DF: reply"};
  Observations seen = Run();
  auto proofs = EnsureProofs(observer_, options_, MappingRules{}, hosts_, maps_, local_, seen);
  EXPECT_EQ(observer_.df_probes,
            (std::vector<std::string>{"eth1 10.99.0.100 -> 10.99.0.11 mtu 9000"}));
  ASSERT_EQ(proofs.at("esx01").size(), 1u);
  EXPECT_EQ(proofs.at("esx01")[0].address, "10.99.0.11");
  EXPECT_EQ(proofs.at("esx01")[0].mtu, 9000u);
  EXPECT_TRUE(proofs.at("esx01")[0].answered);
  // No answer: a proof that says so (the plan then refuses).
  observer_.df["10.99.0.11"] = {dfprobe::DfOutcome::kNoReply, "no reply"};
  proofs = EnsureProofs(observer_, options_, MappingRules{}, hosts_, maps_, local_, seen);
  EXPECT_FALSE(proofs.at("esx01")[0].answered);
}

TEST_F(ObserveStageTest, NoEnsureProofsForAgentHostsOrUnderObserve) {
  hosts_["esx01"].l2_checks = std::vector<report::HostL2Check>{};
  hosts_["esx01"].source = FactsSource::kAgent;
  hosts_["esx01"].host.tag_policy = "ensure";
  hosts_["esx02"].host.tag_policy = "observe";
  hosts_["esx02"].backup = AddressFact::Of("10.99.0.22");
  hosts_["esx02"].backup_mtu = 9000;
  Observations seen = Run();
  observer_.df_probes.clear();
  auto proofs = EnsureProofs(observer_, options_, MappingRules{}, hosts_, maps_, local_, seen);
  EXPECT_TRUE(proofs.empty());
  EXPECT_TRUE(observer_.df_probes.empty());
}

TEST_F(ObserveStageTest, NoConnectsWhenTheCheckIsOff) {
  options_.tcp_check = false;
  EXPECT_TRUE(Run().connect.empty());
  EXPECT_TRUE(observer_.connects.empty());
}

TEST_F(ObserveStageTest, NeighborEntriesOfMappedHostsOnly) {
  observer_.neighbors[{3, "10.99.0.11"}] = "00:50:56:bb:00:01";
  hosts_["esx09"] = Facts("esx09", "192.0.2.9", "10.98.0.19", kNow);
  maps_["esx09"].map = MapNfc(hosts_["esx09"].nfc, local_, MappingRules{}, {});
  Observations seen = Run();
  EXPECT_EQ(seen.neighbor.at("esx01").mac, "00:50:56:bb:00:01");
  EXPECT_EQ(seen.neighbor.at("esx01").evidence,
            "neighbor table of eth1: 10.99.0.11 lladdr 00:50:56:bb:00:01");
  EXPECT_EQ(seen.neighbor.at("esx02").evidence, "neighbor table of eth1: 10.99.0.12 lladdr (none)");
  EXPECT_EQ(seen.neighbor.count("esx09"), 0u);
}

TEST_F(ObserveStageTest, FlowsAreClassifiedPerHost) {
  pin::Flow on{Ip("10.99.0.100"), Ip("10.99.0.11"), 40000, 902, 1, 3, 902};
  pin::Flow off{Ip("10.98.0.100"), Ip("10.99.0.12"), 40001, 902, 1, 2, 254};
  observer_.flows = {on, off};
  Observations seen = Run();
  EXPECT_TRUE(seen.flows.at("esx01").ran);
  EXPECT_EQ(seen.flows.at("esx01").on_backup, 1u);
  EXPECT_EQ(seen.flows.at("esx01").off_backup, 0u);
  EXPECT_EQ(seen.flows.at("esx02").off_backup, 1u);
  EXPECT_NE(seen.flows.at("esx02").evidence.find("eth0"), std::string::npos)
      << seen.flows.at("esx02").evidence;
}

TEST_F(ObserveStageTest, AnUnreadableSocketTableLeavesFlowsNotRun) {
  observer_.fail_flows = true;
  EXPECT_TRUE(Run().flows.empty());
}

TEST_F(ObserveStageTest, ArpAnswersFromTheManagementNextHopLandInThePath) {
  observer_.arp[{3, "10.98.0.11"}] = "00:50:56:aa:00:01";
  ProbeBackupSegments(observer_, local_, 300, maps_);
  EXPECT_EQ(observer_.arp_probes, 1u);  // one batch for eth1, both hosts' next hops in it
  const report::PathFacts& p = maps_.at("esx01").path;
  EXPECT_TRUE(p.backup_probe_ran);
  EXPECT_EQ(p.backup_probe_macs, std::vector<std::string>{"00:50:56:aa:00:01"});
  EXPECT_EQ(p.backup_probe_evidence, "ARP probe for 10.98.0.11 on eth1, 300 ms");
  EXPECT_TRUE(maps_.at("esx02").path.backup_probe_ran);
  EXPECT_TRUE(maps_.at("esx02").path.backup_probe_macs.empty());
}

TEST_F(ObserveStageTest, AnIpv6NextHopIsNotProbed) {
  maps_["esx01"].path.management_next_hop = "fd00::1 (gateway)";
  maps_.erase("esx02");
  ProbeBackupSegments(observer_, local_, 300, maps_);
  EXPECT_EQ(observer_.arp_probes, 0u);
  EXPECT_FALSE(maps_.at("esx01").path.backup_probe_applicable);
}

}  // namespace
}  // namespace bnfc::proxyd
