// The facts builder is pure: typed stage outputs in, the verdict engine's input out.
#include "facts_builder.h"

#include <gtest/gtest.h>

#include "stage_fixtures.h"

namespace bnfc::proxyd {
namespace {

using testing::Facts;
using testing::Local;

constexpr int64_t kNow = 1718100000000;

class FactsBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    local_ = {Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
    hosts_["esx01"] = Facts("esx01", "10.99.0.11", "10.98.0.11", kNow - 2000);
    maps_["esx01"].map = MapNfc(hosts_["esx01"].nfc, local_, MappingRules{}, {});
    maps_["esx01"].path.ran = true;
    pins_["esx01"] = {true, true, "read back"};
    seen_.connect["esx01"] = {true, true, true, "connected"};
    seen_.neighbor["esx01"] = {true, "00:50:56:bb:00:01", "neighbor"};
    seen_.flows["esx01"] = {true, 2, 0, ""};
  }
  std::vector<report::PairFacts> Build() {
    return BuildPairFacts(options_, hosts_, maps_, pins_, seen_, local_, kNow);
  }
  FactsBuilderOptions options_{"proxy01", 90000, false};
  std::vector<pin::LocalAddress> local_;
  HostFactsTable hosts_;
  HostMappings maps_;
  std::map<std::string, report::PinFacts> pins_;
  Observations seen_;
};

TEST_F(FactsBuilderTest, EveryStageOutputLandsInThePairFacts) {
  auto all = Build();
  ASSERT_EQ(all.size(), 1u);
  const report::PairFacts& f = all[0];
  EXPECT_EQ(f.proxy_id, "proxy01");
  EXPECT_EQ(f.host_id, "esx01");
  EXPECT_TRUE(f.has_report);
  EXPECT_EQ(f.report_age_ms, 2000);
  EXPECT_EQ(f.observed_unix_ms, kNow);
  EXPECT_EQ(f.freshness_limit_ms, 90000);
  EXPECT_EQ(f.host.nfc_address, "10.99.0.11");
  EXPECT_TRUE(f.path.ran);
  EXPECT_TRUE(f.mapping.ran);
  EXPECT_EQ(f.mapping.interface, "eth1");
  EXPECT_EQ(f.mapping.source_address, "10.99.0.100");
  EXPECT_EQ(f.mapping.interface_mac, "02:00:00:00:00:02");
  EXPECT_EQ(f.mapping.interface_mtu, 9000u);
  EXPECT_EQ(f.mapping.detail, "automatic: the subnet of eth1 holds it");
  EXPECT_TRUE(f.pin.installed);
  EXPECT_TRUE(f.connect.ok);
  EXPECT_EQ(f.neighbor.mac, "00:50:56:bb:00:01");
  EXPECT_EQ(f.flows.on_backup, 2u);
}

TEST_F(FactsBuilderTest, HostChecksAreAbsentWhenTheSourceCannotRunThem) {
  EXPECT_TRUE(Build()[0].host.checks.empty());  // vSphere facts: not run, never passed
  report::HostL2Check c;
  c.proxy_address = "10.99.0.100";
  c.ran = true;
  hosts_["esx01"].l2_checks = std::vector<report::HostL2Check>{c};
  auto f = Build()[0];
  ASSERT_EQ(f.host.checks.size(), 1u);
  EXPECT_EQ(f.host.checks[0].proxy_address, "10.99.0.100");
}

TEST_F(FactsBuilderTest, AnUnmappedHostCarriesNoPinConnectOrNeighborFacts) {
  hosts_["esx01"].nfc = AddressFact::Of("192.0.2.9");
  maps_["esx01"].map = MapNfc(hosts_["esx01"].nfc, local_, MappingRules{}, {});
  auto f = Build()[0];
  EXPECT_EQ(f.mapping.finding, "NO_MAPPING");
  EXPECT_FALSE(f.pin.ran);
  EXPECT_FALSE(f.connect.enabled);
  EXPECT_FALSE(f.neighbor.ran);
  EXPECT_TRUE(f.flows.ran);  // flows are audited for every host
}

TEST_F(FactsBuilderTest, AHostWithoutAMappingRunIsNotRun) {
  maps_.clear();
  auto f = Build()[0];
  EXPECT_FALSE(f.mapping.ran);
  EXPECT_FALSE(f.path.ran);
}

TEST_F(FactsBuilderTest, DuplicateNfcAddressesAreNamedBothWays) {
  hosts_["esx02"] = Facts("esx02", "10.99.0.11", "10.98.0.12", kNow);
  hosts_["esx03"] = Facts("esx03", "10.99.0.13", "10.98.0.13", kNow);
  hosts_["esx04"] = Facts("esx04", "", "10.98.0.14", kNow);
  hosts_["esx05"] = Facts("esx05", "", "10.98.0.15", kNow);
  EXPECT_EQ(DuplicatesOf(hosts_, "esx01"), std::vector<std::string>{"esx02"});
  EXPECT_EQ(DuplicatesOf(hosts_, "esx02"), std::vector<std::string>{"esx01"});
  EXPECT_TRUE(DuplicatesOf(hosts_, "esx03").empty());
  EXPECT_TRUE(DuplicatesOf(hosts_, "esx04").empty());  // no address is no duplicate
  EXPECT_TRUE(DuplicatesOf(hosts_, "nope").empty());
  auto all = Build();
  EXPECT_EQ(all[0].duplicate_hosts, std::vector<std::string>{"esx02"});
}

}  // namespace
}  // namespace bnfc::proxyd
