#include <gtest/gtest.h>

#include <algorithm>

#include "pin.h"

namespace bnfc::pin {
namespace {

net::IpAddress Ip(const char* s) {
  return *net::IpAddress::Parse(s);
}
LocalAddress Local(const char* iface, int idx, const char* prefix, bool up = true) {
  return {iface, "", idx, *net::Prefix::Parse(prefix), 9000, up};
}
Route R(const char* dst, int ifindex, const char* src) {
  return {Ip(dst), ifindex, {}, Ip(src)};
}

TEST(MapTest, AutomaticWhenExactlyOneInterfaceHoldsTheSubnet) {
  std::vector<LocalAddress> local = {Local("eth0", 2, "10.98.0.100/24"),
                                     Local("eth1", 3, "10.99.0.100/24")};
  auto m = Map(Ip("10.99.0.11"), local, {}, {});
  EXPECT_TRUE(m.ok);
  EXPECT_TRUE(m.l2_adjacent);
  EXPECT_EQ(m.interface, "eth1");
  EXPECT_EQ(m.source, Ip("10.99.0.100"));
  EXPECT_EQ(m.finding, "");
}

TEST(MapTest, AmbiguityAndNoMatchAreFindingsNotGuesses) {
  std::vector<LocalAddress> local = {Local("eth1", 3, "10.99.0.100/24"),
                                     Local("eth2", 4, "10.99.0.200/24")};
  auto ambiguous = Map(Ip("10.99.0.11"), local, {}, {});
  EXPECT_FALSE(ambiguous.ok);
  EXPECT_EQ(ambiguous.finding, "AMBIGUOUS_MAPPING");
  auto none = Map(Ip("10.77.0.11"), local, {}, {});
  EXPECT_FALSE(none.ok);
  EXPECT_EQ(none.finding, "NO_MAPPING");
}

TEST(MapTest, AllowedInterfacesExcludeManagement) {
  std::vector<LocalAddress> local = {Local("eth0", 2, "10.98.0.100/24"),
                                     Local("eth1", 3, "10.99.0.100/24")};
  auto m = Map(Ip("10.98.0.11"), local, {}, {"eth1"});
  EXPECT_FALSE(m.ok);
  EXPECT_EQ(m.finding, "NO_MAPPING");
}

TEST(MapTest, ManualTableMostSpecificWinsAndGatewayIsFlagged) {
  std::vector<LocalAddress> local = {Local("eth1", 3, "10.99.0.100/24"),
                                     Local("eth2", 4, "fd00:99::100/64")};
  std::vector<ManualMapping> manual = {
      {*net::Prefix::Parse("10.77.0.0/16"), "eth1", Ip("10.99.0.1")},
      {*net::Prefix::Parse("10.77.5.0/24"), "eth1", std::nullopt},
      {*net::Prefix::Parse("fd00:77::/64"), "eth2", std::nullopt}};
  auto routed = Map(Ip("10.77.1.1"), local, manual, {});
  EXPECT_TRUE(routed.ok);
  EXPECT_FALSE(routed.l2_adjacent);
  EXPECT_EQ(routed.finding, "NOT_L2_ADJACENT");
  auto direct = Map(Ip("10.77.5.1"), local, manual, {});
  EXPECT_TRUE(direct.ok);
  EXPECT_TRUE(direct.l2_adjacent);
  auto v6 = Map(Ip("fd00:77::11"), local, manual, {});
  EXPECT_TRUE(v6.ok);
  EXPECT_EQ(v6.source, Ip("fd00:99::100"));
}

TEST(MapTest, DownInterfaceIsReported) {
  auto m = Map(Ip("10.99.0.11"), {Local("eth1", 3, "10.99.0.100/24", false)}, {}, {});
  EXPECT_TRUE(m.ok);
  EXPECT_EQ(m.finding, "INTERFACE_DOWN");
}

TEST(DiffTest, KeepsCorrectEntriesRemovesStaleAddsMissing) {
  Ownership own;
  KernelState have;
  have.routes = {R("10.99.0.11", 3, "10.99.0.100"), R("10.99.0.12", 3, "10.99.0.100"),
                 R("10.99.0.13", 4, "10.99.0.100")};
  have.rules = {{net::Family::kIPv4, own.priority, own.table, own.dport},
                {net::Family::kIPv6, own.priority, own.table, own.dport}};
  std::vector<Route> want = {R("10.99.0.11", 3, "10.99.0.100"), R("10.99.0.13", 3, "10.99.0.100"),
                             R("10.99.0.14", 3, "10.99.0.100")};
  Diff d = ComputeDiff(have, want, DesiredRules(want, own));
  EXPECT_EQ(d.kept, 2u);               // one route, the IPv4 rule
  ASSERT_EQ(d.del_routes.size(), 2u);  // .12 stale, .13 moved interface
  ASSERT_EQ(d.add_routes.size(), 2u);  // .13 on the right interface, .14 new
  ASSERT_EQ(d.del_rules.size(), 1u);   // no IPv6 pins: the IPv6 rule goes
  EXPECT_EQ(d.del_rules[0].family, net::Family::kIPv6);
  EXPECT_TRUE(d.add_rules.empty());
}

TEST(DiffTest, RuleCountDoesNotGrowWithHosts) {
  std::vector<Route> want;
  for (int i = 1; i < 250; ++i) {
    want.push_back(R(("10.99.1." + std::to_string(i)).c_str(), 3, "10.99.0.100"));
  }
  want.push_back({Ip("fd00:99::11"), 3, {}, Ip("fd00:99::100")});
  EXPECT_EQ(DesiredRules(want, Ownership{}).size(), 2u);
  EXPECT_TRUE(DesiredRules({}, Ownership{}).empty());
}

class FakeKernel : public Kernel {
 public:
  Expected<std::vector<LocalAddress>> Addresses() override { return std::vector<LocalAddress>{}; }
  Expected<KernelState> DumpOwned(const Ownership&) override { return state; }
  Status Apply(const Ownership&, const std::vector<Route>& add, const std::vector<Route>& del,
               const std::vector<Rule>& add_rules, const std::vector<Rule>& del_rules) override {
    applies++;
    for (const auto& r : del) {
      state.routes.erase(std::remove(state.routes.begin(), state.routes.end(), r),
                         state.routes.end());
    }
    for (const auto& r : del_rules) {
      state.rules.erase(std::remove(state.rules.begin(), state.rules.end(), r), state.rules.end());
    }
    state.routes.insert(state.routes.end(), add.begin(), add.end());
    state.rules.insert(state.rules.end(), add_rules.begin(), add_rules.end());
    return OkStatus();
  }
  Expected<std::string> NeighborMac(int, const net::IpAddress&) override { return std::string(); }
  Expected<std::vector<Flow>> Flows(int) override { return std::vector<Flow>{}; }
  KernelState state;
  int applies = 0;
};

TEST(ReconcileTest, SecondReconcileMakesNoKernelCall) {
  FakeKernel k;
  std::vector<Route> want = {R("10.99.0.11", 3, "10.99.0.100")};
  auto first = Reconcile(k, Ownership{}, want);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->added, 2u);  // route + IPv4 rule
  auto second = Reconcile(k, Ownership{}, want);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->added + second->removed, 0u);
  EXPECT_EQ(k.applies, 1);
}

}  // namespace
}  // namespace bnfc::pin
