// Parser tests: every esxcli/vmkping capture in the shared esxcli fixtures
// (../shared/fixtures/esxcli/) that is an output of a command the agent reads, with its values
// asserted; variants; XML; precise errors.
#include "hostagent/parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace bnfc::hostagent {
namespace {

using ::testing::ElementsAre;
using testing::Fixture;
using ::testing::HasSubstr;
using testing::SharedFixture;

// ------------------------------------------------------------ system version get

TEST(ParseVersion, Esxi801Capture) {
  auto v = ParseSystemVersion(Fixture("system_version_get.esxi801.txt"), Format::kText);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->product, "VMware ESXi");
  EXPECT_EQ(v->version, "8.0.1");
  EXPECT_EQ(v->build, "Releasebuild-21495797");
  EXPECT_EQ(v->update, "1");
  EXPECT_EQ(v->patch, "0");
}

TEST(ParseVersion, Esxi650Capture) {
  auto v = ParseSystemVersion(Fixture("system_version_get.esxi650.txt"), Format::kText);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->product, "VMware ESXi");
  EXPECT_EQ(v->version, "6.5.0");
  EXPECT_EQ(v->build, "Releasebuild-8294253");
  EXPECT_EQ(v->update, "2");
  EXPECT_EQ(v->patch, "50");
}

TEST(ParseVersion, Esxi600Capture) {
  auto v = ParseSystemVersion(Fixture("system_version_get.esxi600.txt"), Format::kText);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->version, "6.0.0");
  EXPECT_EQ(v->build, "Releasebuild-3073146");
  EXPECT_EQ(v->update, "1");
  EXPECT_EQ(v->patch, "20");
}

TEST(ParseVersion, Xml) {
  const char* xml = R"(<?xml version="1.0" encoding="utf-8"?>
<output xmlns="http://www.vmware.com/Products/ESX/5.0/esxcli">
<root>
   <structure typeName="VersionGet">
      <field name="Build">
         <string>Releasebuild-24677879</string>
      </field>
      <field name="Patch">
         <string>70</string>
      </field>
      <field name="Product">
         <string>VMware ESXi</string>
      </field>
      <field name="Update">
         <string>3</string>
      </field>
      <field name="Version">
         <string>8.0.3</string>
      </field>
   </structure>
</root>
</output>
)";
  auto v = ParseSystemVersion(xml, Format::kXml);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->version, "8.0.3");
  EXPECT_EQ(v->build, "Releasebuild-24677879");
  EXPECT_EQ(v->patch, "70");
}

TEST(ParseVersion, GarbageNamesTheCommandAndLine) {
  auto v = ParseSystemVersion("   Product: VMware ESXi\nthis is not a field\n", Format::kText);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, ErrorCode::kParse);
  EXPECT_THAT(v.error().message, HasSubstr("esxcli system version get"));
  EXPECT_THAT(v.error().message, HasSubstr("line 2"));
  EXPECT_THAT(v.error().message, HasSubstr("expected 'Field Name: value'"));
}

TEST(ParseVersion, EsxcliErrorOutputIsReported) {
  auto v = ParseSystemVersion(Fixture("error_unknown_command.esxi803.txt"), Format::kText);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.error().message,
              HasSubstr("Unknown command or namespace network ip dns server get"));
  EXPECT_EQ(EsxcliErrorText(Fixture("error_unknown_command.esxi803.txt")),
            "Unknown command or namespace network ip dns server get");
}

// ------------------------------------------------------------ interface list

TEST(ParseInterfaceList, Esxi803Capture) {
  auto rows = ParseInterfaceList(Fixture("network_ip_interface_list.esxi803.txt"), Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const InterfaceRow& r = (*rows)[0];
  EXPECT_EQ(r.name, "vmk0");
  EXPECT_EQ(r.mac, "90:b1:1c:3c:c5:62");
  EXPECT_EQ(r.enabled, true);
  EXPECT_EQ(r.portset, "vSwitch0");
  EXPECT_EQ(r.portgroup, "Management Network");
  EXPECT_EQ(r.netstack, "defaultTcpipStack");
  EXPECT_EQ(r.vds_name, std::nullopt);  // N/A
  EXPECT_EQ(r.mtu, 1500);
}

// A vmknic on a distributed switch (field values as in the vSAN troubleshooting excerpt).
TEST(ParseInterfaceList, VdsVmknicHasVdsNameAndNoPortgroup) {
  const std::string text =
      "vmk1\n   Name: vmk1\n   MAC Address: 00:50:56:6a:11:22\n   Enabled: true\n"
      "   Portset: DvsPortset-0\n   Portgroup: N/A\n   Netstack Instance: defaultTcpipStack\n"
      "   VDS Name: dvs-backup\n   VDS UUID: 50 1e 5b ad e3 b4 af 25-18 f3 1c 4c fa 98 3d bb\n"
      "   VDS Port: 16\n   VDS Connection: 1123658315\n   MTU: 9000\n";
  auto rows = ParseInterfaceList(text, Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].portset, "DvsPortset-0");
  EXPECT_EQ((*rows)[0].portgroup, std::nullopt);
  EXPECT_EQ((*rows)[0].vds_name, "dvs-backup");
  std::vector<VmknicInfo> v = MergeVmknics(*rows, {}, {});
  std::vector<PortgroupRow> pgs = {{"dvs-backup", "DvsPortset-0", 1, 120}};
  ApplyPortgroups(&pgs, &v);
  EXPECT_TRUE(v[0].OnVds());
  EXPECT_EQ(v[0].SwitchName(), "dvs-backup");
  EXPECT_EQ(v[0].vlan_id, std::nullopt);  // a VDS port's VLAN is not in the standard list
}

