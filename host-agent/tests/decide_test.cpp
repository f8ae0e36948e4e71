#include "hostagent/decide.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace bnfc::hostagent {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

VmknicInfo Vmk(const std::string& name, const std::string& ip, std::vector<std::string> tags,
               const std::string& netstack = kDefaultNetstack, const std::string& pg = "") {
  VmknicInfo v;
  v.name = name;
  v.netstack = netstack;
  v.enabled = true;
  v.mtu = 1500;
  v.portgroup = pg.empty() ? name + " pg" : pg;
  if (!ip.empty()) {
    Ipv4Config c;
    c.address = ip;
    c.netmask = "255.255.255.0";
    c.prefix = 24;
    v.ipv4 = c;
  }
  v.tags = std::move(tags);
  return v;
}

// vmk0 management, vmk1 vMotion stack, vmk2 backup.
HostState Host() {
  HostState h;
  h.vmknics.push_back(
      Vmk("vmk0", "10.98.0.11", {"Management"}, kDefaultNetstack, "Management Network"));
  h.vmknics.push_back(Vmk("vmk1", "10.97.0.11", {"VMotion"}, "vmotion", "vMotion"));
  h.vmknics.push_back(Vmk("vmk2", "10.99.0.11", {}, kDefaultNetstack, "Backup NFC"));
  return h;
}

std::vector<std::string> Codes(const std::vector<Finding>& f) {
  std::vector<std::string> out;
  for (const Finding& x : f) {
    out.push_back(x.code);
  }
  return out;
}

void Apply(HostState* h, const std::vector<TagAction>& actions) {
  for (const TagAction& a : actions) {
    VmknicInfo* v = h->Find(a.vmknic);
    auto& t = *v->tags;
    if (a.add) {
      t.push_back(kNfcTag);
    } else {
      t.erase(std::remove(t.begin(), t.end(), kNfcTag), t.end());
    }
  }
}

TEST(Select, ByNamePortgroupAndSubnet) {
  HostState h = Host();
  EXPECT_EQ(SelectBackupVmknic(h, Selector::ByName("vmk2")).vmknic, "vmk2");
  EXPECT_EQ(SelectBackupVmknic(h, Selector::ByPortgroup("Backup NFC")).vmknic, "vmk2");
  auto subnet = Selector::BySubnet("10.99.0.0/24");
  ASSERT_TRUE(subnet.ok());
  EXPECT_EQ(SelectBackupVmknic(h, *subnet).vmknic, "vmk2");
  auto host_bits = Selector::BySubnet("10.99.0.77/24");
  ASSERT_TRUE(host_bits.ok());
  EXPECT_EQ(host_bits->value, "10.99.0.0/24");
}

TEST(Select, NotFoundAndAmbiguous) {
  HostState h = Host();
  Selection none = SelectBackupVmknic(h, Selector::ByName("vmk7"));
  EXPECT_EQ(none.vmknic, "");
  ASSERT_TRUE(none.finding);
  EXPECT_EQ(none.finding->code, codes::kBackupVmkNotFound);
  EXPECT_NE(none.finding->detail.find("vmk0, vmk1, vmk2"), std::string::npos);
  auto wide = Selector::BySubnet("10.96.0.0/14");
  Selection two = SelectBackupVmknic(h, *wide);
  EXPECT_EQ(two.vmknic, "");
  EXPECT_EQ(two.finding->code, codes::kBackupVmkAmbiguous);
  EXPECT_FALSE(Selector::BySubnet("2001:db8::/64").ok());
  EXPECT_FALSE(Selector::BySubnet("nonsense").ok());
}

TEST(Validate, GoodBackupVmknicHasNoFindings) {
  HostState h = Host();
  EXPECT_THAT(ValidateBackupVmknic(h, "vmk2", "vmk0"), IsEmpty());
}

TEST(Validate, EachRefusalHasItsCode) {
  HostState h = Host();
  EXPECT_THAT(Codes(ValidateBackupVmknic(h, "vmk0", "vmk0")),
              ElementsAre(codes::kBackupVmkIsVmk0, codes::kBackupVmkIsManagement));
  EXPECT_THAT(Codes(ValidateBackupVmknic(h, "vmk1", "vmk0")), ElementsAre(codes::kWrongNetstack));
  h.Find("vmk2")->enabled = false;
  h.Find("vmk2")->ipv4.reset();
  EXPECT_THAT(Codes(ValidateBackupVmknic(h, "vmk2", "vmk0")),
              ElementsAre(codes::kBackupVmkDisabled, codes::kBackupVmkNoIpv4));
  EXPECT_THAT(Codes(ValidateBackupVmknic(h, "vmk9", "vmk0")),
              ElementsAre(codes::kBackupVmkNotFound));
}

