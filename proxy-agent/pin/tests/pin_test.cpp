#include <gtest/gtest.h>

#include <algorithm>

#include "fake_kernel.h"
#include "pin.h"

namespace bnfc::pin {
namespace {

using testing::FakeKernel;

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
  EXPECT_FALSE(m.manual);
  EXPECT_EQ(m.interface, "eth1");
  EXPECT_EQ(m.ifindex, 3);
  EXPECT_EQ(m.source, Ip("10.99.0.100"));
  EXPECT_EQ(m.finding, "");
}

TEST(MapTest, AutomaticIPv6) {
  std::vector<LocalAddress> local = {Local("eth1", 3, "fe80::1/64"),
                                     Local("eth1", 3, "fd00:99::100/64"),
                                     Local("eth2", 4, "fe80::2/64")};
  auto m = Map(Ip("fd00:99::11"), local, {}, {});
  EXPECT_TRUE(m.ok);
  EXPECT_EQ(m.interface, "eth1");
  EXPECT_EQ(m.source, Ip("fd00:99::100"));
}

TEST(MapTest, AmbiguityAndNoMatchAreFindingsNotGuesses) {
  std::vector<LocalAddress> local = {Local("eth1", 3, "10.99.0.100/24"),
                                     Local("eth2", 4, "10.99.0.200/24")};
  auto ambiguous = Map(Ip("10.99.0.11"), local, {}, {});
  EXPECT_FALSE(ambiguous.ok);
  EXPECT_EQ(ambiguous.finding, "AMBIGUOUS_MAPPING");
  EXPECT_NE(ambiguous.detail.find("eth1"), std::string::npos);
  EXPECT_NE(ambiguous.detail.find("eth2"), std::string::npos);
  auto none = Map(Ip("10.77.0.11"), local, {}, {});
  EXPECT_FALSE(none.ok);
  EXPECT_EQ(none.finding, "NO_MAPPING");
}

TEST(MapTest, AMappingLineSettlesAnAmbiguity) {
  std::vector<LocalAddress> local = {Local("eth1", 3, "10.99.0.100/24"),
                                     Local("eth2", 4, "10.99.0.200/24")};
  std::vector<ManualMapping> manual = {{*net::Prefix::Parse("10.99.0.0/24"), "eth2", {}}};
  auto m = Map(Ip("10.99.0.11"), local, manual, {});
  EXPECT_TRUE(m.ok);
  EXPECT_TRUE(m.manual);
  EXPECT_EQ(m.interface, "eth2");
  EXPECT_EQ(m.source, Ip("10.99.0.200"));
  EXPECT_EQ(m.finding, "");
}

TEST(MapTest, LinkLocalSubnetsNeverMapAutomatically) {
  // Every IPv6 interface holds fe80::/64: an fe80 NFC address must not pick one of them.
  std::vector<LocalAddress> local = {Local("eth1", 3, "fe80::1/64")};
  auto m = Map(Ip("fe80::11"), local, {}, {});
  EXPECT_FALSE(m.ok);
  EXPECT_EQ(m.finding, "NO_MAPPING");
}

TEST(MapTest, AllowedInterfacesExcludeManagement) {
  std::vector<LocalAddress> local = {Local("eth0", 2, "10.98.0.100/24"),
                                     Local("eth1", 3, "10.99.0.100/24")};
  auto m = Map(Ip("10.98.0.11"), local, {}, {"eth1"});
  EXPECT_FALSE(m.ok);
  EXPECT_EQ(m.finding, "NO_MAPPING");
  // A mapping line cannot smuggle the management interface in either.
  std::vector<ManualMapping> manual = {{*net::Prefix::Parse("10.77.0.0/16"), "eth0", {}}};
  auto line = Map(Ip("10.77.0.1"), local, manual, {"eth1"});
  EXPECT_FALSE(line.ok);
  EXPECT_NE(line.detail.find("not a backup_interface"), std::string::npos);
}

TEST(MapTest, TheManagementPathsInterfaceIsNeverChosenAutomatically) {
  // One card with a management and a backup address: no backup_interface configured, still the
  // management path's interface is not a backup path.
  std::vector<LocalAddress> local = {Local("eth0", 2, "10.98.0.100/24"),
                                     Local("eth0", 2, "10.99.0.100/24")};
  auto m = Map(Ip("10.99.0.11"), local, {}, {}, {"eth0"});
  EXPECT_FALSE(m.ok);
  EXPECT_EQ(m.finding, "NO_MAPPING");
  EXPECT_TRUE(m.management_excluded);
  EXPECT_NE(m.detail.find("eth0"), std::string::npos);
  // Without the exclusion the same kernel state would map (what the exclusion prevents).
  EXPECT_TRUE(Map(Ip("10.99.0.11"), local, {}, {}).ok);
  // An explicit mapping line is followed (the disjoint-path check judges it).
  std::vector<ManualMapping> manual = {{*net::Prefix::Parse("10.99.0.0/24"), "eth0", {}}};
  auto line = Map(Ip("10.99.0.11"), local, manual, {}, {"eth0"});
  EXPECT_TRUE(line.ok);
  EXPECT_EQ(line.interface, "eth0");
  // Another card on the subnet is used; the management one does not make it ambiguous.
  local.push_back(Local("eth1", 3, "10.99.0.101/24"));
  auto other = Map(Ip("10.99.0.11"), local, {}, {}, {"eth0"});
  EXPECT_TRUE(other.ok);
  EXPECT_EQ(other.interface, "eth1");
  // Nothing on the subnet at all: plain NO_MAPPING.
  auto none = Map(Ip("10.77.0.11"), local, {}, {}, {"eth0"});
  EXPECT_EQ(none.finding, "NO_MAPPING");
  EXPECT_FALSE(none.management_excluded);
}

TEST(MapTest, ManualTableMostSpecificWinsAndGatewayIsFlagged) {
  std::vector<LocalAddress> local = {Local("eth1", 3, "10.99.0.100/24"),
                                     Local("eth2", 4, "fe80::2/64"),
                                     Local("eth2", 4, "fd00:99::100/64")};
  std::vector<ManualMapping> manual = {
      {*net::Prefix::Parse("10.77.0.0/16"), "eth1", Ip("10.99.0.1")},
      {*net::Prefix::Parse("10.77.5.0/24"), "eth1", std::nullopt},
      {*net::Prefix::Parse("fd00:77::/64"), "eth2", std::nullopt}};
  auto routed = Map(Ip("10.77.1.1"), local, manual, {});
  EXPECT_TRUE(routed.ok);
  EXPECT_FALSE(routed.l2_adjacent);
  EXPECT_EQ(routed.via, Ip("10.99.0.1"));
  EXPECT_EQ(routed.finding, "NOT_L2_ADJACENT");
  auto direct = Map(Ip("10.77.5.1"), local, manual, {});
  EXPECT_TRUE(direct.ok);
  EXPECT_TRUE(direct.l2_adjacent);
  EXPECT_EQ(direct.finding, "");
  auto v6 = Map(Ip("fd00:77::11"), local, manual, {});
  EXPECT_TRUE(v6.ok);
  EXPECT_EQ(v6.source, Ip("fd00:99::100"));  // never the link-local address
}

TEST(MapTest, MappingToAMissingInterfaceOrFamilyIsNoMapping) {
  std::vector<LocalAddress> local = {Local("eth1", 3, "10.99.0.100/24")};
  std::vector<ManualMapping> manual = {{*net::Prefix::Parse("10.77.0.0/16"), "eth9", {}},
                                       {*net::Prefix::Parse("fd00:77::/64"), "eth1", {}}};
  auto missing = Map(Ip("10.77.0.1"), local, manual, {});
  EXPECT_EQ(missing.finding, "NO_MAPPING");
  EXPECT_NE(missing.detail.find("does not exist"), std::string::npos);
  auto family = Map(Ip("fd00:77::1"), local, manual, {});
  EXPECT_EQ(family.finding, "NO_MAPPING");
  EXPECT_NE(family.detail.find("no usable address"), std::string::npos);
}

TEST(MapTest, DownInterfaceIsReported) {
  auto m = Map(Ip("10.99.0.11"), {Local("eth1", 3, "10.99.0.100/24", false)}, {}, {});
  EXPECT_TRUE(m.ok);
  EXPECT_EQ(m.finding, "INTERFACE_DOWN");
}

TEST(DiffTest, KeepsCorrectEntriesRemovesStaleAddsMissingReplacesMoved) {
  Ownership own;
  KernelState have;
  have.routes = {R("10.99.0.11", 3, "10.99.0.100"), R("10.99.0.12", 3, "10.99.0.100"),
                 R("10.99.0.13", 4, "10.99.0.100")};
  have.rules = {{net::Family::kIPv4, own.priority, own.table, own.dport},
                {net::Family::kIPv6, own.priority, own.table, own.dport}};
  std::vector<Route> want = {R("10.99.0.11", 3, "10.99.0.100"), R("10.99.0.13", 3, "10.99.0.100"),
                             R("10.99.0.14", 3, "10.99.0.100")};
  Diff d = ComputeDiff(have, want, DesiredRules(want, own));
  EXPECT_EQ(d.kept, 2u);  // one route, the IPv4 rule
  ASSERT_EQ(d.del_routes.size(), 1u);
  EXPECT_EQ(d.del_routes[0].destination, Ip("10.99.0.12"));
  ASSERT_EQ(d.replace_routes.size(), 1u);  // .13 moves to ifindex 3 in place
  EXPECT_EQ(d.replace_routes[0].ifindex, 3);
  ASSERT_EQ(d.add_routes.size(), 1u);
  EXPECT_EQ(d.add_routes[0].destination, Ip("10.99.0.14"));
  ASSERT_EQ(d.del_rules.size(), 1u);  // no IPv6 pins: the IPv6 rule goes
  EXPECT_EQ(d.del_rules[0].family, net::Family::kIPv6);
  EXPECT_TRUE(d.add_rules.empty());
}

TEST(DiffTest, OursElsewhereIsStaleAndNeverMatchesAPin) {
  Ownership own;
  KernelState have;
  Route other_table = R("10.99.0.11", 3, "10.99.0.100");
  other_table.table = 903;  // the table before a configuration change
  Route subnet = R("10.99.0.0", 3, "10.99.0.100");
  subnet.length = 24;
  have.routes = {other_table, subnet};
  Rule odd(net::Family::kIPv4, own.priority, own.table, own.dport);
  odd.extra = true;  // e.g. `from 1.2.3.4` added by hand with our protocol
  Rule old_priority(net::Family::kIPv4, 100, own.table, own.dport);
  have.rules = {odd, old_priority};
  std::vector<Route> want = {R("10.99.0.11", 3, "10.99.0.100")};
  Diff d = ComputeDiff(have, want, DesiredRules(want, own));
  EXPECT_EQ(d.kept, 0u);
  EXPECT_EQ(d.del_routes.size(), 2u);
  EXPECT_EQ(d.add_routes.size(), 1u);
  EXPECT_TRUE(d.replace_routes.empty());
  EXPECT_EQ(d.del_rules.size(), 2u);
  EXPECT_EQ(d.add_rules.size(), 1u);
}

TEST(DiffTest, DuplicatesOfOursAreCollapsedAndDuplicateWantsIgnored) {
  KernelState have;
  Route a = R("10.99.0.11", 3, "10.99.0.100");
  Route b = a;
  b.metric = 5;  // same pin twice, different metric
  have.routes = {b, a};
  std::vector<Route> want = {a, a};
  Diff d = ComputeDiff(have, want, {});
  EXPECT_EQ(d.kept, 1u);
  EXPECT_EQ(d.del_routes.size(), 1u);
  EXPECT_TRUE(d.add_routes.empty());
}

TEST(DiffTest, RuleCountDoesNotGrowWithHosts) {
  std::vector<Route> want;
  for (int i = 1; i < 250; ++i) {
    want.push_back(R(("10.99.1." + std::to_string(i)).c_str(), 3, "10.99.0.100"));
  }
  EXPECT_EQ(DesiredRules(want, Ownership{}).size(), 1u);
  want.push_back({Ip("fd00:99::11"), 3, {}, Ip("fd00:99::100")});
  EXPECT_EQ(DesiredRules(want, Ownership{}).size(), 2u);
  EXPECT_TRUE(DesiredRules({}, Ownership{}).empty());
}

TEST(ReconcileTest, SecondReconcileMakesNoKernelCall) {
  FakeKernel k;
  std::vector<Route> want = {R("10.99.0.11", 3, "10.99.0.100")};
  Pinner pinner(k, Ownership{});
  auto first = pinner.Reconcile(want);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->added, 2u);  // route + IPv4 rule
  auto second = pinner.Reconcile(want);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->changes(), 0u);
  EXPECT_EQ(second->kept, 2u);
  EXPECT_EQ(k.applies, 1u);
  EXPECT_EQ(k.changes, 2u);
}

