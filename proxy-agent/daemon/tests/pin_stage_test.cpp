// Pin: desired pins from the mappings, reconciled, read back; one host re-pinned between runs.
#include "pin_stage.h"

#include <gtest/gtest.h>

#include "fake_kernel.h"
#include "stage_fixtures.h"

namespace bnfc::proxyd {
namespace {

using pin::testing::FakeKernel;
using testing::Facts;
using testing::Ip;
using testing::Local;

constexpr int64_t kNow = 1718100000000;

class PinStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    local_ = {Local("eth1", 3, "10.99.0.100/24", "02:00:00:00:00:02")};
    hosts_["esx01"] = Facts("esx01", "10.99.0.11", "10.98.0.11", kNow - 1000);
    hosts_["esx02"] = Facts("esx02", "10.99.0.12", "10.98.0.12", kNow - 1000);
    for (const auto& [id, h] : hosts_)
      maps_[id].map = MapNfc(h.nfc, local_, MappingRules{}, {});
  }
  size_t Pins() {
    auto s = kernel_.DumpOwned(stage_.ownership());
    return s ? s->routes.size() : 0;
  }
  FakeKernel kernel_;
  Lifetimes lifetimes_{90000, 3600000};
  PinStage stage_{kernel_, pin::Ownership{}, lifetimes_};
  std::vector<pin::LocalAddress> local_;
  HostFactsTable hosts_;
  HostMappings maps_;
};

TEST_F(PinStageTest, MappedHostsArePinnedAndReadBack) {
  PinOutcome out = stage_.Run(hosts_, maps_, local_, kNow);
  EXPECT_TRUE(out.error.empty()) << out.error;
  EXPECT_EQ(out.desired, 2u);
  EXPECT_EQ(out.installed, 2u);
  EXPECT_EQ(out.dumps, 2u);  // a change was made: read back after it
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_TRUE(out.rows[0].installed);
  EXPECT_EQ(out.rows[0].why, "automatic: the subnet of eth1 holds it");
  const report::PinFacts& p = out.facts.at("esx01");
  EXPECT_TRUE(p.ran);
  EXPECT_TRUE(p.installed);
  EXPECT_EQ(p.evidence,
            "10.99.0.11 dev eth1 src 10.99.0.100 table 902 proto 190 (read back from "
            "the kernel)");
}

TEST_F(PinStageTest, ASteadyRunDumpsTheKernelOnce) {
  stage_.Run(hosts_, maps_, local_, kNow);
  const size_t changes = kernel_.changes;
  PinOutcome again = stage_.Run(hosts_, maps_, local_, kNow + 1000);
  EXPECT_EQ(again.dumps, 1u);
  EXPECT_EQ(again.installed, 2u);
  EXPECT_TRUE(again.facts.at("esx02").installed);
  EXPECT_EQ(kernel_.changes, changes);
}

TEST_F(PinStageTest, AHostSilentBeyondTheTtlLosesItsPinAndItsRow) {
  hosts_["esx02"].received_ms = kNow - lifetimes_.pin_ttl_ms - 1;
  PinOutcome out = stage_.Run(hosts_, maps_, local_, kNow);
  EXPECT_EQ(out.desired, 1u);
  ASSERT_EQ(out.rows.size(), 1u);
  EXPECT_EQ(out.rows[0].host_id, "esx01");
  EXPECT_FALSE(out.facts.at("esx02").installed);  // still mapped, so the check says so
}

TEST_F(PinStageTest, AForeignRouteIsReportedNotOverwritten) {
  kernel_.AddForeignRoute(pin::Route(Ip("10.99.0.12"), 3, std::nullopt, std::nullopt), 902, 4);
  PinOutcome out = stage_.Run(hosts_, maps_, local_, kNow);
  EXPECT_NE(out.error.find("the kernel refused"), std::string::npos) << out.error;
  EXPECT_FALSE(out.facts.at("esx02").installed);
  EXPECT_NE(out.facts.at("esx02").evidence.find("no route for 10.99.0.12 in table 902"),
            std::string::npos)
      << out.facts.at("esx02").evidence;
  EXPECT_TRUE(out.facts.at("esx01").installed);
}

TEST_F(PinStageTest, AnUnreadableKernelIsNotRunNeverInstalled) {
  kernel_.fail_dump = true;
  PinOutcome out = stage_.Run(hosts_, maps_, local_, kNow);
  EXPECT_NE(out.error.find("pin reconcile failed"), std::string::npos);
  EXPECT_FALSE(out.facts.at("esx01").ran);
  EXPECT_FALSE(out.facts.at("esx01").installed);
}

TEST_F(PinStageTest, RepinMovesOneHostAndKeepsTheOthers) {
  stage_.Run(hosts_, maps_, local_, kNow);
  HostFacts moved = Facts("esx01", "10.99.0.21", "10.98.0.11", kNow + 10);
  auto rec = stage_.Repin(moved, MapNfc(moved.nfc, local_, MappingRules{}, {}), kNow + 10);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  auto s = kernel_.DumpOwned(stage_.ownership());
  ASSERT_TRUE(s.ok());
  std::vector<std::string> dst;
  for (const auto& r : s->routes)
    dst.push_back(r.destination.ToString());
  std::sort(dst.begin(), dst.end());
  EXPECT_EQ(dst, (std::vector<std::string>{"10.99.0.12", "10.99.0.21"}));
}

TEST_F(PinStageTest, RepinOfAnUnmappedAddressRemovesOnlyThatPin) {
  stage_.Run(hosts_, maps_, local_, kNow);
  HostFacts gone = Facts("esx02", "192.0.2.9", "10.98.0.12", kNow + 10);
  ASSERT_TRUE(stage_.Repin(gone, MapNfc(gone.nfc, local_, MappingRules{}, {}), kNow + 10).ok());
  EXPECT_EQ(Pins(), 1u);
}

TEST(PinReason, SaysWhyInOnePhrase) {
  pin::MapResult m;
  m.finding = "NO_MAPPING";
  m.detail = "no interface";
  EXPECT_EQ(PinReason(m), "not pinned: NO_MAPPING: no interface");
  m = {};
  m.ok = true;
  m.interface = "eth1";
  m.via = Ip("10.99.0.1");
  EXPECT_EQ(PinReason(m), "manual mapping via 10.99.0.1");
  m.via.reset();
  m.l2_adjacent = true;
  m.manual = true;
  EXPECT_EQ(PinReason(m), "mapping line: eth1");
}

}  // namespace
}  // namespace bnfc::proxyd
