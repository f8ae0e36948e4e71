// The vSphere source against bnfc-vcsim (govmomi's simulator over real HTTPS and SOAP): TLS
// pinning, login, one read of every host, facts, and tagging through the API.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "client.h"
#include "facts.h"
#include "https_transport.h"

namespace bnfc::vsphere {
namespace {

class VcsimTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* bin = std::getenv("BNFC_BIN_DIR");
    binary_ = std::string(bin ? bin : "build/bin") + "/bnfc-vcsim";
    if (::access(binary_.c_str(), X_OK) != 0) {
      return;  // each test skips and says why
    }
    char tmpl[] = "/tmp/bnfc-vcsim-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    const std::string info = dir_ + "/info.json";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl(binary_.c_str(), binary_.c_str(), "--listen", "127.0.0.1:0", "--info-file",
              info.c_str(), "--generate-hosts", "3", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 600 && info_.is_null(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::ifstream in(info);
      if (in) {
        info_ = nlohmann::json::parse(in, nullptr, false);
        if (info_.is_discarded() || !info_.contains("thumbprint")) {
          info_ = nullptr;
        }
      }
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) {
      std::remove((dir_ + "/info.json").c_str());
      ::rmdir(dir_.c_str());
    }
  }
  void SetUp() override {
    if (pid_ <= 0) {
      GTEST_SKIP() << binary_ << " is not built (it needs golang-go and "
                   << "golang-github-vmware-govmomi-dev; see tools/vcsim)";
    }
    ASSERT_FALSE(info_.is_null()) << "bnfc-vcsim wrote no info file within 60 s";
  }
  static Url ServerUrl() { return *ParseHttpsUrl(info_["url"].get<std::string>()); }
  static TlsPolicy Pinned() {
    return TlsPolicy{*NormalizeThumbprint(info_["thumbprint"].get<std::string>()), "", false};
  }
  static Credentials Creds() {
    return {info_["username"].get<std::string>(), info_["password"].get<std::string>()};
  }

  static std::string binary_;
  static std::string dir_;
  static pid_t pid_;
  static nlohmann::json info_;
};
std::string VcsimTest::binary_;
std::string VcsimTest::dir_;
pid_t VcsimTest::pid_ = -1;
nlohmann::json VcsimTest::info_;

TEST_F(VcsimTest, PinnedServerReadsEveryHostInOneRequestAndTheFactsParse) {
  HttpsTransport t(ServerUrl(), Pinned(), std::chrono::seconds(30));
  Client client(t, Creds(), Scope{});
  auto r = client.ReadHosts();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->hosts.size(), 3u);
  for (const auto& o : r->hosts) {
    auto h = HostFromObject(o, "observe");
    ASSERT_TRUE(h.ok()) << h.error().ToString();
    EXPECT_EQ(h->report.nfc_vmknic(), "vmk1") << h->host_id;
    EXPECT_EQ(h->report.management_vmknic(), "vmk0");
    EXPECT_EQ(h->report.nfc_address().rfind("10.1.", 0), 0u) << h->report.nfc_address();
    EXPECT_NE(h->report.nfc_address(), h->report.management_address());
    EXPECT_TRUE(h->report.hostd_available());
  }
  auto again = client.ReadHosts();
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->requests, 1u);  // the session and view are reused
  client.Logout();
}

TEST_F(VcsimTest, AWrongPinOrAnUntrustedCaIsRefusedBeforeLogin) {
  TlsPolicy wrong = Pinned();
  wrong.thumbprint.replace(0, 2, wrong.thumbprint.substr(0, 2) == "00" ? "11" : "00");
  HttpsTransport t(ServerUrl(), wrong, std::chrono::seconds(30));
  Client client(t, Creds(), Scope{});
  auto r = client.ReadHosts();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermission);
  EXPECT_NE(r.error().message.find("not the pinned"), std::string::npos) << r.error().message;
  EXPECT_EQ(t.last_thumbprint(), Pinned().thumbprint);  // what to pin, for the operator

  // The simulator's certificate is self-signed: a CA bundle does not vouch for it.
  const char* bundle = "/etc/ssl/certs/ca-certificates.crt";
  if (::access(bundle, R_OK) == 0) {
    HttpsTransport ca(ServerUrl(), TlsPolicy{"", bundle, false}, std::chrono::seconds(30));
    Client c2(ca, Creds(), Scope{});
    auto r2 = c2.ReadHosts();
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, ErrorCode::kPermission) << r2.error().ToString();
  }
}

TEST_F(VcsimTest, AWrongPasswordIsInvalidLogin) {
  HttpsTransport t(ServerUrl(), Pinned(), std::chrono::seconds(30));
  Client client(t, {Creds().username, "wrong"}, Scope{});
  auto r = client.ReadHosts();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("InvalidLogin"), std::string::npos) << r.error().message;
}

TEST_F(VcsimTest, DeselectAndSelectThroughTheApiChangeTheNfcAddress) {
  HttpsTransport t(ServerUrl(), Pinned(), std::chrono::seconds(30));
  ClientOptions o;
  o.want_vnic_manager = true;
  Client client(t, Creds(), Scope{}, o);
  auto r = client.ReadHosts();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  auto h = HostFromObject(r->hosts[0], "ensure");
  ASSERT_TRUE(h.ok()) << h.error().ToString();
  ASSERT_FALSE(h->vnic_manager.empty());
  ASSERT_TRUE(client.DeselectVnic(h->vnic_manager, kNfcNicType, "vmk1"));
  auto after = client.ReadHosts();
  ASSERT_TRUE(after.ok());
  auto h2 = HostFromObject(after->hosts[0], "ensure");
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(h2->report.nfc_vmknic(), "");
  EXPECT_EQ(h2->report.nfc_address(), h2->report.management_address());
  ASSERT_TRUE(client.SelectVnic(h->vnic_manager, kNfcNicType, "vmk1"));
  auto back = client.ReadHosts();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(HostFromObject(back->hosts[0], "ensure")->report.nfc_vmknic(), "vmk1");
  auto bad = client.SelectVnic(h->vnic_manager, kNfcNicType, "vmk9");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("InvalidArgument"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace bnfc::vsphere