TEST(ReconcileTest, ForeignEntriesAreNeitherReadNorTouchedAndConflictsAreCounted) {
  FakeKernel k;
  Ownership own;
  k.AddForeignRoute(R("10.99.0.11", 3, "10.99.0.100"), own.table, 4);  // static, our table
  k.AddForeignRoute(R("10.99.0.12", 3, "10.99.0.100"), 254, 3);        // boot, main table
  k.rules.push_back({Rule(net::Family::kIPv4, own.priority, own.table, own.dport), 4});
  std::vector<Route> want = {R("10.99.0.11", 3, "10.99.0.100"), R("10.99.0.12", 3, "10.99.0.100")};
  auto r = Reconcile(k, own, want);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errors, 1u);  // .11 is taken by the static route in our table
  ASSERT_EQ(r->refused.size(), 1u);
  EXPECT_NE(r->refused[0].find("10.99.0.11"), std::string::npos);
  EXPECT_EQ(r->added, 2u);  // .12 in our table and our rule
  auto stop = Pinner(k, own).Stop(false);
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->removed, 2u);
  ASSERT_EQ(k.routes.size(), 2u);
  EXPECT_EQ(k.routes[0].protocol, 4);
  EXPECT_EQ(k.routes[1].protocol, 3);
  ASSERT_EQ(k.rules.size(), 1u);
  EXPECT_EQ(k.rules[0].protocol, 4);
}