TEST(ApplyPortgroups, MatchesByPortgroupNameAndVswitch) {
  auto rows = ParsePortgroupList(
      "Name                Virtual Switch  Active Clients  VLAN ID\n"
      "------------------  --------------  --------------  -------\n"
      "Management Network  vSwitch0                     1        0\n"
      "Backup NFC          vSwitch1                     1      120\n",
      Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  std::vector<InterfaceRow> ifs(4);
  ifs[0].name = "vmk0";
  ifs[0].portset = "vSwitch0";
  ifs[0].portgroup = "Management Network";
  ifs[1].name = "vmk2";
  ifs[1].portset = "vSwitch1";
  ifs[1].portgroup = "Backup NFC";
  ifs[2].name = "vmk3";  // same portgroup name, other switch: not that portgroup
  ifs[2].portset = "vSwitch0";
  ifs[2].portgroup = "Backup NFC";
  ifs[3].name = "vmk4";  // portgroup not listed
  ifs[3].portset = "vSwitch0";
  ifs[3].portgroup = "vMotion";
  std::vector<VmknicInfo> v = MergeVmknics(ifs, {}, {});
  ApplyPortgroups(&*rows, &v);
  EXPECT_EQ(v[0].vlan_id, 0);
  EXPECT_EQ(v[0].SwitchName(), "vSwitch0");
  EXPECT_FALSE(v[0].OnVds());
  EXPECT_EQ(v[1].vlan_id, 120);
  EXPECT_EQ(v[1].SwitchName(), "vSwitch1");
  EXPECT_EQ(v[2].vlan_id, std::nullopt);
  EXPECT_EQ(v[3].vlan_id, std::nullopt);
  ApplyPortgroups(nullptr, &v);  // list not read: every VLAN unknown again
  EXPECT_EQ(v[0].vlan_id, std::nullopt);
  EXPECT_EQ(v[1].vlan_id, std::nullopt);
}

TEST(ParseInterfaceList, Esxi67Capture) {
  auto rows =
      ParseInterfaceList(Fixture("network_ip_interface_list.esxi67-blog.txt"), Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const InterfaceRow& r = (*rows)[0];
  EXPECT_EQ(r.name, "vmk0");
  EXPECT_EQ(r.mac, "00:50:56:6c:01:11");
  EXPECT_EQ(r.enabled, true);
  EXPECT_EQ(r.portgroup, "Management");
  EXPECT_EQ(r.netstack, "defaultTcpipStack");
  EXPECT_EQ(r.mtu, 1500);
}

const char* kTwoVmknicsOldBuild =
    "vmk0\n"
    "   Name: vmk0\n"
    "   MAC Address: 00:50:56:6c:01:11\n"
    "   Enabled: true\n"
    "   Portset: vSwitch0\n"
    "   Portgroup: Management Network\n"
    "   MTU: 1500\n"
    "   Port ID: 33554443\n"
    "\n"
    "vmk2\n"
    "   Name: vmk2   \n"
    "   MAC Address: 00:50:56:6c:01:12\n"
    "   Enabled: false\n"
    "   Portset: DvsPortset-0\n"
    "   Portgroup: N/A\n"
    "   VDS Name: dvs-backup\n"
    "   MTU: 9000\n"
    "   URPF: 0\n";

TEST(ParseInterfaceList, OldBuildWithoutNetstackAndNewFieldsAndTrailingSpaces) {
  auto rows = ParseInterfaceList(kTwoVmknicsOldBuild, Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].netstack, std::nullopt);
  EXPECT_EQ((*rows)[1].name, "vmk2");
  EXPECT_EQ((*rows)[1].enabled, false);
  EXPECT_EQ((*rows)[1].portgroup, std::nullopt);
  EXPECT_EQ((*rows)[1].vds_name, "dvs-backup");
  EXPECT_EQ((*rows)[1].mtu, 9000);
}

TEST(ParseInterfaceList, CrLfLineEnds) {
  std::string crlf;
  for (char c : std::string(kTwoVmknicsOldBuild)) {
    if (c == '\n') {
      crlf += "\r\n";
    } else {
      crlf += c;
    }
  }
  auto rows = ParseInterfaceList(crlf, Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  EXPECT_EQ((*rows)[1].mtu, 9000);
}

const char* kInterfaceXml = R"(<?xml version="1.0" encoding="utf-8"?>
<output xmlns="http://www.vmware.com/Products/ESX/5.0/esxcli">
<root>
   <list type="structure">
      <structure typeName="NetworkInterface">
         <field name="Enabled">
            <boolean>true</boolean>
         </field>
         <field name="MACAddress">
            <string>00:50:56:6c:01:22</string>
         </field>
         <field name="MTU">
            <integer>9000</integer>
         </field>
         <field name="Name">
            <string>vmk2</string>
         </field>
         <field name="NetstackInstance">
            <string>vmotion</string>
         </field>
         <field name="Portgroup">
            <string>Backup &amp; NFC</string>
         </field>
         <field name="SomethingNew">
            <string>x</string>
         </field>
      </structure>
   </list>
</root>
</output>
)";

TEST(ParseInterfaceList, Xml) {
  auto rows = ParseInterfaceList(kInterfaceXml, Format::kXml);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].name, "vmk2");
  EXPECT_EQ((*rows)[0].mac, "00:50:56:6c:01:22");
  EXPECT_EQ((*rows)[0].enabled, true);
  EXPECT_EQ((*rows)[0].mtu, 9000);
  EXPECT_EQ((*rows)[0].netstack, "vmotion");
  EXPECT_EQ((*rows)[0].portgroup, "Backup & NFC");
}

