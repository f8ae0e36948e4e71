// Map: management paths first, then the NFC address onto a backup interface, never onto them.
#include "map_stage.h"

#include <gtest/gtest.h>

#include "fake_observer.h"
#include "stage_fixtures.h"

namespace bnfc::proxyd {
namespace {

using testing::Facts;
using testing::FakeObserver;
using testing::Ip;
using testing::Local;

class MapStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    local_ = {Local("eth0", 2, "10.98.0.100/24", "02:00:00:00:00:01"),
              Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
    observer_.routes["10.98.0.11"] = {2, 254, std::nullopt, std::nullopt};
    observer_.neighbors[{2, "10.98.0.11"}] = "00:50:56:aa:00:01";
  }
  std::vector<pin::LocalAddress> local_;
  FakeObserver observer_;
  MappingRules rules_;
};

TEST_F(MapStageTest, BackupSubnetMapsAndTheManagementPathIsLearnedFirst) {
  HostFacts h = Facts("esx01", "10.99.0.11", "10.98.0.11", 0);
  h.control_peer = AddressFact::Of("10.98.0.11");
  HostMapping m = MapHost(observer_, local_, rules_, h);
  ASSERT_TRUE(m.map.ok) << m.map.detail;
  EXPECT_EQ(m.map.interface, "eth1");
  EXPECT_EQ(m.map.source, Ip("10.99.0.100"));
  EXPECT_TRUE(m.path.ran);
  EXPECT_EQ(m.path.management_interface, "eth0");
  EXPECT_EQ(m.path.management_next_hop, "10.98.0.11 (on-link)");
  EXPECT_EQ(m.path.management_next_hop_mac, "00:50:56:aa:00:01");
  EXPECT_EQ(m.path.control_interface, "eth0");
  EXPECT_EQ(observer_.route_lookups, 2u);
}

TEST_F(MapStageTest, TheManagementInterfaceIsNeverChosenAutomatically) {
  // The NFC address sits in eth0's subnet, and eth0 carries the management path.
  HostFacts h = Facts("esx01", "10.98.0.12", "10.98.0.11", 0);
  HostMapping m = MapHost(observer_, local_, rules_, h);
  EXPECT_FALSE(m.map.ok);
  EXPECT_EQ(m.map.finding, "NO_MAPPING");
  EXPECT_TRUE(m.map.management_excluded);
}

TEST_F(MapStageTest, UnusableNfcAddressIsNoMappingWithItsText) {
  auto m = MapNfc(AddressFact::Of("10.99.0.x"), local_, rules_, {});
  EXPECT_FALSE(m.ok);
  EXPECT_EQ(m.finding, "NO_MAPPING");
  EXPECT_EQ(m.detail, "the host reported no usable NFC address ('10.99.0.x')");
}

TEST_F(MapStageTest, MissingManagementFactsAreSaidNotGuessed) {
  HostFacts h = Facts("esx01", "10.99.0.11", "", 0);
  HostMapping m = MapHost(observer_, local_, rules_, h);
  EXPECT_TRUE(m.map.ok);
  EXPECT_TRUE(m.path.management_interface.empty());
  EXPECT_NE(m.path.evidence.find("no usable management address"), std::string::npos);
  EXPECT_NE(m.path.evidence.find("control connection's source address is unknown"),
            std::string::npos);
  EXPECT_EQ(observer_.route_lookups, 0u);
}

TEST_F(MapStageTest, RulesComeFromTheConfigurationOnce) {
  ProxyConfig c;
  c.backup_interfaces = {"eth1"};
  c.mappings.push_back({"10.50.0.0/16", "eth1", "10.99.0.1", 3});
  MappingRules r = MappingRules::Of(c);
  ASSERT_EQ(r.manual.size(), 1u);
  EXPECT_EQ(r.manual[0].prefix.length, 16);
  EXPECT_EQ(*r.manual[0].via, Ip("10.99.0.1"));
  auto m = MapNfc(AddressFact::Of("10.50.1.1"), local_, r, {});
  ASSERT_TRUE(m.ok) << m.detail;
  EXPECT_FALSE(m.l2_adjacent);
  EXPECT_EQ(m.interface, "eth1");
}

TEST(ManagementIndex, KnownAddressesGetTheirOwnInterfacesOthersAll) {
  ManagementIndex index;
  HostFacts a = Facts("esx01", "10.99.0.11", "10.98.0.11", 0);
  a.backup = AddressFact::Of("10.99.0.21");
  index.Add(a, {"eth0"});
  index.Add(Facts("esx02", "10.99.0.12", "10.97.0.11", 0), {"eth2"});
  EXPECT_EQ(index.For("10.99.0.11"), std::vector<std::string>{"eth0"});
  EXPECT_EQ(index.For("10.99.0.21"), std::vector<std::string>{"eth0"});
  EXPECT_EQ(index.For("10.99.0.99"), (std::vector<std::string>{"eth0", "eth2"}));
  index.Clear();
  EXPECT_TRUE(index.For("10.99.0.11").empty());
}

}  // namespace
}  // namespace bnfc::proxyd
