// Hostile and malformed SOAP: every answer is a precise error, never a crash or a partial result.
#include <gtest/gtest.h>

#include "fake_vsphere.h"
#include "soap.h"
#include "xml.h"

namespace bnfc::vsphere {
namespace {

std::string HostsPage() {
  auto hosts = testing::TwoHosts();
  std::vector<std::string> paths = HostPropertyPaths(true);
  return testing::SoapEnvelope("<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>" +
                               testing::HostObjectXml(hosts[0], paths) +
                               testing::HostObjectXml(hosts[1], paths) +
                               "</returnval></RetrievePropertiesExResponse>");
}

TEST(VsphereXml, ParsesNamesTypesAndText) {
  auto page = soap::ParseRetrieve(HostsPage(), "RetrievePropertiesExResponse");
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  const auto& o = page->objects[0];
  EXPECT_EQ(o.obj.type, "HostSystem");
  EXPECT_EQ(o.obj.value, "host-21");
  EXPECT_EQ(o.props.at("name").text, "ESX01.lab");
  EXPECT_EQ(o.props.at("name").xsi_type, "string");
  EXPECT_EQ(o.props.at("config.network.vnic").xsi_type, "ArrayOfHostVirtualNic");
  EXPECT_EQ(o.props.at("config.network.vnic").Children("HostVirtualNic").size(), 2u);
  EXPECT_EQ(page->objects[1].props.at("configManager.virtualNicManager").text, "hostVnicMgr-22");
  EXPECT_EQ(page->objects[0].props.at("configManager.virtualNicManager").type,
            "HostVirtualNicManager");
  EXPECT_TRUE(page->token.empty());
}

TEST(VsphereXml, EveryTruncationIsAnErrorNeverAPartialPage) {
  const std::string full = HostsPage();
  // Every prefix that cuts the document before its last element closes.
  const size_t end = full.rfind("</soapenv:Envelope>");
  for (size_t n = 0; n < end; n += 7) {
    auto page = soap::ParseRetrieve(full.substr(0, n), "RetrievePropertiesExResponse");
    ASSERT_FALSE(page.ok()) << "prefix of " << n << " bytes parsed";
    EXPECT_EQ(page.error().code, ErrorCode::kParse);
  }
}

TEST(VsphereXml, DoctypeAndEntitiesAreRefusedBeforeParsing) {
  const std::string bomb =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
      "\"&lol;&lol;&lol;&lol;\">]><Envelope><Body><x>&lol2;</x></Body></Envelope>";
  auto r = xml::Parse(bomb);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("document type declaration"), std::string::npos);
  auto ext = xml::Parse("<a>&undeclared;</a>");
  EXPECT_FALSE(ext.ok());
}

TEST(VsphereXml, DepthNodeCountSizeAndTextLimits) {
  std::string deep;
  for (int i = 0; i < 100; ++i)
    deep += "<a>";
  for (int i = 0; i < 100; ++i)
    deep += "</a>";
  auto d = xml::Parse(deep);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("nested deeper than 48"), std::string::npos);

  std::string wide = "<a>";
  for (int i = 0; i < 200; ++i)
    wide += "<b/>";
  wide += "</a>";
  xml::Limits small;
  small.max_nodes = 100;
  auto w = xml::Parse(wide, small);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("more than 100 elements"), std::string::npos);

  small = {};
  small.max_bytes = 1000;
  auto big = xml::Parse("<a>" + std::string(2000, 'x') + "</a>", small);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("larger than the limit of 1000"), std::string::npos);

  small = {};
  small.max_text = 10;
  EXPECT_FALSE(xml::Parse("<a>" + std::string(11, 'x') + "</a>", small).ok());
  EXPECT_TRUE(xml::Parse("<a>" + std::string(10, 'x') + "</a>", small).ok());
}

TEST(VsphereXml, WrongShapesNameWhatWasExpected) {
  struct Case {
    std::string body;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"<notsoap/>", "root element is <notsoap>"},
      {"<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"/>",
       "has no <Body>"},
      {testing::SoapEnvelope("<LoginResponse/>"),
       "<LoginResponse> where <RetrievePropertiesExResponse> was expected"},
      {testing::SoapEnvelope("<a/><b/>"), "holds 2 elements"},
      {testing::SoapEnvelope("<RetrievePropertiesExResponse><returnval/><returnval/>"
                             "</RetrievePropertiesExResponse>"),
       "2 <returnval>"},
      {testing::SoapEnvelope("<RetrievePropertiesExResponse><returnval><objects><propSet/>"
                             "</objects></returnval></RetrievePropertiesExResponse>"),
       "has no <obj>"},
      {testing::SoapEnvelope("<RetrievePropertiesExResponse><returnval><objects><obj>host-1</obj>"
                             "</objects></returnval></RetrievePropertiesExResponse>"),
       "not a managed object reference"},
      {testing::SoapEnvelope(
           "<RetrievePropertiesExResponse><returnval><objects><obj type=\"HostSystem\">h</obj>"
           "<propSet><name>name</name></propSet></objects></returnval>"
           "</RetrievePropertiesExResponse>"),
       "lacks <name> or <val>"},
      {testing::SoapEnvelope(
           "<RetrievePropertiesExResponse><returnval><objects><obj type=\"HostSystem\">h</obj>"
           "<propSet><name>name</name><val>a</val></propSet><propSet><name>name</name><val>b"
           "</val></propSet></objects></returnval></RetrievePropertiesExResponse>"),
       "appears twice"},
      {testing::SoapFault("NoPermission", "Permission to perform this operation was denied."),
       "NoPermission: Permission to perform"},
      {"\x01\x02garbage", "malformed XML"},
      {"", "empty XML document"},
  };
  for (const auto& c : cases) {
    auto r = soap::ParseRetrieve(c.body, "RetrievePropertiesExResponse");
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos)
        << "wanted '" << c.expect << "' in: " << r.error().message;
  }
}

TEST(VsphereXml, ServiceContentNeedsItsManagers) {
  auto r = soap::ParseServiceContent(testing::SoapEnvelope(
      "<RetrieveServiceContentResponse><returnval><rootFolder type=\"Folder\">group-d1"
      "</rootFolder></returnval></RetrieveServiceContentResponse>"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no <propertyCollector>"), std::string::npos);
}

TEST(VsphereXml, MissingSetIsKeptWithItsFaultType) {
  auto hosts = testing::TwoHosts();
  hosts[0].vnic_manager.clear();
  auto page = soap::ParseRetrieve(
      testing::SoapEnvelope(
          "<RetrievePropertiesExResponse><returnval>" +
          testing::HostObjectXml(hosts[0], {"name", "configManager.virtualNicManager"}) +
          "</returnval></RetrievePropertiesExResponse>"),
      "RetrievePropertiesExResponse");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects[0].missing.at("configManager.virtualNicManager"), "NoPermission");
}

// Random byte flips of a valid page: each either parses or fails with an error; never crashes.
TEST(VsphereXml, RandomMutationsNeverCrash) {
  const std::string full = HostsPage();
  uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245u + 12345u; };
  size_t errors = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string m = full;
    for (int k = 0; k < 3; ++k) {
      m[next() % m.size()] = static_cast<char>(next() >> 8);
    }
    auto r = soap::ParseRetrieve(m, "RetrievePropertiesExResponse");
    errors += !r.ok();
  }
  EXPECT_GT(errors, 0u);
}

}  // namespace
}  // namespace bnfc::vsphere
