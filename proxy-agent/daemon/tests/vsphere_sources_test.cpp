#include "vsphere_sources.h"

#include <gtest/gtest.h>

namespace bnfc::proxyd {
namespace {

vsphere::VsphereHost ApiHost(const std::string& id, const std::string& nfc) {
  vsphere::VsphereHost h;
  h.host_id = id;
  h.report.set_nfc_vmknic("vmk1");
  h.report.set_nfc_address(nfc);
  h.report.set_management_address("10.0.0.11");
  return h;
}

SourceRead Read(std::vector<vsphere::VsphereHost> hosts, int64_t at) {
  SourceRead r;
  r.source_name = "vc1";
  r.control_peer = "192.0.2.10";
  r.read_unix_ms = at;
  r.ok = true;
  r.hosts = std::move(hosts);
  return r;
}

TEST(VsphereSources, ApiHostsEnterTheTableMarkedAsSuch) {
  HostTable t;
  auto taken = ApplyVsphereRead(Read({ApiHost("esx01", "10.77.0.11")}, 1000), t, 90000, 1000);
  EXPECT_EQ(taken, std::vector<std::string>{"esx01"});
  const HostEntry* e = t.Find("esx01");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->source, "vsphere");
  EXPECT_EQ(e->source_name, "vc1");
  EXPECT_EQ(e->peer_address, "192.0.2.10");  // the API's control path: to vCenter
  EXPECT_EQ(e->report.nfc_address(), "10.77.0.11");
  EXPECT_EQ(e->received_ms, 1000);
}

TEST(VsphereSources, AFreshAgentKeepsItsFactsAndTheApiBecomesTheCrossCheck) {
  HostTable t;
  proto::HostReport agent;
  agent.set_nfc_vmknic("vmk1");
  agent.set_nfc_address("10.77.0.11");
  t.Update("esx01", "10.0.0.11", "rid", agent, 1000);
  ApplyVsphereRead(Read({ApiHost("esx01", "10.77.0.11")}, 2000), t, 90000, 2000);
  EXPECT_EQ(t.Find("esx01")->source, "agent");
  EXPECT_EQ(t.Find("esx01")->cross_check, "");
  ApplyVsphereRead(Read({ApiHost("esx01", "10.0.0.11")}, 3000), t, 90000, 3000);
  EXPECT_EQ(t.Find("esx01")->source, "agent");
  EXPECT_EQ(t.Find("esx01")->report.nfc_address(), "10.77.0.11");
  EXPECT_EQ(t.Find("esx01")->cross_check,
            "agent: NFC address 10.77.0.11 on vmk1; vc1: 10.0.0.11 on vmk1");
  // Agreement again clears it.
  ApplyVsphereRead(Read({ApiHost("esx01", "10.77.0.11")}, 4000), t, 90000, 4000);
  EXPECT_EQ(t.Find("esx01")->cross_check, "");
}

// Proofs reach the source a host was read from, and never a host its agent reports for.
TEST(VsphereSources, EnsureProofsGoToTheHostsSourceAndNeverToAnAgentHost) {
  HostTable t;
  ApplyVsphereRead(Read({ApiHost("esx01", "10.77.0.11")}, 1000), t, 90000, 1000);
  proto::HostReport agent;
  agent.set_nfc_address("10.77.0.12");
  t.Update("esx02", "10.0.0.12", "rid", agent, 1000);
  EnsureProofMap proofs = {{"esx01", {{"10.77.0.11", 9000, true}}},
                           {"esx02", {{"10.77.0.12", 9000, true}}},
                           {"gone", {{"10.77.0.13", 9000, true}}}};
  auto routed = RouteEnsureProofs(t, proofs);
  ASSERT_EQ(routed.size(), 1u);
  ASSERT_EQ(routed.at("vc1").size(), 1u);
  EXPECT_EQ(routed.at("vc1").at("esx01")[0].address, "10.77.0.11");
}

TEST(VsphereSources, AnAgentUnderAnotherNameIsMatchedByItsManagementAddress) {
  HostTable t;
  proto::HostReport agent;
  agent.set_nfc_vmknic("vmk1");
  agent.set_nfc_address("10.77.0.11");
  agent.set_management_address("10.0.0.11");
  t.Update("esx01-agent", "10.0.0.11", "rid", agent, 1000);
  ApplyVsphereRead(Read({ApiHost("esx01.lab", "10.0.0.11")}, 2000), t, 90000, 2000);
  EXPECT_EQ(t.Find("esx01.lab"), nullptr);  // no second pair for the same host
  EXPECT_EQ(t.Find("esx01-agent")->source, "agent");
  EXPECT_NE(t.Find("esx01-agent")->cross_check.find("vc1: 10.0.0.11"), std::string::npos);
}

TEST(VsphereSources, AStaleAgentIsReplacedByTheApiAndAnAgentReportTakesItBack) {
  HostTable t;
  proto::HostReport agent;
  agent.set_nfc_address("10.77.0.11");
  t.Update("esx01", "10.0.0.11", "rid", agent, 1000);
  ApplyVsphereRead(Read({ApiHost("esx01", "10.77.0.11")}, 200000), t, 90000, 200000);
  EXPECT_EQ(t.Find("esx01")->source, "vsphere");
  t.Update("esx01", "10.0.0.11", "rid", agent, 200500);
  EXPECT_EQ(t.Find("esx01")->source, "agent");
  EXPECT_EQ(t.Find("esx01")->source_name, "");
}

TEST(VsphereSources, AFailedReadChangesNothing) {
  HostTable t;
  ApplyVsphereRead(Read({ApiHost("esx01", "10.77.0.11")}, 1000), t, 90000, 1000);
  SourceRead failed = Read({ApiHost("esx01", "10.0.0.99")}, 2000);
  failed.ok = false;
  failed.error = "unavailable: vc1 down";
  EXPECT_TRUE(ApplyVsphereRead(failed, t, 90000, 2000).empty());
  EXPECT_EQ(t.Find("esx01")->report.nfc_address(), "10.77.0.11");
  EXPECT_EQ(t.Find("esx01")->received_ms, 1000);  // ages towards stale like a silent agent
}

TEST(VsphereSources, LoadRefusesAMissingSourceFileWithItsName) {
  ProxyConfig c;
  c.vsphere_sources = {"/nonexistent/vc1.conf"};
  auto s = VsphereSources::Load(c, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("/nonexistent/vc1.conf"), std::string::npos)
      << s.error().message;
  ProxyConfig none;
  auto empty = VsphereSources::Load(none, 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)->size(), 0u);
}

}  // namespace
}  // namespace bnfc::proxyd