TEST(ParseInterfaceList, BadMtuNamesLineAndRecord) {
  std::string bad = Fixture("network_ip_interface_list.esxi803.txt");
  bad.replace(bad.find("MTU: 1500"), 9, "MTU: lots");
  auto rows = ParseInterfaceList(bad, Format::kText);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message, HasSubstr("esxcli network ip interface list: line 15"));
  EXPECT_THAT(rows.error().message, HasSubstr("expected an integer"));
  EXPECT_THAT(rows.error().message, HasSubstr("'vmk0'"));
}

TEST(ParseInterfaceList, FieldBeforeRecordNameIsAnError) {
  auto rows = ParseInterfaceList("   Name: vmk0\n", Format::kText);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message, HasSubstr("line 1"));
  EXPECT_THAT(rows.error().message, HasSubstr("record name at column 0"));
}

TEST(ParseInterfaceList, EmptyOutputIsAnError) {
  auto rows = ParseInterfaceList("", Format::kText);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message, HasSubstr("at least one vmknic"));
}

TEST(ParseInterfaceList, MalformedXmlNamesTheLine) {
  std::string bad = kInterfaceXml;
  bad.replace(bad.find("</list>"), 7, "</lst>");
  auto rows = ParseInterfaceList(bad, Format::kXml);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message, HasSubstr("esxcli network ip interface list: line 28"));
  EXPECT_THAT(rows.error().message, HasSubstr("well-formed"));
}

TEST(ParseInterfaceList, XmlWithWrongRootIsRejected) {
  auto rows = ParseInterfaceList("<html><body/></html>", Format::kXml);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message, HasSubstr("expected the document element <output>"));
}

TEST(ParseInterfaceList, XmlDoctypeIsRefused) {
  auto rows = ParseInterfaceList(
      "<?xml version=\"1.0\"?><!DOCTYPE output [<!ENTITY a \"aaaa\">]><output/>", Format::kXml);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message, HasSubstr("DOCTYPE"));
}

// ------------------------------------------------------------ ipv4 get

TEST(ParseIpv4, Esxi67Capture) {
  auto rows = ParseIpv4Get(Fixture("network_ip_interface_ipv4_get.esxi67-blog.txt"), Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const Ipv4Row& r = (*rows)[0];
  EXPECT_EQ(r.name, "vmk0");
  EXPECT_EQ(r.address, "192.168.1.11");
  EXPECT_EQ(r.netmask, "255.255.255.0");
  EXPECT_EQ(r.prefix, 24);
  EXPECT_EQ(r.broadcast, "192.168.1.255");
  EXPECT_EQ(r.type, "STATIC");
  EXPECT_EQ(r.gateway, "192.168.1.1");
  EXPECT_EQ(r.dhcp_dns, false);
}

TEST(ParseIpv4, OldBuildWithoutGatewayAndNoAddress) {
  const char* text =
      "Name  IPv4 Address  IPv4 Netmask   IPv4 Broadcast  Address Type  DHCP DNS\n"
      "----  ------------  -------------  --------------  ------------  --------\n"
      "vmk0  10.0.0.5      255.255.254.0  10.0.1.255      DHCP              true\n"
      "vmk3  N/A           N/A            N/A             NONE             false\n";
  auto rows = ParseIpv4Get(text, Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].prefix, 23);
  EXPECT_EQ((*rows)[0].gateway, std::nullopt);
  EXPECT_EQ((*rows)[0].type, "DHCP");
  EXPECT_EQ((*rows)[0].dhcp_dns, true);
  EXPECT_EQ((*rows)[1].name, "vmk3");
  EXPECT_EQ((*rows)[1].address, std::nullopt);
  EXPECT_EQ((*rows)[1].prefix, std::nullopt);
}