TEST(ReconcileTest, RetainKeepsEverythingAndDumpFailureChangesNothing) {
  FakeKernel k;
  std::vector<Route> want = {R("10.99.0.11", 3, "10.99.0.100")};
  ASSERT_TRUE(Reconcile(k, Ownership{}, want).ok());
  auto kept = Pinner(k, Ownership{}).Stop(true);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(k.routes.size(), 1u);
  k.fail_dump = true;
  EXPECT_FALSE(Reconcile(k, Ownership{}, {}).ok());
  EXPECT_EQ(k.routes.size(), 1u);
}

TEST(PinTableTest, MovesExpiryAndSharedAddresses) {
  PinTable t;
  t.Update({"esx01", Ip("10.99.0.11"), "eth1", 3, {}, Ip("10.99.0.100"), 1000});
  t.Update({"esx02", Ip("10.99.0.12"), "eth1", 3, {}, Ip("10.99.0.100"), 1000});
  ASSERT_EQ(t.Desired().size(), 2u);
  // esx01's NFC address changes: the pin moves, the old address is no longer wanted.
  t.Update({"esx01", Ip("10.99.0.21"), "eth1", 3, {}, Ip("10.99.0.100"), 2000});
  auto want = t.Desired();
  ASSERT_EQ(want.size(), 2u);
  EXPECT_TRUE(std::none_of(want.begin(), want.end(),
                           [](const Route& r) { return r.destination == Ip("10.99.0.11"); }));
  // esx02 goes silent: it keeps its pin until the TTL.
  EXPECT_TRUE(t.Expire(5000, 4000).empty());
  EXPECT_EQ(t.Desired().size(), 2u);
  auto gone = t.Expire(5001, 4000);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], "esx02");
  EXPECT_EQ(t.Desired().size(), 1u);
  // Two hosts with one address: one route, the latest report decides, and it is reported.
  t.Update({"esx03", Ip("10.99.0.21"), "eth2", 4, {}, Ip("10.99.1.100"), 6000});
  want = t.Desired();
  ASSERT_EQ(want.size(), 1u);
  EXPECT_EQ(want[0].ifindex, 4);
  auto shared = t.SharedAddresses();
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(shared["10.99.0.21"].size(), 2u);
  t.Remove("esx01");
  t.Remove("esx03");
  EXPECT_TRUE(t.Desired().empty());
}

