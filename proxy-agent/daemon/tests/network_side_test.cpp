// The production network side against the fake kernel: the proxy learns its own management path,
// never maps onto it, and the report carries every check. The real traps of a single proxy card
// are staged here as kernel state, not as hand-written facts.
#include "network_side.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "fake_kernel.h"
#include "fake_observer.h"

namespace bnfc::proxyd {
namespace {

using pin::LocalAddress;
using pin::testing::FakeKernel;

constexpr int64_t kNow = 1718100000000;

net::IpAddress Ip(const std::string& s) {
  return *net::IpAddress::Parse(s);
}

LocalAddress Local(const std::string& name, int ifindex, const std::string& prefix,
                   const std::string& mac) {
  LocalAddress a;
  a.interface = name;
  a.ifindex = ifindex;
  a.prefix = *net::Prefix::Parse(prefix);
  a.mac = mac;
  a.mtu = 9000;
  a.up = true;
  return a;
}

void AddVmknic(proto::HostReport& r, const std::string& name, const std::string& address,
               const std::string& mac, uint32_t vlan, const std::string& tag) {
  proto::Vmknic* v = r.add_vmknics();
  v->set_name(name);
  v->set_portgroup(name == "vmk0" ? "Management Network" : "Backup");
  v->set_netstack("defaultTcpipStack");
  v->set_mac(mac);
  v->set_mtu(9000);
  v->set_enabled(true);
  v->mutable_ipv4()->set_address(address);
  v->mutable_ipv4()->set_prefix_length(24);
  v->add_tags(tag);
  v->set_switch_name("vSwitch0");
  v->set_vlan_known(true);
  v->set_vlan_id(vlan);
}

// A host whose vmk0 (management) is 10.98.0.11 and whose tagged vmk2 is `backup` on `vlan`;
// its L2 check of `proxy_backup` succeeded and saw `proxy_mac`.
proto::HostReport Host(const std::string& backup, uint32_t vlan, const std::string& proxy_backup,
                       const std::string& proxy_mac) {
  proto::HostReport r;
  r.mutable_host()->set_hostname("esx01");
  r.set_agent_version("0.1.0");
  r.set_tag_policy("ensure");
  r.set_nfc_vmknic("vmk2");
  r.set_nfc_address(backup);
  r.set_management_vmknic("vmk0");
  r.set_management_address("10.98.0.11");
  r.set_hostd_available(true);
  AddVmknic(r, "vmk0", "10.98.0.11", "00:50:56:aa:00:01", 10, "Management");
  AddVmknic(r, "vmk2", backup, "00:50:56:bb:00:01", vlan, "vSphereBackupNFC");
  proto::L2Check* c = r.add_checks();
  c->set_proxy_address(proxy_backup);
  c->set_vmknic("vmk2");
  c->set_ran(true);
  c->set_in_subnet(true);
  c->set_ping_sent(3);
  c->set_ping_received(3);
  c->set_expected_mtu(9000);
  c->set_largest_df_payload(8972);
  c->set_df_at_mtu_ok(true);
  c->set_neighbor_mac(proxy_mac);
  return r;
}

class NetworkSideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bnfc-netside-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    config_.proxy_id = "proxy01";
    config_.state_dir = dir_.string();
    config_.tcp_check = false;  // no real sockets in a unit test
    // The proxy reaches the host's management address on-link through eth0 and knows its MAC.
    kernel_.main_routes.push_back({*net::Prefix::Parse("10.98.0.0/24"), {2, 254, {}, {}}});
    kernel_.neighbors.push_back({{2, Ip("10.98.0.11")}, "00:50:56:aa:00:01"});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  report::PairVerdict Run(const proto::HostReport& r) {
    HostTable hosts;
    hosts.Update("esx01", "10.98.0.11", "rid", r, kNow - 2000);
    side_ = std::make_unique<ProxyNetworkSide>(config_, Env());
    side_->Cycle(hosts, kNow);
    auto report = side_->LatestReport();
    EXPECT_EQ(report.pairs.size(), 1u);
    return report.pairs.empty() ? report::PairVerdict{} : report.pairs[0];
  }

  static bool Has(const report::PairVerdict& v, const std::string& code) {
    return std::any_of(v.findings.begin(), v.findings.end(),
                       [&](const report::Finding& f) { return f.code == code; });
  }
  static std::string Codes(const report::PairVerdict& v) {
    std::string s;
    for (const auto& f : v.findings)
      s += f.code + " ";
    return s;
  }
  static const report::Check& CheckOf(const report::PairVerdict& v, const std::string& id) {
    static const report::Check none{};
    for (const auto& c : v.checks) {
      if (c.id == id)
        return c;
    }
    ADD_FAILURE() << "no check " << id;
    return none;
  }