TEST(ParseIpv4, BadNetmaskNamesLine) {
  const char* text =
      "Name  IPv4 Address  IPv4 Netmask   IPv4 Broadcast  Address Type  Gateway      DHCP DNS\n"
      "----  ------------  -------------  --------------  ------------  -----------  --------\n"
      "vmk0  192.168.1.11  255.0.255.0    192.168.1.255   STATIC        192.168.1.1     false\n";
  auto rows = ParseIpv4Get(text, Format::kText);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message,
              HasSubstr("esxcli network ip interface ipv4 get: line 3: expected a dotted IPv4 "
                        "netmask, got '255.0.255.0'"));
}

TEST(ParseIpv4, MissingDashLine) {
  auto rows = ParseIpv4Get("Name  IPv4 Address\nvmk0  1.2.3.4\n", Format::kText);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message, HasSubstr("line 2: expected a dash line"));
}

TEST(ParseIpv4, Xml) {
  const char* xml = R"(<?xml version="1.0" encoding="utf-8"?>
<output xmlns="http://www.vmware.com/Products/ESX/5.0/esxcli">
<root>
   <list type="structure">
      <structure typeName="IPv4Interface">
         <field name="AddressType"><string>STATIC</string></field>
         <field name="DHCPDNS"><boolean>false</boolean></field>
         <field name="Gateway"><string>10.99.0.1</string></field>
         <field name="IPv4Address"><string>10.99.0.11</string></field>
         <field name="IPv4Broadcast"><string>10.99.0.255</string></field>
         <field name="IPv4Netmask"><string>255.255.255.0</string></field>
         <field name="Name"><string>vmk2</string></field>
      </structure>
   </list>
</root>
</output>)";
  auto rows = ParseIpv4Get(xml, Format::kXml);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].name, "vmk2");
  EXPECT_EQ((*rows)[0].address, "10.99.0.11");
  EXPECT_EQ((*rows)[0].prefix, 24);
  EXPECT_EQ((*rows)[0].gateway, "10.99.0.1");
}

// ------------------------------------------------------------ ipv6 address list

TEST(ParseIpv6, TextTable) {
  const char* text =
      "Interface  Address                   Netmask  Type       Status\n"
      "---------  ------------------------  -------  ---------  ---------\n"
      "vmk0       fe80::250:56ff:fe6c:111        64  STATIC     PREFERRED\n"
      "vmk2       2001:db8:99::11                64  STATIC     PREFERRED\n";
  auto rows = ParseIpv6AddressList(text, Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].interface, "vmk0");
  EXPECT_EQ((*rows)[0].address, "fe80::250:56ff:fe6c:111");
  EXPECT_EQ((*rows)[0].prefix, 64);
  EXPECT_EQ((*rows)[1].status, "PREFERRED");
}

TEST(ParseIpv6, IPv4InAddressColumnIsRejected) {
  const char* text =
      "Interface  Address   Netmask\n"
      "---------  --------  -------\n"
      "vmk0       10.0.0.1       64\n";
  auto rows = ParseIpv6AddressList(text, Format::kText);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message, HasSubstr("line 3: expected an IPv6 address"));
}

// ------------------------------------------------------------ tag get

TEST(ParseTagGet, TextVariants) {
  auto two = ParseTagGet("   Tags: Management, VMotion\n", Format::kText);
  ASSERT_TRUE(two.ok());
  EXPECT_THAT(*two, ElementsAre("Management", "VMotion"));
  auto none_space = ParseTagGet("   Tags: \n", Format::kText);
  ASSERT_TRUE(none_space.ok());
  EXPECT_TRUE(none_space->empty());
  auto none_stripped = ParseTagGet("   Tags:\n", Format::kText);
  ASSERT_TRUE(none_stripped.ok());
  EXPECT_TRUE(none_stripped->empty());
}

TEST(ParseTagGet, Xml) {
  const char* xml = R"(<?xml version="1.0" encoding="utf-8"?>
<output xmlns="http://www.vmware.com/Products/ESX/5.0/esxcli">
<root>
   <structure typeName="TagGet">
      <field name="Tags">
         <list type="string">
            <string>Management</string>
            <string>vSphereBackupNFC</string>
         </list>
      </field>
   </structure>
</root>
</output>)";
  auto tags = ParseTagGet(xml, Format::kXml);
  ASSERT_TRUE(tags.ok()) << tags.error().ToString();
  EXPECT_THAT(*tags, ElementsAre("Management", "vSphereBackupNFC"));
}

