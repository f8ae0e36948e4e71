#include "client.h"

#include <gtest/gtest.h>

#include "fake_vsphere.h"

namespace bnfc::vsphere {
namespace {

using testing::FakeVsphere;

Credentials Creds() {
  return {"backup@vsphere.local", "s3cret"};
}

std::vector<std::string> Names(const HostsRead& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hosts) {
    out.push_back(h.props.at("name").text);
  }
  return out;
}

TEST(VsphereClient, FirstReadLogsInCreatesAViewAndPagesThroughEveryHost) {
  FakeVsphere server;
  server.hosts = testing::TwoHosts();
  server.hosts.push_back(server.hosts[1]);
  server.hosts.back().moref = "host-23";
  server.hosts.back().name = "esx03.lab";
  Client client(server, Creds(), Scope{}, ClientOptions{2});
  auto r = client.ReadHosts();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"ESX01.lab", "esx02.lab", "esx03.lab"}));
  EXPECT_EQ(r->pages, 2u);
  // ServiceContent, Login, CreateContainerView, RetrievePropertiesEx, Continue.
  EXPECT_EQ(r->requests, 5u);
  EXPECT_EQ(server.Count("ContinueRetrievePropertiesEx"), 1u);
  // The API version is the server's own once known.
  EXPECT_EQ(server.log.front().action, "urn:vim25/6.7");
  EXPECT_EQ(server.log.back().action, "urn:vim25/8.0.3.0");
  // Every host property the facts need, in one request.
  const std::string& rpe = server.log[3].body;
  for (const auto& p : HostPropertyPaths(false)) {
    EXPECT_NE(rpe.find("<pathSet>" + p + "</pathSet>"), std::string::npos) << p;
  }
  EXPECT_EQ(rpe.find("configManager.virtualNicManager"), std::string::npos);
}

TEST(VsphereClient, LaterReadsReuseTheSessionAndTheView) {
  FakeVsphere server;
  server.hosts = testing::TwoHosts();
  Client client(server, Creds(), Scope{});
  ASSERT_TRUE(client.ReadHosts().ok());
  auto second = client.ReadHosts();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->requests, 1u);
  EXPECT_EQ(server.sessions_created, 1);
  EXPECT_EQ(server.log.back().cookie, "vmware_soap_session=\"s1\"");
}

TEST(VsphereClient, AnExpiredSessionLogsInOnceAgain) {
  FakeVsphere server;
  server.hosts = testing::TwoHosts();
  Client client(server, Creds(), Scope{});
  ASSERT_TRUE(client.ReadHosts().ok());
  server.live_cookie = "expired";  // the server forgot the session
  auto r = client.ReadHosts();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(server.sessions_created, 2);
  EXPECT_EQ(r->hosts.size(), 2u);
  // A server that refuses the fresh session too: the error comes back, no loop.
  server.canned["RetrievePropertiesEx"] = {{500, testing::SoapFault("NotAuthenticated", "no")},
                                           {500, testing::SoapFault("NotAuthenticated", "no")}};
  auto again = client.ReadHosts();
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(IsNotAuthenticated(again.error())) << again.error().ToString();
  EXPECT_EQ(server.sessions_created, 3);
}

TEST(VsphereClient, AWrongPasswordIsAPreciseErrorAndNoSession) {
  FakeVsphere server;
  Client client(server, {"backup@vsphere.local", "wrong"}, Scope{});
  auto r = client.ReadHosts();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(
      r.error().message.find("Login as 'backup@vsphere.local': InvalidLogin: Cannot complete"),
      std::string::npos)
      << r.error().message;
  EXPECT_FALSE(client.logged_in());
  EXPECT_EQ(server.Count("RetrievePropertiesEx"), 0u);
}

TEST(VsphereClient, CredentialsAreEscapedInTheEnvelope) {
  FakeVsphere server;
  Client client(server, {"u<x>", "p&\"'</password><x>"}, Scope{});
  (void)client.ReadHosts();
  const std::string& login = server.log[1].body;
  EXPECT_NE(login.find("<userName>u&lt;x&gt;</userName>"), std::string::npos) << login;
  EXPECT_EQ(login.find("</password><x>"), std::string::npos);
}

