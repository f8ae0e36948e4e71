#include "hostagent/inventory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "hostagent/cli.h"
#include "test_util.h"

namespace bnfc::hostagent {
namespace {

using nlohmann::json;
using testing::Fixture;
using ::testing::HasSubstr;
using testing::SharedFixture;
using testing::TempDir;

// A support-bundle folder built from the real captures, named as ARCHITECTURE.md says.
void FillFromFixtures(const TempDir& d) {
  d.Write("system_version_get.txt", Fixture("system_version_get.esxi801.txt"));
  d.Write("network_ip_interface_list.txt", Fixture("network_ip_interface_list.esxi803.txt"));
  d.Write("network_ip_interface_ipv4_get.txt",
          Fixture("network_ip_interface_ipv4_get.esxi67-blog.txt"));
  d.Write("network_ip_neighbor_list.txt", Fixture("network_ip_neighbor_list.type_dynamic.txt"));
  d.Write("network_ip_route_ipv4_list.txt", Fixture("network_ip_route_ipv4_list.esxi803.txt"));
  d.Write("network_ip_netstack_list.txt", Fixture("network_ip_netstack_list.esxi67-blog.txt"));
  d.Write("network_vswitch_standard_portgroup_list.txt",
          SharedFixture("network_vswitch_standard_portgroup_list.esxi803.txt"));
}

TEST(Inventory, FromFixtureFolderHasDesignShape) {
  TempDir d;
  FillFromFixtures(d);
  auto inv = LoadInventoryFromDir(d.path());
  ASSERT_TRUE(inv.ok()) << inv.error().ToString();
  json j = InventoryToJson(*inv);
  EXPECT_EQ(j["host"]["product"], "VMware ESXi");
  EXPECT_EQ(j["host"]["version"], "8.0.1");
  EXPECT_EQ(j["host"]["build"], "Releasebuild-21495797");
  ASSERT_EQ(j["vmknics"].size(), 1u);
  const json& v = j["vmknics"][0];
  EXPECT_EQ(v["name"], "vmk0");
  EXPECT_EQ(v["portgroup"], "Management Network");
  EXPECT_EQ(v["netstack"], "defaultTcpipStack");
  EXPECT_EQ(v["mac"], "90:b1:1c:3c:c5:62");
  EXPECT_EQ(v["mtu"], 1500);
  EXPECT_EQ(v["enabled"], true);
  EXPECT_EQ(v["ipv4"]["address"], "192.168.1.11");
  EXPECT_EQ(v["ipv4"]["netmask"], "255.255.255.0");
  EXPECT_EQ(v["ipv4"]["prefix"], 24);
  EXPECT_EQ(v["ipv4"]["gateway"], "192.168.1.1");
  EXPECT_EQ(v["ipv4"]["type"], "STATIC");
  EXPECT_TRUE(v["tags"].is_null());  // no tag capture
  // Portset vSwitch0 + portgroup "Management Network" -> the portgroup list's VLAN 0.
  EXPECT_EQ(v["switch_name"], "vSwitch0");
  EXPECT_EQ(v["on_vds"], false);
  EXPECT_EQ(v["vlan_known"], true);
  EXPECT_EQ(v["vlan_id"], 0);
  ASSERT_EQ(j["neighbors"].size(), 7u);
  EXPECT_EQ(j["neighbors"][5], (json{{"ip", "172.22.2.10"},
                                     {"mac", "ac:1f:6b:24:61:8a"},
                                     {"vmknic", "vmk1"},
                                     {"expiry_s", 1025},
                                     {"state", nullptr},
                                     {"type", "Dynamic"}}));
  ASSERT_EQ(j["routes"].size(), 2u);
  EXPECT_EQ(j["routes"][0], (json{{"network", "default"},
                                  {"netmask", "0.0.0.0"},
                                  {"gateway", "192.168.0.1"},
                                  {"interface", "vmk0"},
                                  {"source", "MANUAL"}}));
  EXPECT_EQ(j["netstacks"], (json{"defaultTcpipStack"}));
  ASSERT_EQ(j["problems"].size(), 1u);
  EXPECT_EQ(j["problems"][0],
            (json{{"code", "FILE_MISSING"}, {"detail", "network_ip_interface_tag_get_vmk0.txt"}}));
}

TEST(Inventory, XmlTwinIsPreferredAndTagsAreRead) {
  TempDir d;
  FillFromFixtures(d);
  d.Write("system_version_get.xml",
          "<output><root><structure typeName=\"VersionGet\">"
          "<field name=\"Product\"><string>VMware ESXi</string></field>"
          "<field name=\"Version\"><string>8.0.3</string></field>"
          "<field name=\"Build\"><string>Releasebuild-24677879</string></field>"
          "</structure></root></output>");
  d.Write("network_ip_interface_tag_get_vmk0.txt", "   Tags: Management\n");
  auto inv = LoadInventoryFromDir(d.path());
  ASSERT_TRUE(inv.ok());
  json j = InventoryToJson(*inv);
  EXPECT_EQ(j["host"]["version"], "8.0.3");
  EXPECT_EQ(j["host"]["update"], nullptr);
  EXPECT_EQ(j["vmknics"][0]["tags"], (json{"Management"}));
  EXPECT_TRUE(j["problems"].empty());
}

TEST(Inventory, PortgroupVlanByNameAndSwitchXmlTwinAndVds) {
  TempDir d;
  FillFromFixtures(d);
  // vmk0 on vSwitch1's "Backup NFC" (VLAN 120), vmk1 on a VDS (its VLAN is not in the list).
  d.Write("network_ip_interface_list.txt",
          "vmk0\n   Name: vmk0\n   Portset: vSwitch1\n   Portgroup: Backup NFC\n"
          "   VDS Name: N/A\n\n"
          "vmk1\n   Name: vmk1\n   Portset: DvsPortset-0\n   Portgroup: N/A\n"
          "   VDS Name: dvs-backup\n");
  d.Write("network_vswitch_standard_portgroup_list.xml",
          "<output><root><list type=\"structure\"><structure typeName=\"PortGroup\">"
          "<field name=\"ActiveClients\"><integer>1</integer></field>"
          "<field name=\"Name\"><string>Backup NFC</string></field>"
          "<field name=\"VLANID\"><integer>120</integer></field>"
          "<field name=\"VirtualSwitch\"><string>vSwitch1</string></field>"
          "</structure></list></root></output>");
  auto inv = LoadInventoryFromDir(d.path());
  ASSERT_TRUE(inv.ok()) << inv.error().ToString();
  json j = InventoryToJson(*inv);
  ASSERT_EQ(j["vmknics"].size(), 2u);
  EXPECT_EQ(j["vmknics"][0]["switch_name"], "vSwitch1");
  EXPECT_EQ(j["vmknics"][0]["vlan_known"], true);
  EXPECT_EQ(j["vmknics"][0]["vlan_id"], 120);
  EXPECT_EQ(j["vmknics"][1]["switch_name"], "dvs-backup");
  EXPECT_EQ(j["vmknics"][1]["on_vds"], true);
  EXPECT_EQ(j["vmknics"][1]["vlan_known"], false);
  EXPECT_TRUE(j["vmknics"][1]["vlan_id"].is_null());
  EXPECT_THAT(InventoryToText(*inv), HasSubstr("switch=dvs-backup (VDS)  vlan=unknown"));
  EXPECT_THAT(InventoryToText(*inv), HasSubstr("switch=vSwitch1  vlan=120"));
}

TEST(Inventory, MissingPortgroupListLeavesVlansUnknownWithAProblem) {
  TempDir d;
  FillFromFixtures(d);
  ASSERT_EQ(std::remove(d.File("network_vswitch_standard_portgroup_list.txt").c_str()), 0);
  auto inv = LoadInventoryFromDir(d.path());
  ASSERT_TRUE(inv.ok()) << inv.error().ToString();
  json j = InventoryToJson(*inv);
  EXPECT_EQ(j["vmknics"][0]["switch_name"], "vSwitch0");  // from the interface list
  EXPECT_EQ(j["vmknics"][0]["vlan_known"], false);
  EXPECT_TRUE(j["vmknics"][0]["vlan_id"].is_null());
  EXPECT_THAT(
      j["problems"].dump(),
      HasSubstr(
          R"({"code":"FILE_MISSING","detail":"network_vswitch_standard_portgroup_list.txt"})"));
}

TEST(Inventory, BadPortgroupListIsAParseErrorAndVlansUnknown) {
  TempDir d;
  FillFromFixtures(d);
  d.Write("network_vswitch_standard_portgroup_list.txt",
          "Name                Virtual Switch  Active Clients  VLAN ID\n"
          "------------------  --------------  --------------  -------\n"
          "Management Network  vSwitch0                     1     5000\n");
  auto inv = LoadInventoryFromDir(d.path());
  ASSERT_TRUE(inv.ok()) << inv.error().ToString();
  EXPECT_EQ(inv->state.vmknics[0].vlan_id, std::nullopt);
  EXPECT_THAT(InventoryToJson(*inv)["problems"].dump(),
              HasSubstr("network_vswitch_standard_portgroup_list.txt: esxcli network vswitch "
                        "standard portgroup list: line 3: expected a VLAN ID 0..4095"));
}

TEST(Inventory, BrokenXmlFallsBackToTextWithAProblem) {
  TempDir d;
  FillFromFixtures(d);
  d.Write("network_ip_route_ipv4_list.xml", "<output><root><list>");
  auto inv = LoadInventoryFromDir(d.path());
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->state.routes.size(), 2u);
  bool found = false;
  for (const Problem& p : inv->problems) {
    if (p.code == "PARSE_ERROR") {
      found = true;
      EXPECT_THAT(p.detail, HasSubstr("network_ip_route_ipv4_list.xml"));
      EXPECT_THAT(p.detail, HasSubstr("esxcli network ip route ipv4 list: line 1"));
    }
  }
  EXPECT_TRUE(found);
}

TEST(Inventory, OldBuildWithoutGatewayColumnGivesNull) {
  TempDir d;
  d.Write("network_ip_interface_ipv4_get.txt",
          "Name  IPv4 Address  IPv4 Netmask   IPv4 Broadcast  Address Type  DHCP DNS\n"
          "----  ------------  -------------  --------------  ------------  --------\n"
          "vmk0  10.0.0.5      255.255.255.0  10.0.0.255      STATIC           false\n");
  auto inv = LoadInventoryFromDir(d.path());
  ASSERT_TRUE(inv.ok());
  json j = InventoryToJson(*inv);
  ASSERT_EQ(j["vmknics"].size(), 1u);
  EXPECT_EQ(j["vmknics"][0]["name"], "vmk0");
  EXPECT_TRUE(j["vmknics"][0]["ipv4"]["gateway"].is_null());
  EXPECT_TRUE(j["vmknics"][0]["mtu"].is_null());
  EXPECT_TRUE(j["host"]["version"].is_null());
  // Everything else is reported missing.
  EXPECT_GE(j["problems"].size(), 5u);
}

TEST(Inventory, NothingUsableIsFatal) {
  TempDir d;
  d.Write("network_ip_interface_list.txt", "garbage: at column zero\n");
  auto inv = LoadInventoryFromDir(d.path());
  ASSERT_FALSE(inv.ok());
  EXPECT_THAT(inv.error().message, HasSubstr("no usable esxcli output"));
  EXPECT_THAT(inv.error().message, HasSubstr("line 1"));
  EXPECT_FALSE(LoadInventoryFromDir(d.File("does-not-exist")).ok());
}

TEST(InventoryCli, JsonAndTextOutput) {
  TempDir d;
  FillFromFixtures(d);
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(RunCli({"inventory", "--from-dir", d.path(), "--json"}, out, err), 0) << err.str();
  json j = json::parse(out.str());
  EXPECT_EQ(j["vmknics"][0]["name"], "vmk0");
  std::ostringstream text;
  ASSERT_EQ(RunCli({"inventory", "--from-dir", d.path()}, text, err), 0);
  EXPECT_THAT(text.str(), HasSubstr("vmk0  portgroup=Management Network"));
  EXPECT_THAT(text.str(), HasSubstr("FILE_MISSING: network_ip_interface_tag_get_vmk0.txt"));
  std::ostringstream e2;
  EXPECT_EQ(RunCli({"inventory"}, out, e2), 2);
  EXPECT_THAT(e2.str(), HasSubstr("--from-dir DIR is required"));
  EXPECT_EQ(RunCli({"inventory", "--bogus"}, out, e2), 2);
}

TEST(InventoryCli, HostileBytesInACaptureNeverAbortOrReachTheTerminal) {
  TempDir d;
  FillFromFixtures(d);
  std::string list = Fixture("network_ip_interface_list.esxi803.txt");
  const std::string from = "Management Network";
  auto at = list.find(from);
  ASSERT_NE(at, std::string::npos);
  list.replace(at, from.size(),
               "Mgmt\x1b]0;owned\x07\xff\xfe\xc2\x9b"
               "2J");
  d.Write("network_ip_interface_list.txt", list);
  std::ostringstream out;
  std::ostringstream err;
  // Threw nlohmann's type_error (invalid UTF-8) out of main before: an abort.
  ASSERT_EQ(RunCli({"inventory", "--from-dir", d.path(), "--json"}, out, err), 0) << err.str();
  json j = json::parse(out.str());
  EXPECT_EQ(j["vmknics"][0]["portgroup"],
            "Mgmt\x1b]0;owned\x07\xef\xbf\xbd\xef\xbf\xbd\xc2\x9b"
            "2J");
  std::ostringstream text;
  ASSERT_EQ(RunCli({"inventory", "--from-dir", d.path()}, text, err), 0);
  EXPECT_THAT(text.str(), HasSubstr("portgroup=Mgmt\\x1b]0;owned\\x07\\xff\\xfe\\xc2\\x9b2J"));
  for (char c : {'\x1b', '\x07', '\xff', '\x9b'}) {
    EXPECT_EQ(text.str().find(c), std::string::npos) << int(static_cast<unsigned char>(c));
  }
}

TEST(InventoryCli, StaticBinaryRunsInventory) {
  const std::string bin = testing::BinDir() + "/bnfc-hostd";
  if (access(bin.c_str(), X_OK) != 0) {
    GTEST_SKIP() << bin << " is not built";
  }
  TempDir d;
  FillFromFixtures(d);
  auto run = testing::RunShell(bin + " inventory --json --from-dir " + d.path());
  ASSERT_EQ(run.status, 0) << run.output;
  json j = json::parse(run.output);
  EXPECT_EQ(j["host"]["version"], "8.0.1");
  EXPECT_EQ(j["routes"].size(), 2u);
  EXPECT_EQ(j["vmknics"][0]["vlan_id"], 0);
  EXPECT_EQ(j["vmknics"][0]["switch_name"], "vSwitch0");
}

// `--help` after the commands that main() handles itself: usage on stdout and exit 0, not an
// "unknown option" error.
TEST(InventoryCli, DaemonAndKeyCommandsAnswerHelp) {
  const std::string bin = testing::BinDir() + "/bnfc-hostd";
  if (access(bin.c_str(), X_OK) != 0) {
    GTEST_SKIP() << bin << " is not built";
  }
  for (std::string command : {"run", "keygen", "key show"}) {
    auto run = testing::RunShell(bin + " " + command + " --help 2>&1");
    EXPECT_EQ(run.status, 0) << command << ": " << run.output;
    EXPECT_EQ(run.output.rfind("usage: bnfc-hostd " + command, 0), 0u) << run.output;
  }
}

}  // namespace
}  // namespace bnfc::hostagent