TEST(ParseTagGet, MissingTagsField) {
  auto tags = ParseTagGet("   Name: vmk2\n", Format::kText);
  ASSERT_FALSE(tags.ok());
  EXPECT_THAT(tags.error().message, HasSubstr("expected a 'Tags: ...' field"));
}

// ------------------------------------------------------------ netstack list

TEST(ParseNetstack, Esxi67Capture) {
  auto rows = ParseNetstackList(Fixture("network_ip_netstack_list.esxi67-blog.txt"), Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].key, "defaultTcpipStack");
  EXPECT_EQ((*rows)[0].name, "defaultTcpipStack");
  EXPECT_EQ((*rows)[0].state, 4660);
}

TEST(ParseNetstack, Xml) {
  const char* xml = R"(<output><root><list type="structure">
<structure typeName="Netstack"><field name="Key"><string>defaultTcpipStack</string></field>
<field name="Name"><string>defaultTcpipStack</string></field>
<field name="State"><integer>4660</integer></field></structure>
<structure typeName="Netstack"><field name="Key"><string>vmotion</string></field>
<field name="Name"><string>vmotion</string></field>
<field name="State"><integer>4660</integer></field></structure>
</list></root></output>)";
  auto rows = ParseNetstackList(xml, Format::kXml);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].key, "vmotion");
}

// ------------------------------------------------------------ neighbor list

TEST(ParseNeighbor, TypeDynamicCapture) {
  auto rows =
      ParseNeighborList(Fixture("network_ip_neighbor_list.type_dynamic.txt"), Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 7u);
  const NeighborRow& first = (*rows)[0];
  EXPECT_EQ(first.ip, "192.168.120.18");
  EXPECT_EQ(first.mac, "00:50:56:ad:1e:e5");
  EXPECT_EQ(first.vmknic, "vmk0");
  EXPECT_EQ(first.expiry_s, 1199);
  EXPECT_EQ(first.state, std::nullopt);
  EXPECT_EQ(first.type, "Dynamic");
  EXPECT_EQ((*rows)[2].ip, "192.168.120.33");
  EXPECT_EQ((*rows)[2].expiry_s, 24);
  EXPECT_EQ((*rows)[5].ip, "172.22.2.10");
  EXPECT_EQ((*rows)[5].mac, "ac:1f:6b:24:61:8a");
  EXPECT_EQ((*rows)[5].vmknic, "vmk1");
  EXPECT_EQ((*rows)[5].expiry_s, 1025);
  EXPECT_EQ((*rows)[6].ip, "172.22.1.10");
  EXPECT_EQ((*rows)[6].mac, "ac:1f:6b:24:61:8b");
  EXPECT_EQ((*rows)[6].vmknic, "vmk2");
  EXPECT_EQ((*rows)[6].expiry_s, 351);
  EXPECT_EQ((*rows)[6].type, "Dynamic");
}

TEST(ParseNeighbor, UnknownTypeAndNoTypeColumnAndState) {
  const char* with_unknown =
      "Neighbor     Mac Address        Vmknic  Expiry    State  Type\n"
      "-----------  -----------------  ------  --------  -----  -------\n"
      "10.99.0.100  00:11:22:33:44:55  vmk2     120 sec  R      Unknown\n";
  auto a = ParseNeighborList(with_unknown, Format::kText);
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  EXPECT_EQ((*a)[0].type, "Unknown");
  EXPECT_EQ((*a)[0].state, "R");
  const char* five_x =
      "Neighbor     Mac Address        Vmknic    Expiry  State\n"
      "-----------  -----------------  ------  --------  -----\n"
      "10.99.0.100  00:11:22:33:44:55  vmk2     120 sec\n";
  auto b = ParseNeighborList(five_x, Format::kText);
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  EXPECT_EQ((*b)[0].type, std::nullopt);
  EXPECT_EQ((*b)[0].expiry_s, 120);
}

TEST(ParseNeighbor, EmptyTableIsNoNeighbors) {
  const char* text =
      "Neighbor  Mac Address  Vmknic  Expiry  State  Type\n"
      "--------  -----------  ------  ------  -----  ----\n";
  auto rows = ParseNeighborList(text, Format::kText);
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

TEST(ParseNeighbor, BadMacNamesLine) {
  std::string bad = Fixture("network_ip_neighbor_list.type_dynamic.txt");
  bad.replace(bad.find("ac:1f:6b:24:61:8b"), 17, "zz:1f:6b:24:61:8b");
  auto rows = ParseNeighborList(bad, Format::kText);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message,
              HasSubstr("esxcli network ip neighbor list: line 9: expected a MAC address"));
}