TEST(Validate, ManagementTagOnAnotherVmknic) {
  HostState h = Host();
  h.Find("vmk2")->tags = std::vector<std::string>{"Management"};
  EXPECT_THAT(Codes(ValidateBackupVmknic(h, "vmk2", "vmk2")),
              ElementsAre(codes::kBackupVmkIsManagement));
}

TEST(Validate, UnknownNetstackOnOldBuildsIsNotRefused) {
  HostState h = Host();
  h.Find("vmk2")->netstack.reset();
  EXPECT_THAT(ValidateBackupVmknic(h, "vmk2", "vmk0"), IsEmpty());
}

TEST(Addresses, ManagementAndNfc) {
  HostState h = Host();
  EXPECT_EQ(ManagementVmknic(h), "vmk0");
  EXPECT_EQ(NfcVmknic(h), "");
  EXPECT_EQ(NfcAddress(h), "10.98.0.11");  // vmk0's when nothing carries the tag
  h.Find("vmk2")->tags->push_back(kNfcTag);
  EXPECT_EQ(NfcVmknic(h), "vmk2");
  EXPECT_EQ(NfcAddress(h), "10.99.0.11");
  h.Find("vmk0")->tags = std::vector<std::string>{};
  h.Find("vmk1")->tags = std::vector<std::string>{"Management"};
  EXPECT_EQ(ManagementVmknic(h), "vmk1");
}

TEST(Plan, EnsureAddsOnceAndIsIdempotent) {
  HostState h = Host();
  auto plan = PlanTagActions(h, "vmk2", TagPolicy::kEnsure, false);
  EXPECT_THAT(plan, ElementsAre(TagAction{"vmk2", true, ""}));
  Apply(&h, plan);
  EXPECT_THAT(PlanTagActions(h, "vmk2", TagPolicy::kEnsure, false), IsEmpty());
  // Other tags untouched.
  EXPECT_THAT(*h.Find("vmk0")->tags, ElementsAre("Management"));
}

TEST(Plan, ObserveNeverActs) {
  HostState h = Host();
  h.Find("vmk0")->tags->push_back(kNfcTag);
  EXPECT_THAT(PlanTagActions(h, "vmk2", TagPolicy::kObserve, true), IsEmpty());
}

TEST(Plan, ExclusiveRemovesElsewhereOnlyWhenAsked) {
  HostState h = Host();
  h.Find("vmk0")->tags->push_back(kNfcTag);
  EXPECT_THAT(PlanTagActions(h, "vmk2", TagPolicy::kEnsure, false),
              ElementsAre(TagAction{"vmk2", true, ""}));
  auto plan = PlanTagActions(h, "vmk2", TagPolicy::kEnsure, true);
  EXPECT_THAT(plan, ElementsAre(TagAction{"vmk2", true, ""}, TagAction{"vmk0", false, ""}));
  Apply(&h, plan);
  EXPECT_THAT(*h.Find("vmk0")->tags, ElementsAre("Management"));
  EXPECT_THAT(PlanTagActions(h, "vmk2", TagPolicy::kEnsure, true), IsEmpty());
}

TEST(Plan, UnreadTagsAreNotGuessed) {
  HostState h = Host();
  h.Find("vmk2")->tags.reset();
  EXPECT_THAT(PlanTagActions(h, "vmk2", TagPolicy::kEnsure, true), IsEmpty());
}

TEST(Plan, FailoverMoveAndMoveBack) {
  HostState h = Host();
  h.Find("vmk2")->tags->push_back(kNfcTag);
  auto away = PlanTagActions(h, "vmk0", TagPolicy::kEnsure, false, {"vmk2"});
  EXPECT_THAT(away, ElementsAre(TagAction{"vmk0", true, ""}, TagAction{"vmk2", false, ""}));
  Apply(&h, away);
  EXPECT_THAT(*h.Find("vmk0")->tags, ElementsAre("Management", kNfcTag));
  auto back = PlanTagActions(h, "vmk2", TagPolicy::kEnsure, false, {"vmk0"});
  EXPECT_THAT(back, ElementsAre(TagAction{"vmk2", true, ""}, TagAction{"vmk0", false, ""}));
  Apply(&h, back);
  EXPECT_THAT(*h.Find("vmk0")->tags, ElementsAre("Management"));
  EXPECT_THAT(PlanTagActions(h, "vmk2", TagPolicy::kEnsure, false, {"vmk0"}), IsEmpty());
}