  std::filesystem::path dir_;
  ProxyConfig config_;
  ProxyEnvironment Env() { return {SystemEnvironment(), kernel_, observer_}; }

  FakeKernel kernel_;
  KernelObserver observer_{kernel_};
  std::unique_ptr<ProxyNetworkSide> side_;
};

TEST_F(NetworkSideTest, SeparateBackupCardIsIsolatedWithTheDisjointPathAsEvidence) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  auto v = Run(Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"));
  EXPECT_EQ(v.verdict, report::Verdict::kIsolated) << Codes(v);
  EXPECT_EQ(v.interface, "eth1");
  const auto& path = CheckOf(v, report::checks::kDisjointPath);
  EXPECT_EQ(path.status, report::CheckStatus::kPassed) << path.evidence;
  EXPECT_NE(path.evidence.find("eth0"), std::string::npos) << path.evidence;
  EXPECT_NE(path.evidence.find("00:50:56:aa:00:01"), std::string::npos) << path.evidence;
  const auto& pin = CheckOf(v, report::checks::kPin);
  EXPECT_EQ(pin.status, report::CheckStatus::kPassed);
  EXPECT_NE(pin.evidence.find("10.99.0.11 dev eth1"), std::string::npos) << pin.evidence;
}

TEST_F(NetworkSideTest, PinCheckReadsTheKernelNotWhatWasDesired) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  // A foreign route holds the destination in our table: the kernel refuses our pin.
  kernel_.AddForeignRoute(pin::Route(Ip("10.99.0.11"), 2, std::nullopt, std::nullopt), 902, 4);
  auto v = Run(Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"));
  EXPECT_EQ(v.verdict, report::Verdict::kDegraded);
  EXPECT_EQ(CheckOf(v, report::checks::kPin).status, report::CheckStatus::kFailed);
  EXPECT_TRUE(Has(v, report::codes::kPinMissing)) << Codes(v);
}

TEST_F(NetworkSideTest, OneCardWithTwoAddressesIsPathSharedAndNeverPinned) {
  // Management and backup subnets on one card (one segment): no backup_interface configured,
  // still the management interface is never a backup path.
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth0", 2, "10.99.0.100/24", "02:00:00:00:00:01")};
  kernel_.neighbors.push_back({{2, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  auto v = Run(Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:01"));
  EXPECT_EQ(v.verdict, report::Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(Has(v, report::codes::kPathSharedWithManagement)) << Codes(v);
  EXPECT_FALSE(Has(v, report::codes::kNoMapping)) << Codes(v);
  EXPECT_TRUE(kernel_.routes.empty()) << "nothing pinned onto the management interface";
  EXPECT_TRUE(side_->ProbeTargetsFor("10.99.0.11").empty());
}

TEST_F(NetworkSideTest, BackupVmknicInTheManagementSubnetWithOneCard) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01")};
  kernel_.neighbors.push_back({{2, Ip("10.98.0.12")}, "00:50:56:bb:00:01"});
  auto v = Run(Host("10.98.0.12", 10, "10.98.0.100", "02:00:00:00:00:01"));
  EXPECT_EQ(v.verdict, report::Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(Has(v, "SUBNET_SHARED_WITH_VMK0")) << Codes(v);
  EXPECT_TRUE(Has(v, report::codes::kPathSharedWithManagement)) << Codes(v);
  EXPECT_TRUE(Has(v, report::codes::kSameL2AsManagement)) << Codes(v);
}

TEST_F(NetworkSideTest, AMappingLineOntoManagementIsFollowedButFailsTheDisjointCheck) {
  config_.mappings.push_back({"10.99.0.0/24", "eth0", "", 1});
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth0", 2, "10.99.0.100/24", "02:00:00:00:00:01")};
  kernel_.neighbors.push_back({{2, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  auto v = Run(Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:01"));
  EXPECT_EQ(v.verdict, report::Verdict::kNotIsolated) << Codes(v);
  EXPECT_EQ(CheckOf(v, report::checks::kMapping).status, report::CheckStatus::kPassed);
  EXPECT_EQ(CheckOf(v, report::checks::kDisjointPath).status, report::CheckStatus::kFailed);
  EXPECT_TRUE(Has(v, report::codes::kPathSharedWithManagement)) << Codes(v);
}

TEST_F(NetworkSideTest, ControlConnectionOnTheBackupCardIsPathShared) {
  // The host's control connection arrives from an address the proxy reaches through eth1.
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  kernel_.main_routes.push_back({*net::Prefix::Parse("10.99.0.0/24"), {3, 254, {}, {}}});
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  HostTable hosts;
  hosts.Update("esx01", "10.99.0.11", "rid",
               Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"), kNow - 2000);
  ProxyNetworkSide side(config_, Env());
  side.Cycle(hosts, kNow);
  auto v = side.LatestReport().pairs.at(0);
  EXPECT_EQ(v.verdict, report::Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(Has(v, report::codes::kPathSharedWithManagement)) << Codes(v);
}

TEST_F(NetworkSideTest, UnknownManagementNextHopMacIsNotRunNeverPassed) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  kernel_.neighbors.clear();
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  auto v = Run(Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"));
  EXPECT_EQ(v.verdict, report::Verdict::kUnknown) << Codes(v);
  EXPECT_EQ(CheckOf(v, report::checks::kDisjointPath).status, report::CheckStatus::kNotRun);
}

TEST_F(NetworkSideTest, OtherSubnetButTheManagementVlanIsSameL2) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  auto v = Run(Host("10.99.0.11", 10, "10.99.0.100", "02:00:00:00:00:02"));  // vmk0's VLAN 10
  EXPECT_EQ(v.verdict, report::Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(Has(v, report::codes::kSameL2AsManagement)) << Codes(v);
  EXPECT_EQ(CheckOf(v, report::checks::kDisjointPath).status, report::CheckStatus::kPassed);
}

TEST_F(NetworkSideTest, DuplicateNfcAddressOnOneSegmentIsNeverIsolated) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  // esx02 answered ARP last: the proxy's neighbor entry is its MAC, not esx01's vmk2.
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:02"});
  kernel_.neighbors.push_back({{2, Ip("10.98.0.12")}, "00:50:56:aa:00:02"});
  kernel_.main_routes.push_back({*net::Prefix::Parse("10.98.0.12/32"), {2, 254, {}, {}}});
  auto other = Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02");
  other.set_management_address("10.98.0.12");
  other.mutable_vmknics(1)->set_mac("00:50:56:bb:00:02");
  HostTable hosts;
  hosts.Update("esx01", "10.98.0.11", "rid1",
               Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"), kNow - 2000);
  hosts.Update("esx02", "10.98.0.12", "rid2", other, kNow - 2000);
  ProxyNetworkSide side(config_, Env());
  side.Cycle(hosts, kNow);
  auto r = side.LatestReport();
  ASSERT_EQ(r.pairs.size(), 2u);
  for (const auto& v : r.pairs) {
    EXPECT_NE(v.verdict, report::Verdict::kIsolated) << v.host_id << ": " << Codes(v);
    EXPECT_TRUE(Has(v, report::codes::kDuplicateNfcAddress)) << v.host_id << ": " << Codes(v);
  }
  EXPECT_TRUE(Has(r.pairs[0], report::codes::kMacMismatch)) << Codes(r.pairs[0]);
}

// The host claims VLAN 10 for vmk0 and VLAN 20 for vmk2, but both sit on one segment with both
// proxy cards: the management next hop answers ARP on the backup card.
TEST_F(NetworkSideTest, HostClaimingSeparateVlansOnOneSegmentIsCaughtByArp) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  kernel_.arp_answers.push_back({3, Ip("10.98.0.11"), "00:50:56:bb:00:01"});  // vmk2, weak host
  kernel_.arp_answers.push_back({3, Ip("10.98.0.11"), "00:50:56:aa:00:01"});  // vmk0 itself
  auto v = Run(Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"));
  EXPECT_EQ(v.verdict, report::Verdict::kNotIsolated) << Codes(v);
  EXPECT_TRUE(Has(v, report::codes::kPathSharedWithManagement)) << Codes(v);
  const auto& path = CheckOf(v, report::checks::kDisjointPath);
  EXPECT_NE(path.evidence.find("answered by"), std::string::npos) << path.evidence;
  EXPECT_EQ(kernel_.arp_probes, 1u);
}

TEST_F(NetworkSideTest, OnlyTheBackupVmknicAnsweringArpIsNoProofOfSharing) {
  // A host stack that answers for any of its addresses on any interface (weak host model) replies
  // from vmk2's MAC: that is not the management next hop.
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  kernel_.arp_answers.push_back({3, Ip("10.98.0.11"), "00:50:56:bb:00:01"});
  auto v = Run(Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"));
  EXPECT_EQ(v.verdict, report::Verdict::kIsolated) << Codes(v);
}

TEST_F(NetworkSideTest, ArpProbeThatCannotRunLeavesTheDisjointCheckNotRun) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  kernel_.fail_arp = true;
  auto v = Run(Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"));
  EXPECT_EQ(v.verdict, report::Verdict::kUnknown) << Codes(v);
  const auto& path = CheckOf(v, report::checks::kDisjointPath);
  EXPECT_EQ(path.status, report::CheckStatus::kNotRun);
  EXPECT_NE(path.evidence.find("fake failure"), std::string::npos) << path.evidence;
}

TEST_F(NetworkSideTest, AMovedNfcAddressIsPinnedAtOnceNotAtTheNextCycle) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  HostTable hosts;
  hosts.Update("esx01", "10.98.0.11", "rid",
               Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"), kNow - 2000);
  ProxyNetworkSide side(config_, Env());
  side.Cycle(hosts, kNow);
  hosts.Update("esx01", "10.98.0.11", "rid",
               Host("10.99.0.21", 20, "10.99.0.100", "02:00:00:00:00:02"), kNow + 10);
  side.HostChanged(hosts, "esx01", kNow + 10);
  auto have = kernel_.DumpOwned(pin::Ownership{});
  ASSERT_TRUE(have.ok());
  ASSERT_EQ(have->routes.size(), 1u);
  EXPECT_EQ(have->routes[0].destination.ToString(), "10.99.0.21");
  EXPECT_EQ(have->routes[0].ifindex, 3);
}

TEST_F(NetworkSideTest, KernelChangesAreReportedOnceEach) {
  ProxyNetworkSide side(config_, Env());
  EXPECT_FALSE(side.KernelChanged());
  kernel_.change_events = 2;
  EXPECT_TRUE(side.KernelChanged());
  EXPECT_FALSE(side.KernelChanged());
}

TEST_F(NetworkSideTest, ASteadyCycleDumpsOurPinsOnce) {
  kernel_.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
                       Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
  kernel_.neighbors.push_back({{3, Ip("10.99.0.11")}, "00:50:56:bb:00:01"});
  HostTable hosts;
  hosts.Update("esx01", "10.98.0.11", "rid",
               Host("10.99.0.11", 20, "10.99.0.100", "02:00:00:00:00:02"), kNow - 2000);
  ProxyNetworkSide side(config_, Env());
  side.Cycle(hosts, kNow);
  EXPECT_EQ(side.last_pin_dumps(), 2u);  // the first cycle installed the pin, then read it back
  side.Cycle(hosts, kNow + 1000);
  EXPECT_EQ(side.last_pin_dumps(), 1u);
  EXPECT_TRUE(side.LatestReport().pairs.at(0).verdict == report::Verdict::kIsolated)
      << Codes(side.LatestReport().pairs.at(0));
}

TEST(LearnManagementPaths, GatewayNextHopAndItsMac) {
  FakeKernel k;
  k.addresses = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01")};
  k.main_routes.push_back({*net::Prefix::Parse("0.0.0.0/0"), {2, 254, Ip("10.98.0.1"), {}}});
  k.neighbors.push_back({{2, Ip("10.98.0.1")}, "00:00:5e:00:01:01"});
  KernelObserver o(k);
  auto p = LearnManagementPaths(o, k.addresses, AddressFact::Of("172.16.5.11"),
                                AddressFact::Of("172.16.5.11"));
  EXPECT_TRUE(p.ran);
  EXPECT_EQ(p.management_interface, "eth0");
  EXPECT_EQ(p.management_next_hop, "10.98.0.1 (gateway)");
  EXPECT_EQ(p.management_next_hop_mac, "00:00:5e:00:01:01");
  EXPECT_EQ(p.control_interface, "eth0");
  EXPECT_EQ(ManagementInterfaces(p), std::vector<std::string>{"eth0"});
  auto bad =
      LearnManagementPaths(o, k.addresses, AddressFact::Of(""), AddressFact::Of("not an address"));
  EXPECT_TRUE(bad.management_interface.empty());
  EXPECT_TRUE(bad.control_interface.empty());
  EXPECT_FALSE(bad.evidence.empty());
  EXPECT_TRUE(ManagementInterfaces(bad).empty());
}

TEST(LearnManagementPaths, AnArpProbeFillsAMissingNeighborEntry) {
  testing::FakeObserver o;
  const std::vector<pin::LocalAddress> local = {
      Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01")};
  o.routes["10.98.0.11"] = pin::RouteLookup{2, 254, std::nullopt, std::nullopt};
  o.arp[{2, "10.98.0.11"}] = "00:50:56:00:00:0b";
  auto p = LearnManagementPaths(o, local, AddressFact::Of("10.98.0.11"), AddressFact::Of(""));
  EXPECT_EQ(o.arp_probes, 1u);
  EXPECT_EQ(p.management_next_hop, "10.98.0.11 (on-link)");
  EXPECT_EQ(p.management_next_hop_mac, "00:50:56:00:00:0b");
  EXPECT_NE(p.evidence.find("next hop MAC from an ARP probe on eth0"), std::string::npos);

  o.arp.clear();  // nobody answers: the MAC stays unknown and the evidence says so
  auto q = LearnManagementPaths(o, local, AddressFact::Of("10.98.0.11"), AddressFact::Of(""));
  EXPECT_TRUE(q.management_next_hop_mac.empty());
  EXPECT_NE(q.evidence.find("no neighbor entry for 10.98.0.11"), std::string::npos);
}

}  // namespace
}  // namespace bnfc::proxyd