TEST(ParseNeighbor, Xml) {
  const char* xml = R"(<output><root><list type="structure">
<structure typeName="NetworkNeighbor">
<field name="Expiry"><integer>1025</integer></field>
<field name="MacAddress"><string>ac:1f:6b:24:61:8a</string></field>
<field name="Neighbor"><string>172.22.2.10</string></field>
<field name="State"><string></string></field>
<field name="Type"><string>Dynamic</string></field>
<field name="Vmknic"><string>vmk1</string></field>
</structure></list></root></output>)";
  auto rows = ParseNeighborList(xml, Format::kXml);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].expiry_s, 1025);
  EXPECT_EQ((*rows)[0].state, std::nullopt);
  EXPECT_EQ((*rows)[0].vmknic, "vmk1");
}

// ------------------------------------------------------------ route ipv4 list

TEST(ParseRoute, Esxi803Capture) {
  auto rows = ParseRouteIpv4List(Fixture("network_ip_route_ipv4_list.esxi803.txt"), Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].network, "default");
  EXPECT_EQ((*rows)[0].netmask, "0.0.0.0");
  EXPECT_EQ((*rows)[0].gateway, "192.168.0.1");
  EXPECT_EQ((*rows)[0].interface, "vmk0");
  EXPECT_EQ((*rows)[0].source, "MANUAL");
  EXPECT_EQ((*rows)[1].network, "192.168.0.0");
  EXPECT_EQ((*rows)[1].netmask, "255.255.255.0");
  EXPECT_EQ((*rows)[1].gateway, "0.0.0.0");
  EXPECT_EQ((*rows)[1].interface, "vmk0");
}

TEST(ParseRoute, ShortRowIsAPreciseError) {
  const char* text =
      "Network      Netmask        Gateway      Interface  Source\n"
      "-----------  -------------  -----------  ---------  ------\n"
      "default      0.0.0.0\n";
  auto rows = ParseRouteIpv4List(text, Format::kText);
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message,
              HasSubstr("esxcli network ip route ipv4 list: line 3: expected a value for "
                        "'Gateway'"));
}

// ------------------------------------------------------------ table layout tolerance

// ------------------------------------------------------------ vswitch standard portgroup list

TEST(ParsePortgroupList, Esxi803Capture) {
  auto rows = ParsePortgroupList(
      SharedFixture("network_vswitch_standard_portgroup_list.esxi803.txt"), Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].name, "Management Network");  // a name with a space
  EXPECT_EQ((*rows)[0].vswitch, "vSwitch0");
  EXPECT_EQ((*rows)[0].active_clients, 1);
  EXPECT_EQ((*rows)[0].vlan_id, 0);
  EXPECT_EQ((*rows)[1].name, "Mirror-Network");
  EXPECT_EQ((*rows)[2].name, "SPAN-Monitoring-PG");
  EXPECT_EQ((*rows)[2].vswitch, "vSwitch-Mirror");
  EXPECT_EQ((*rows)[2].active_clients, 0);
  EXPECT_EQ((*rows)[2].vlan_id, 4095);  // all VLANs
  EXPECT_EQ((*rows)[3].name, "VM Network");
  EXPECT_EQ((*rows)[3].active_clients, 15);
}

TEST(ParsePortgroupList, CsvCaptureWithTrailingCommas) {
  auto rows = ParsePortgroupList(SharedFixture("network_vswitch_standard_portgroup_list.csv"),
                                 Format::kCsv);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].name, "Management Network");
  EXPECT_EQ((*rows)[0].vswitch, "vSwitch0");
  EXPECT_EQ((*rows)[0].vlan_id, 0);
  EXPECT_EQ((*rows)[1].name, "VM Network");
  EXPECT_EQ((*rows)[1].active_clients, 3);
}

TEST(ParsePortgroupList, CsvQuotedCellsAndTagged) {
  auto rows = ParsePortgroupList(
      "ActiveClients,Name,VLANID,VirtualSwitch,\r\n"
      "1,\"Backup, \"\"NFC\"\"\",120,vSwitch1,\r\n",
      Format::kCsv);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].name, "Backup, \"NFC\"");
  EXPECT_EQ((*rows)[0].vlan_id, 120);
  EXPECT_EQ((*rows)[0].vswitch, "vSwitch1");
}

// The XML shape of this command was not captured from a host: this is the shape of the other
// esxcli lists (typeName as the vSphere API's PortGroup, keys as in the CSV capture).
TEST(ParsePortgroupList, XmlInferredShape) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<output xmlns=\"http://www.vmware.com/Products/ESX/5.0/esxcli\">\n<root>\n"
      "   <list type=\"structure\">\n"
      "      <structure typeName=\"PortGroup\">\n"
      "         <field name=\"ActiveClients\">\n            <integer>1</integer>\n"
      "         </field>\n"
      "         <field name=\"Name\">\n            <string>Backup NFC</string>\n         </field>\n"
      "         <field name=\"VLANID\">\n            <integer>4095</integer>\n         </field>\n"
      "         <field name=\"VirtualSwitch\">\n            <string>vSwitch1</string>\n"
      "         </field>\n"
      "      </structure>\n   </list>\n</root>\n</output>\n";
  auto rows = ParsePortgroupList(xml, Format::kXml);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].name, "Backup NFC");
  EXPECT_EQ((*rows)[0].vswitch, "vSwitch1");
  EXPECT_EQ((*rows)[0].vlan_id, 4095);
  EXPECT_EQ((*rows)[0].active_clients, 1);
}