TEST(TagFindingsTest, MissingOnManagementAndElsewhere) {
  HostState h = Host();
  EXPECT_THAT(Codes(TagFindings(h, "vmk2", "vmk0", false)), ElementsAre(codes::kTagMissing));
  h.Find("vmk0")->tags->push_back(kNfcTag);
  EXPECT_THAT(Codes(TagFindings(h, "vmk2", "vmk0", false)),
              ElementsAre(codes::kTagMissing, codes::kTagOnManagement));
  h.Find("vmk0")->tags = std::vector<std::string>{"Management"};
  h.Find("vmk2")->tags->push_back(kNfcTag);
  h.Find("vmk1")->tags->push_back(kNfcTag);
  EXPECT_THAT(Codes(TagFindings(h, "vmk2", "vmk0", false)), ElementsAre(codes::kTagOnOtherVmknic));
  h.Find("vmk1")->tags = std::vector<std::string>{"VMotion"};
  EXPECT_THAT(TagFindings(h, "vmk2", "vmk0", false), IsEmpty());
  EXPECT_TRUE(Ready(TagFindings(h, "vmk2", "vmk0", false)));
}

TEST(TagFindingsTest, FailoverActiveIsReportedAndBlocking) {
  HostState h = Host();
  h.Find("vmk0")->tags->push_back(kNfcTag);
  auto f = TagFindings(h, "vmk2", "vmk0", true);
  EXPECT_THAT(Codes(f), ElementsAre(codes::kFailoverActive));
  EXPECT_FALSE(Ready(f));
}

TEST(Failover, KBadCyclesMoveAndKGoodCyclesMoveBack) {
  FailoverState s;
  const int k = 3;
  for (int i = 0; i < k - 1; ++i) {
    FailoverStep st = StepFailover(s, CycleHealth::kBad, k);
    EXPECT_FALSE(st.moved_to_management);
    s = st.next;
  }
  EXPECT_EQ(s.bad_cycles, 2);
  FailoverStep moved = StepFailover(s, CycleHealth::kBad, k);
  EXPECT_TRUE(moved.moved_to_management);
  EXPECT_TRUE(moved.next.active);
  s = moved.next;
  // Further bad cycles keep it there without re-moving.
  FailoverStep still = StepFailover(s, CycleHealth::kBad, k);
  EXPECT_FALSE(still.moved_to_management);
  EXPECT_TRUE(still.next.active);
  s = still.next;
  for (int i = 0; i < k - 1; ++i) {
    FailoverStep st = StepFailover(s, CycleHealth::kGood, k);
    EXPECT_FALSE(st.moved_back);
    s = st.next;
  }
  FailoverStep back = StepFailover(s, CycleHealth::kGood, k);
  EXPECT_TRUE(back.moved_back);
  EXPECT_FALSE(back.next.active);
}

TEST(Failover, CountersNeedConsecutiveCyclesAndUnknownIsNeutral) {
  FailoverState s;
  s = StepFailover(s, CycleHealth::kBad, 2).next;
  s = StepFailover(s, CycleHealth::kUnknown, 2).next;
  EXPECT_EQ(s.bad_cycles, 1);
  s = StepFailover(s, CycleHealth::kGood, 2).next;  // resets the bad streak
  EXPECT_EQ(s.bad_cycles, 0);
  FailoverStep st = StepFailover(s, CycleHealth::kBad, 2);
  EXPECT_FALSE(st.moved_to_management);
  EXPECT_TRUE(StepFailover(st.next, CycleHealth::kBad, 2).moved_to_management);
}

// The state after a move to management: the tag on vmk0, not on the backup vmknic vmk2.
HostState FailedOverHost() {
  HostState h = Host();
  h.Find("vmk0")->tags->push_back(kNfcTag);
  return h;
}

TEST(ResumeFailover, TagOnManagementAndNotOnBackupResumesAsActive) {
  EXPECT_TRUE(ResumeFailoverActive(FailedOverHost(), "vmk2", "vmk0", /*failover_enabled=*/true,
                                   TagPolicy::kEnsure));
}

TEST(ResumeFailover, OnlyWithFailoverOnAndEnsure) {
  EXPECT_FALSE(ResumeFailoverActive(FailedOverHost(), "vmk2", "vmk0", /*failover_enabled=*/false,
                                    TagPolicy::kEnsure));
  EXPECT_FALSE(ResumeFailoverActive(FailedOverHost(), "vmk2", "vmk0", /*failover_enabled=*/true,
                                    TagPolicy::kObserve));
}