TEST(FlowTest, ClassifiesOnAndOffBackupAndManagement) {
  std::vector<FlowTarget> targets = {{"esx01", Ip("10.99.0.11"), 3, Ip("10.98.0.11")},
                                     {"esx02", Ip("10.99.0.12"), 0, Ip("10.98.0.12")}};
  auto flow = [](const char* src, const char* dst, int oif) {
    Flow f;
    f.source = Ip(src);
    f.destination = Ip(dst);
    f.sport = 40000;
    f.dport = 902;
    f.oif = oif;
    return f;
  };
  std::vector<Flow> flows = {flow("10.99.0.100", "10.99.0.11", 3),  // on backup
                             flow("10.98.0.100", "10.99.0.11", 2),  // NFC, wrong interface
                             flow("10.98.0.100", "10.98.0.11", 2),  // management address
                             flow("10.98.0.100", "10.99.0.12", 2),  // NFC, nothing mapped
                             flow("10.98.0.100", "10.50.0.1", 2)};  // not ours to judge
  auto c = ClassifyFlows(flows, targets, {{2, "eth0"}, {3, "eth1"}});
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].cls, FlowClass::kOnBackup);
  EXPECT_EQ(c[0].host_id, "esx01");
  EXPECT_EQ(c[1].cls, FlowClass::kOffBackup);
  EXPECT_NE(c[1].reason.find("leaves through eth0, not the backup interface eth1"),
            std::string::npos);
  EXPECT_EQ(c[2].cls, FlowClass::kOffBackup);
  EXPECT_EQ(c[2].host_id, "esx01");
  EXPECT_NE(c[2].reason.find("management address"), std::string::npos);
  EXPECT_EQ(c[3].cls, FlowClass::kOffBackup);
  EXPECT_EQ(c[3].host_id, "esx02");
  EXPECT_EQ(c[4].cls, FlowClass::kUnrelated);
  EXPECT_TRUE(c[4].host_id.empty());
}

TEST(FlowTest, FakeKernelRoutesPinnedFlowsThroughOurTable) {
  FakeKernel k;
  k.main_oif = 2;
  ASSERT_TRUE(Reconcile(k, Ownership{}, {R("10.99.0.11", 3, "10.99.0.100")}).ok());
  Flow f;
  f.source = Ip("10.99.0.100");
  f.destination = Ip("10.99.0.11");
  f.dport = 902;
  k.flows = {f};
  auto flows = k.Flows(902);
  ASSERT_TRUE(flows.ok());
  ASSERT_EQ(flows->size(), 1u);
  EXPECT_EQ((*flows)[0].oif, 3);
  EXPECT_EQ((*flows)[0].table, 902);
}

}  // namespace
}  // namespace bnfc::pin
