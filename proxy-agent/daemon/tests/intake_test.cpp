// Intake: a host report becomes typed facts once; addresses are parsed there and nowhere later.
#include "intake.h"

#include <gtest/gtest.h>

namespace bnfc::proxyd {
namespace {

proto::HostReport Report(const std::string& nfc) {
  proto::HostReport r;
  r.mutable_host()->set_hostname("esx01");
  r.set_nfc_vmknic("vmk2");
  r.set_nfc_address(nfc);
  r.set_management_vmknic("vmk0");
  r.set_management_address("10.98.0.11");
  proto::Vmknic* v = r.add_vmknics();
  v->set_name("vmk2");
  v->mutable_ipv4()->set_address("10.99.0.11");
  v->mutable_ipv4()->set_prefix_length(24);
  r.set_backup_vmknic("vmk2");
  proto::L2Check* c = r.add_checks();
  c->set_proxy_address("10.99.0.100");
  c->set_ran(true);
  return r;
}

TEST(Intake, AgentReportBecomesTypedFactsWithParsedAddresses) {
  HostTable table;
  table.Update("esx01", "10.98.0.11", "rid", Report("10.99.0.11"), 1000);
  HostFactsTable facts = Intake(table);
  ASSERT_EQ(facts.size(), 1u);
  const HostFacts& f = facts.at("esx01");
  EXPECT_EQ(f.source, FactsSource::kAgent);
  EXPECT_STREQ(FactsSourceName(f.source), "agent");
  EXPECT_EQ(f.received_ms, 1000);
  ASSERT_TRUE(f.nfc.usable());
  EXPECT_EQ(*f.nfc.ip, *net::IpAddress::Parse("10.99.0.11"));
  ASSERT_TRUE(f.management.usable());
  EXPECT_EQ(f.management.ip->ToString(), "10.98.0.11");
  EXPECT_EQ(f.backup.text, "10.99.0.11");
  EXPECT_EQ(f.control_peer.ip->ToString(), "10.98.0.11");
  EXPECT_EQ(f.host.hostname, "esx01");
  EXPECT_EQ(f.host.nfc_address, "10.99.0.11");
  // The host's checks are kept apart from the host side, and present: the agent ran them.
  EXPECT_TRUE(f.host.checks.empty());
  ASSERT_TRUE(f.l2_checks.has_value());
  ASSERT_EQ(f.l2_checks->size(), 1u);
  EXPECT_EQ((*f.l2_checks)[0].proxy_address, "10.99.0.100");
}

TEST(Intake, UnusableAddressKeepsItsTextAndNoValue) {
  HostTable table;
  table.Update("esx01", "", "rid", Report("not-an-address"), 1000);
  const HostFacts f = Intake(table).at("esx01");
  EXPECT_FALSE(f.nfc.usable());
  EXPECT_EQ(f.nfc.text, "not-an-address");
  EXPECT_FALSE(f.control_peer.usable());
  EXPECT_TRUE(f.control_peer.text.empty());
}

TEST(Intake, BackupAddressFallsBackToTheNfcAddressWithoutABackupVmknic) {
  proto::HostReport r = Report("10.99.0.12");
  r.clear_backup_vmknic();
  HostTable table;
  table.Update("esx01", "10.98.0.11", "rid", r, 1000);
  EXPECT_EQ(Intake(table).at("esx01").backup.ip->ToString(), "10.99.0.12");
}

TEST(Intake, TagChangesComeFromAnAgentAndNotFromTheVsphereApi) {
  proto::HostReport r = Report("10.99.0.11");
  proto::TagChange* c = r.add_changes();
  c->set_vmknic("vmk2");
  c->set_action("add");
  c->set_reason("ensure");
  c->set_at_unix_ms(900);
  c->set_ok(true);
  HostTable table;
  table.Update("esx01", "10.98.0.11", "rid", r, 1000);
  const HostFacts agent = Intake(table).at("esx01");
  ASSERT_TRUE(agent.agent_changes.has_value());
  ASSERT_EQ(agent.agent_changes->size(), 1u);
  EXPECT_EQ((*agent.agent_changes)[0].vmknic, "vmk2");
  EXPECT_EQ((*agent.agent_changes)[0].action, "add");

  table.Mutable("esx01")->source = "vsphere";
  const HostFacts api = Intake(table).at("esx01");
  EXPECT_EQ(api.source, FactsSource::kVsphere);
  EXPECT_FALSE(api.agent_changes.has_value());
  EXPECT_FALSE(api.l2_checks.has_value());
}

TEST(Intake, UnderEnsureTheProxysApiChangesAreShownAsItsOwn) {
  proto::HostReport r = Report("10.99.0.11");
  r.clear_checks();
  r.set_tag_policy("ensure");
  r.mutable_vmknics(0)->set_mtu(9000);
  proto::TagChange* c = r.add_changes();
  c->set_vmknic("vmk2");
  c->set_action("add");
  c->set_ok(false);
  c->set_refused(true);
  HostTable table;
  table.Update("esx01", "", "", r, 1000);
  table.Mutable("esx01")->source = "vsphere";
  table.Mutable("esx01")->source_name = "vc1";
  const HostFacts f = Intake(table).at("esx01");
  ASSERT_TRUE(f.agent_changes.has_value());
  ASSERT_EQ(f.agent_changes->size(), 1u);
  EXPECT_EQ((*f.agent_changes)[0].by, "bnfc-proxyd through the vSphere API (source vc1)");
  EXPECT_TRUE((*f.agent_changes)[0].refused);
  EXPECT_EQ(f.backup_mtu, 9000u);
}

// The agent moved the tag after the last API read: the two disagree from that report on, not
// only from the next read.
TEST(Intake, TheCrossCheckFollowsTheAgentsLatestReport) {
  HostTable table;
  table.Update("esx01", "10.98.0.11", "rid", Report("10.98.0.11"), 1000);
  HostEntry* e = table.Mutable("esx01");
  e->api_view = Report("10.98.0.11");
  e->api_view_source = "vc1";
  EXPECT_EQ(Intake(table).at("esx01").source_disagreement, "");
  table.Update("esx01", "10.98.0.11", "rid", Report("10.99.0.11"), 2000);
  const std::string d = Intake(table).at("esx01").source_disagreement;
  EXPECT_NE(d.find("agent: NFC address 10.99.0.11"), std::string::npos) << d;
  EXPECT_NE(d.find("vc1: 10.98.0.11"), std::string::npos) << d;
}

TEST(AddressFact, ParsesIpv6AndRejectsAPrefix) {
  EXPECT_EQ(AddressFact::Of("fd00::5").ip->family, net::Family::kIPv6);
  EXPECT_FALSE(AddressFact::Of("10.0.0.1/24").usable());
  EXPECT_FALSE(AddressFact::Of("").usable());
}

}  // namespace
}  // namespace bnfc::proxyd