TEST(ResumeFailover, AnyOtherPlacementIsNotAFailover) {
  HostState nowhere = Host();
  EXPECT_FALSE(ResumeFailoverActive(nowhere, "vmk2", "vmk0", true, TagPolicy::kEnsure));
  HostState on_backup = Host();
  on_backup.Find("vmk2")->tags->push_back(kNfcTag);
  EXPECT_FALSE(ResumeFailoverActive(on_backup, "vmk2", "vmk0", true, TagPolicy::kEnsure));
  // On both: not the result of a failover move (that removes it from the backup vmknic).
  HostState on_both = FailedOverHost();
  on_both.Find("vmk2")->tags->push_back(kNfcTag);
  EXPECT_FALSE(ResumeFailoverActive(on_both, "vmk2", "vmk0", true, TagPolicy::kEnsure));
  // On another vmknic than management.
  HostState elsewhere = Host();
  elsewhere.Find("vmk1")->tags->push_back(kNfcTag);
  EXPECT_FALSE(ResumeFailoverActive(elsewhere, "vmk2", "vmk0", true, TagPolicy::kEnsure));
}

TEST(ResumeFailover, UnreadTagsAreNotGuessed) {
  HostState backup_unread = FailedOverHost();
  backup_unread.Find("vmk2")->tags.reset();
  EXPECT_FALSE(ResumeFailoverActive(backup_unread, "vmk2", "vmk0", true, TagPolicy::kEnsure));
  HostState management_unread = FailedOverHost();
  management_unread.Find("vmk0")->tags.reset();
  EXPECT_FALSE(ResumeFailoverActive(management_unread, "vmk2", "vmk0", true, TagPolicy::kEnsure));
  EXPECT_FALSE(ResumeFailoverActive(FailedOverHost(), "vmk2", "vmk9", true, TagPolicy::kEnsure));
  EXPECT_FALSE(ResumeFailoverActive(FailedOverHost(), "vmk0", "vmk0", true, TagPolicy::kEnsure));
}

}  // namespace
}  // namespace bnfc::hostagent

namespace bnfc::hostagent {
namespace {

// Every code the decisions emit is a row of protocol/findings.def that says the host sends it, so
// the proxy's verdict engine classifies it by its severity instead of as an unknown code.
TEST(FindingTable, EveryCodeTheDecisionsEmitIsAHostRow) {
  std::vector<Finding> all;
  auto add = [&](std::vector<Finding> f) { all.insert(all.end(), f.begin(), f.end()); };
  HostState h = Host();
  add({*SelectBackupVmknic(h, Selector::ByName("vmk7")).finding});
  add({*SelectBackupVmknic(h, *Selector::BySubnet("10.96.0.0/14")).finding});
  add(ValidateBackupVmknic(h, "vmk0", "vmk0"));
  add(ValidateBackupVmknic(h, "vmk1", "vmk0"));
  add(ValidateBackupVmknic(h, "vmk9", "vmk0"));
  add(ValidateFailoverTarget(h, "vmk9"));
  add(ValidateFailoverTarget(h, "vmk1"));
  add(TagFindings(h, "vmk2", "vmk0", false));
  add({PlannedFinding(TagAction{"vmk2", true, "ensure"}, {"no consent"}),
       PlannedFinding(TagAction{"vmk3", false, "exclusive"}, {"no consent"})});
  h.Find("vmk0")->tags->push_back(kNfcTag);
  h.Find("vmk1")->tags->push_back(kNfcTag);
  add(TagFindings(h, "vmk2", "vmk0", false));
  add(TagFindings(h, "vmk2", "vmk0", true));
  h.Find("vmk2")->enabled = false;
  h.Find("vmk2")->ipv4.reset();
  add(ValidateBackupVmknic(h, "vmk2", "vmk0"));

  std::set<std::string> seen;
  for (const Finding& f : all) {
    seen.insert(f.code);
    const auto code = findings::Find(f.code);
    ASSERT_TRUE(code.has_value()) << f.code << " is not in protocol/findings.def";
    EXPECT_TRUE(findings::EmittedByHost(*code)) << f.code << " is not marked as sent by the host";
  }
  // The scenarios above reach every code the decisions can emit.
  EXPECT_EQ(seen,
            (std::set<std::string>{
                codes::kBackupVmkNotFound, codes::kBackupVmkAmbiguous, codes::kBackupVmkIsVmk0,
                codes::kBackupVmkIsManagement, codes::kWrongNetstack, codes::kBackupVmkDisabled,
                codes::kBackupVmkNoIpv4, codes::kFailoverTargetInvalid, codes::kTagMissing,
                codes::kTagOnManagement, codes::kTagOnOtherVmknic, codes::kFailoverActive,
                codes::kPlannedTagAdd, codes::kPlannedTagRemove}));
}

}  // namespace
}  // namespace bnfc::hostagent