TEST(VsphereClient, ClusterScopeViewsOnlyThatClusterAndNamesAMissingOne) {
  FakeVsphere server;
  server.hosts = testing::TwoHosts();
  server.clusters = {{"domain-c7", "c1"}, {"domain-c8", "c2"}};
  Scope s;
  s.kind = ScopeKind::kCluster;
  s.name = "c2";
  Client client(server, Creds(), s);
  auto r = client.ReadHosts();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"esx02.lab"}));
  EXPECT_EQ(server.Count("DestroyView"), 1u);  // the lookup view is not left behind
  s.name = "c9";
  Client other(server, Creds(), s);
  auto missing = other.ReadHosts();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("no cluster 'c9'"), std::string::npos);
  server.clusters["domain-c9"] = "c2";
  s.name = "c2";
  Client twice(server, Creds(), s);
  auto ambiguous = twice.ReadHosts();
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, ErrorCode::kConflict);
}

TEST(VsphereClient, HostsScopeKeepsOnlyTheNamedHostsCaseInsensitively) {
  FakeVsphere server;
  server.hosts = testing::TwoHosts();
  Scope s;
  s.kind = ScopeKind::kHosts;
  s.hosts = {"esx01.lab"};
  Client client(server, Creds(), s);
  auto r = client.ReadHosts();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r), (std::vector<std::string>{"ESX01.lab"}));
}

TEST(VsphereClient, NonSoapStatusesTokensForeverAndDuplicatesAreRefused) {
  FakeVsphere server;
  server.hosts = testing::TwoHosts();
  server.canned["RetrieveServiceContent"] = {{503, "<html>maintenance</html>"}};
  Client client(server, Creds(), Scope{});
  auto r = client.ReadHosts();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("RetrieveServiceContent: HTTP status 503"), std::string::npos)
      << r.error().message;

  // A server whose every page carries a token.
  FakeVsphere looping;
  looping.hosts = testing::TwoHosts();
  const std::string page = testing::SoapEnvelope(
      "<ContinueRetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval><token>t</token>"
      "</returnval></ContinueRetrievePropertiesExResponse>");
  for (int i = 0; i < 5; ++i) {
    looping.canned["ContinueRetrievePropertiesEx"].push_back({200, page});
  }
  Client c2(looping, Creds(), Scope{}, ClientOptions{1, 4});
  auto loop = c2.ReadHosts();
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message.find("more than 4 pages"), std::string::npos)
      << loop.error().message;

  FakeVsphere dup;
  dup.hosts = testing::TwoHosts();
  dup.hosts[1].moref = dup.hosts[0].moref;
  Client c3(dup, Creds(), Scope{});
  auto d = c3.ReadHosts();
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("host-21 twice"), std::string::npos);
}

TEST(VsphereClient, SelectAndDeselectGoToTheHostsVnicManager) {
  FakeVsphere server;
  server.hosts = testing::TwoHosts();
  Client client(server, Creds(), Scope{}, ClientOptions{250, 1000, true});
  auto r = client.ReadHosts();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hosts[0].props.at("configManager.virtualNicManager").text, "hostVnicMgr-21");
  ASSERT_TRUE(
      client.SelectVnic({"HostVirtualNicManager", "hostVnicMgr-22"}, "vSphereBackupNFC", "vmk0"));
  EXPECT_EQ(server.hosts[1].nfc, (std::vector<std::string>{"vmk0"}));
  ASSERT_TRUE(
      client.DeselectVnic({"HostVirtualNicManager", "hostVnicMgr-22"}, "vSphereBackupNFC", "vmk0"));
  EXPECT_TRUE(server.hosts[1].nfc.empty());
  auto bad = client.SelectVnic({"HostVirtualNicManager", "nope"}, "vSphereBackupNFC", "vmk0");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("ManagedObjectNotFound"), std::string::npos);
}

TEST(VsphereClient, LogoutDestroysTheViewAndEndsTheSession) {
  FakeVsphere server;
  server.hosts = testing::TwoHosts();
  Client client(server, Creds(), Scope{});
  ASSERT_TRUE(client.ReadHosts().ok());
  client.Logout();
  EXPECT_FALSE(client.logged_in());
  EXPECT_EQ(server.Count("DestroyView"), 1u);
  EXPECT_EQ(server.Count("Logout"), 1u);
  EXPECT_TRUE(server.live_cookie.empty());
}

}  // namespace
}  // namespace bnfc::vsphere
