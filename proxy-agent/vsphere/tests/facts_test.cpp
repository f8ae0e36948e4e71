#include "facts.h"

#include <gtest/gtest.h>

#include "bnfc/report/verdict.h"
#include "fake_vsphere.h"

namespace bnfc::vsphere {
namespace {

using testing::TestHost;

soap::ObjectContent Object(const TestHost& h) {
  auto page =
      soap::ParseRetrieve(testing::SoapEnvelope("<RetrievePropertiesExResponse><returnval>" +
                                                testing::HostObjectXml(h, HostPropertyPaths(true)) +
                                                "</returnval></RetrievePropertiesExResponse>"),
                          "RetrievePropertiesExResponse");
  EXPECT_TRUE(page.ok()) << page.error().ToString();
  return page->objects.at(0);
}

const proto::Vmknic* Find(const proto::HostReport& r, const std::string& name) {
  for (const auto& v : r.vmknics()) {
    if (v.name() == name)
      return &v;
  }
  return nullptr;
}

TEST(VsphereFacts, ATaggedBackupVmknicBecomesTheNfcAddress) {
  auto h = HostFromObject(Object(testing::TwoHosts()[0]), "observe");
  ASSERT_TRUE(h.ok()) << h.error().ToString();
  EXPECT_EQ(h->host_id, "esx01.lab");  // lower-cased
  const proto::HostReport& r = h->report;
  EXPECT_EQ(r.nfc_vmknic(), "vmk1");
  EXPECT_EQ(r.nfc_address(), "10.77.0.11");
  EXPECT_EQ(r.management_vmknic(), "vmk0");
  EXPECT_EQ(r.management_address(), "10.0.0.11");
  EXPECT_EQ(r.tag_policy(), "observe");
  EXPECT_EQ(r.checks_size(), 0);  // host-side checks cannot run through the API
  const proto::Vmknic* vmk1 = Find(r, "vmk1");
  ASSERT_NE(vmk1, nullptr);
  EXPECT_EQ(vmk1->mac(), "00:50:56:aa:00:02");
  EXPECT_EQ(vmk1->mtu(), 9000u);
  EXPECT_EQ(vmk1->netstack(), "defaultTcpipStack");
  EXPECT_EQ(vmk1->ipv4().prefix_length(), 24u);
  ASSERT_EQ(vmk1->ipv6_addresses_size(), 1);
  EXPECT_EQ(vmk1->ipv6_addresses(0), "fd00:77::11/64");
  EXPECT_EQ(vmk1->switch_name(), "vSwitch1");
  EXPECT_TRUE(vmk1->vlan_known());
  EXPECT_EQ(vmk1->vlan_id(), 77u);
  EXPECT_EQ(std::vector<std::string>(vmk1->tags().begin(), vmk1->tags().end()),
            std::vector<std::string>{"vSphereBackupNFC"});
  EXPECT_EQ(Find(r, "vmk0")->tags(0), "Management");
}

TEST(VsphereFacts, WithoutASelectionEsxiHandsOutTheManagementAddress) {
  auto h = HostFromObject(Object(testing::TwoHosts()[1]), "observe");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->report.nfc_vmknic(), "");
  EXPECT_EQ(h->report.nfc_address(), "10.0.0.12");
  // The verdict engine reads it as TAG_MISSING, exactly as for an agent's report.
  auto side = report::HostSideFromReport(h->report);
  EXPECT_EQ(side.nfc_address, "10.0.0.12");
  EXPECT_TRUE(side.checks.empty());
}

TEST(VsphereFacts, TheVnicManagerAndDvsVmknics) {
  TestHost t = testing::TwoHosts()[0];
  t.vmknics[1].portgroup = "";
  t.vmknics[1].dvport = "17";
  auto h = HostFromObject(Object(t), "ensure");
  ASSERT_TRUE(h.ok()) << h.error().ToString();
  EXPECT_EQ(h->vnic_manager, (soap::MoRef{"HostVirtualNicManager", "hostVnicMgr-21"}));
  const proto::Vmknic* vmk1 = Find(h->report, "vmk1");
  EXPECT_TRUE(vmk1->on_vds());
  EXPECT_FALSE(vmk1->vlan_known());
  EXPECT_EQ(vmk1->switch_name(), "50 2a 1b");
}

TEST(VsphereFacts, SeveralNfcSelectionsStayVisibleToTheTagCheck) {
  TestHost t = testing::TwoHosts()[0];
  t.nfc = {"vmk1", "vmk0"};
  auto h = HostFromObject(Object(t), "observe");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->nfc_selected.size(), 2u);
  int tagged = 0;
  for (const auto& v : h->report.vmknics()) {
    for (const auto& tag : v.tags())
      tagged += tag == "vSphereBackupNFC";
  }
  EXPECT_EQ(tagged, 2);
}