TEST(ParsePortgroupList, NoPortgroupsIsAnEmptyList) {
  auto rows = ParsePortgroupList(
      "Name  Virtual Switch  Active Clients  VLAN ID\n----  --------------  --------------  "
      "-------\n",
      Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  EXPECT_TRUE(rows->empty());
}

TEST(ParsePortgroupList, MalformedInputNamesCommandAndLine) {
  const std::string head =
      "Name        Virtual Switch  Active Clients  VLAN ID\n"
      "----------  --------------  --------------  -------\n";
  struct Case {
    std::string bytes;
    Format format;
    std::string expect;
  };
  const Case cases[] = {
      {head + "Backup NFC  vSwitch1                     1     4096\n", Format::kText,
       "esxcli network vswitch standard portgroup list: line 3: expected a VLAN ID 0..4095, "
       "got '4096'"},
      {head + "Backup NFC  vSwitch1                     1      ten\n", Format::kText,
       "esxcli network vswitch standard portgroup list: line 3: expected an integer for "
       "'VLAN ID', got 'ten'"},
      {head + "Backup NFC  vSwitch1                     1\n", Format::kText,
       "esxcli network vswitch standard portgroup list: line 3: expected a VLAN ID 0..4095, "
       "got ''"},
      {head + "Backup NFC                               1       10\n", Format::kText,
       "esxcli network vswitch standard portgroup list: line 3: expected a value for "
       "'Virtual Switch'"},
      {"Name        Active Clients  VLAN ID\n----------  --------------  -------\n"
       "Backup NFC               1       10\n",
       Format::kText,
       "esxcli network vswitch standard portgroup list: line 3: expected a field "
       "'Virtual Switch'"},
      {"Name        Virtual Switch  VLAN ID\n"
       "Backup NFC  vSwitch1             10\n",
       Format::kText,
       "esxcli network vswitch standard portgroup list: line 2: expected a dash line"},
      {"ActiveClients,Name,VLANID,VirtualSwitch,\n1,Backup NFC,10,vSwitch1,\n1,VM Network,0,\n",
       Format::kCsv,
       "esxcli network vswitch standard portgroup list: line 3: expected 4 comma-separated cells "
       "as in the header (line 1), got 3"},
      {"ActiveClients,Name,VLANID,VirtualSwitch,\n1,\"Backup NFC,10,vSwitch1,\n", Format::kCsv,
       "esxcli network vswitch standard portgroup list: line 2: expected CSV cells, found an "
       "unterminated quote"},
      {"ActiveClients,Name,,VirtualSwitch,\n", Format::kCsv,
       "esxcli network vswitch standard portgroup list: line 1: expected a field name in CSV "
       "header column 3"},
      {"ActiveClients,Name,VirtualSwitch,\n1,Backup NFC,vSwitch1,\n", Format::kCsv,
       "esxcli network vswitch standard portgroup list: line 2: expected a field 'VLAN ID'"},
      {"", Format::kCsv,
       "esxcli network vswitch standard portgroup list: expected a CSV header line, the output "
       "is empty"},
      {"<output><root><list type=\"structure\"><structure typeName=\"PortGroup\">\n"
       "<field name=\"Name\"><string>A</string></field>\n"
       "<field name=\"VirtualSwitch\"><string>vSwitch0</string></field>\n"
       "<field name=\"VLANID\"><integer>-1</integer></field>\n"
       "</structure></list></root></output>\n",
       Format::kXml,
       "esxcli network vswitch standard portgroup list: line 4: expected a VLAN ID 0..4095, "
       "got '-1'"},
      {"Error: Unknown command or namespace network vswitch standard portgroup list\n",
       Format::kText,
       "esxcli network vswitch standard portgroup list: the command reported an error"},
  };
  for (const Case& c : cases) {
    auto rows = ParsePortgroupList(c.bytes, c.format);
    ASSERT_FALSE(rows.ok()) << c.bytes;
    EXPECT_EQ(rows.error().code, ErrorCode::kParse);
    EXPECT_THAT(rows.error().message, HasSubstr(c.expect)) << c.bytes;
  }
}

TEST(ParseCsv, OtherListsReadTheCsvFormatterToo) {
  // esxcli --formatter=csv network ip interface ipv4 get: sorted keys, trailing commas.
  auto rows = ParseIpv4Get(
      "AddressType,DHCPDNS,Gateway,IPv4Address,IPv4Broadcast,IPv4Netmask,Name,\n"
      "STATIC,false,10.98.0.1,10.98.0.11,10.98.0.255,255.255.255.0,vmk0,\n",
      Format::kCsv);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].name, "vmk0");
  EXPECT_EQ((*rows)[0].address, "10.98.0.11");
  EXPECT_EQ((*rows)[0].prefix, 24);
  EXPECT_EQ((*rows)[0].dhcp_dns, false);
}