TEST(VsphereFacts, MalformedHostsAreNamedPrecisely) {
  struct Case {
    std::function<void(TestHost&)> mutate;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {[](TestHost& t) { t.vmknics[1].mtu = 20; }, "vmk1 mtu: expected a number from 68"},
      {[](TestHost& t) { t.vmknics[1].mac = "zz"; }, "vmk1 mac: not a MAC address"},
      {[](TestHost& t) { t.vmknics[1].ipv4 = "10.77.0"; }, "vmk1 ipAddress: not an IPv4"},
      {[](TestHost& t) { t.vmknics[1].mask = "255.0.255.0"; }, "not a contiguous IPv4 mask"},
      {[](TestHost& t) { t.vmknics[1].device = "eth0"; }, "is not a vmknic name"},
      {[](TestHost& t) { t.vmknics[1].device = "vmk0"; }, "vmk0 appears twice"},
      {[](TestHost& t) { t.portgroups[1].vlan = 5000; },
       "vlanId: expected a number from 0 to 4095"},
      {[](TestHost& t) { t.nfc = {"vmk7"}; }, "vmk7 is selected but not in config.network.vnic"},
      {[](TestHost& t) {
         t.vmknics[1].ipv6 = {{"10.0.0.1", 64}};
       },
       "not an IPv6 address"},
  };
  for (const auto& c : cases) {
    TestHost t = testing::TwoHosts()[0];
    c.mutate(t);
    auto h = HostFromObject(Object(t), "observe");
    ASSERT_FALSE(h.ok()) << c.expect;
    EXPECT_NE(h.error().message.find("host host-21 "), std::string::npos) << h.error().message;
    EXPECT_NE(h.error().message.find(c.expect), std::string::npos)
        << "wanted '" << c.expect << "' in " << h.error().message;
  }
}

TEST(VsphereFacts, WrongPropertyTypesAndUnreadablePropertiesAreErrors) {
  soap::ObjectContent o = Object(testing::TwoHosts()[0]);
  o.props.at("config.network.vnic").xsi_type = "ArrayOfString";
  auto wrong = HostFromObject(o, "observe");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("is of type ArrayOfString, expected ArrayOfHostVirtualNic"),
            std::string::npos);
  o = Object(testing::TwoHosts()[0]);
  o.props.erase("config.virtualNicManagerInfo.netConfig");
  o.missing["config.virtualNicManagerInfo.netConfig"] = "NoPermission";
  auto denied = HostFromObject(o, "observe");
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.error().message.find("could not read it (NoPermission)"), std::string::npos);
}

TEST(VsphereFacts, AHostVcenterCannotReachIsHostdDown) {
  TestHost t = testing::TwoHosts()[0];
  auto up = HostFromObject(Object(t), "observe");
  ASSERT_TRUE(up.ok());
  EXPECT_TRUE(up->report.hostd_available());
  t.connection_state = "notResponding";
  auto down = HostFromObject(Object(t), "observe");
  ASSERT_TRUE(down.ok());
  EXPECT_FALSE(down->report.hostd_available());
  ASSERT_EQ(down->report.problems_size(), 1);
  EXPECT_EQ(down->report.problems(0).code(), "HOSTD_DOWN");
}

TEST(VsphereFacts, Helpers) {
  EXPECT_EQ(DeviceOfSelectedVnic("vSphereBackupNFC.key-vim.host.VirtualNic-vmk12"), "vmk12");
  EXPECT_EQ(DeviceOfSelectedVnic("vmk3"), "vmk3");
  EXPECT_EQ(DeviceOfSelectedVnic("key-vim.host.VirtualNic-vmkx"), "");
  EXPECT_EQ(DeviceOfSelectedVnic(""), "");
  EXPECT_EQ(PrefixOfMask("255.255.255.0"), 24);
  EXPECT_EQ(PrefixOfMask("255.255.255.255"), 32);
  EXPECT_EQ(PrefixOfMask("0.0.0.0"), 0);
  EXPECT_EQ(PrefixOfMask("255.255.0.255"), -1);
  EXPECT_EQ(PrefixOfMask("fe80::"), -1);
  EXPECT_EQ(TagOfNicType("management"), "Management");
  EXPECT_EQ(TagOfNicType("vSphereBackupNFC"), "vSphereBackupNFC");
}

TEST(VsphereFacts, CrossCheckComparesTheHandedOutAddress) {
  auto api = HostFromObject(Object(testing::TwoHosts()[0]), "observe");
  ASSERT_TRUE(api.ok());
  proto::HostReport agent;
  agent.set_nfc_vmknic("vmk1");
  agent.set_nfc_address("10.77.0.11");
  EXPECT_TRUE(CompareNfcAddress(agent, *api, "vc1").agree);
  agent.set_nfc_vmknic("");
  agent.set_nfc_address("10.0.0.11");  // the agent sees no tag: vCenter's view is stale or wrong
  auto c = CompareNfcAddress(agent, *api, "vc1");
  EXPECT_FALSE(c.agree);
  EXPECT_EQ(c.evidence, "agent: NFC address 10.0.0.11 on (no tag); vc1: 10.77.0.11 on vmk1");
  agent.set_nfc_address("");
  EXPECT_FALSE(CompareNfcAddress(agent, *api, "vc1").agree);
}

}  // namespace
}  // namespace bnfc::vsphere