TEST(ParseTable, ShortDashGroupInTheMiddle) {
  // "Vmknic" values overflow their dash group; the value stays in its own column.
  const char* text =
      "Neighbor     Mac Address        Vmknic  Expiry    State  Type\n"
      "-----------  -----------------  ---     --------  -----  ----\n"
      "10.99.0.100  00:11:22:33:44:55  vmk12      9 sec         Dynamic\n";
  auto rows = ParseNeighborList(text, Format::kText);
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  EXPECT_EQ((*rows)[0].vmknic, "vmk12");
  EXPECT_EQ((*rows)[0].expiry_s, 9);
  EXPECT_EQ((*rows)[0].type, "Dynamic");
}

// ------------------------------------------------------------ vmkping

TEST(ParseVmkping, Vmk0Capture) {
  auto p = ParseVmkping(Fixture("vmkping_I_vmk0_success.esxi67-blog.txt"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->target, "192.168.1.22");
  EXPECT_EQ(p->payload_bytes, 56);
  EXPECT_EQ(p->transmitted, 2);
  EXPECT_EQ(p->received, 2);
  EXPECT_EQ(p->loss_percent, 0);
  EXPECT_EQ(p->replies, 2);
  EXPECT_DOUBLE_EQ(*p->rtt_min_ms, 0.406);
  EXPECT_DOUBLE_EQ(*p->rtt_avg_ms, 0.494);
  EXPECT_DOUBLE_EQ(*p->rtt_max_ms, 0.583);
  EXPECT_FALSE(p->message_too_long);
}

TEST(ParseVmkping, Vmk1Capture) {
  auto p = ParseVmkping(Fixture("vmkping_I_vmk1_success.esxi70-jbowdre.txt"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->target, "172.16.98.22");
  EXPECT_EQ(p->transmitted, 3);
  EXPECT_EQ(p->received, 3);
  EXPECT_EQ(p->replies, 3);
  EXPECT_DOUBLE_EQ(*p->rtt_min_ms, 0.243);
  EXPECT_DOUBLE_EQ(*p->rtt_avg_ms, 0.255);
  EXPECT_DOUBLE_EQ(*p->rtt_max_ms, 0.262);
}

TEST(ParseVmkping, Vmk2VmotionCapture) {
  auto p = ParseVmkping(Fixture("vmkping_I_vmk2_S_vmotion_success.esxi70-jbowdre.txt"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->target, "172.16.99.22");
  EXPECT_EQ(p->received, 3);
  EXPECT_DOUBLE_EQ(*p->rtt_min_ms, 0.202);
  EXPECT_DOUBLE_EQ(*p->rtt_avg_ms, 0.252);
  EXPECT_DOUBLE_EQ(*p->rtt_max_ms, 0.312);
}

TEST(ParseVmkping, DfMessageTooLongCapture) {
  auto p = ParseVmkping(Fixture("vmkping_df_message_too_long.esxi9-vcf9.txt"));
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_EQ(p->target, "192.168.6.1");
  EXPECT_EQ(p->payload_bytes, 1500);
  EXPECT_EQ(p->transmitted, 3);
  EXPECT_EQ(p->received, 0);
  EXPECT_EQ(p->loss_percent, 100);
  EXPECT_EQ(p->replies, 0);
  EXPECT_TRUE(p->message_too_long);
  EXPECT_THAT(p->send_errors,
              ElementsAre("Message too long", "Message too long", "Message too long"));
  EXPECT_FALSE(p->rtt_avg_ms.has_value());
}

TEST(ParseVmkping, NoReply) {
  auto p = ParseVmkping(
      "PING 10.99.0.100 (10.99.0.100): 56 data bytes\n\n--- 10.99.0.100 ping statistics ---\n"
      "3 packets transmitted, 0 packets received, 100% packet loss\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->received, 0);
  EXPECT_FALSE(p->message_too_long);
}

TEST(ParseVmkping, ErrorsAreNamed) {
  auto a = ParseVmkping("Unknown interface 'vmk9': Invalid argument\n");
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error().message,
              HasSubstr("vmkping: line 1: expected 'PING host (address): N data bytes'"));
  auto b = ParseVmkping("PING 1.2.3.4 (1.2.3.4): 56 data bytes\n64 bytes from 1.2.3.4\n");
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.error().message, HasSubstr("line 2: expected a statistics line"));
  auto c = ParseVmkping("");
  ASSERT_FALSE(c.ok());
}

}  // namespace
}  // namespace bnfc::hostagent
