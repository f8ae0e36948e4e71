#include "source_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace bnfc::vsphere {
namespace {

const std::string kTp =
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:"
    "99";

std::string Base(const std::string& extra) {
  return "name = vc1\nurl = https://vc.example:8443/sdk\ncredentials = /etc/bnfc/vc1.cred\n" +
         extra;
}

TEST(VsphereSourceConfig, ParsesAThumbprintSourceWithDefaults) {
  auto c = SourceConfigFromText(Base("thumbprint = " + kTp + "\n"), "vc1.conf");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->name, "vc1");
  EXPECT_EQ(c->url.host, "vc.example");
  EXPECT_EQ(c->url.port, 8443);
  EXPECT_EQ(c->url.path, "/sdk");
  EXPECT_EQ(c->thumbprint.substr(0, 6), "aa:bb:");  // normalized to lower case
  EXPECT_EQ(c->scope.kind, ScopeKind::kAll);
  EXPECT_EQ(c->tag_policy, "observe");
  EXPECT_EQ(c->timeout, std::chrono::seconds(30));
  EXPECT_FALSE(c->insecure);
}

TEST(VsphereSourceConfig, RefusesASourceWithoutThumbprintOrCa) {
  auto c = SourceConfigFromText(Base(""), "vc1.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("neither thumbprint nor ca_file"), std::string::npos)
      << c.error().message;
}

TEST(VsphereSourceConfig, RefusesBothThumbprintAndCaAndInsecureWithEither) {
  auto both = SourceConfigFromText(Base("thumbprint = " + kTp + "\nca_file = /etc/ca.pem\n"), "f");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("not both"), std::string::npos);
  auto ins = SourceConfigFromText(Base("ca_file = /etc/ca.pem\ninsecure = true\n"), "f");
  ASSERT_FALSE(ins.ok());
  EXPECT_NE(ins.error().message.find("line 5: key 'insecure'"), std::string::npos)
      << ins.error().message;
}

TEST(VsphereSourceConfig, InsecureAloneIsAcceptedAndRecorded) {
  auto c = SourceConfigFromText(Base("insecure = yes\n"), "f");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_TRUE(c->insecure);
  EXPECT_TRUE(c->thumbprint.empty());
}

TEST(VsphereSourceConfig, BadThumbprintsNameTheLineAndTheShape) {
  for (const std::string& bad : std::vector<std::string>{
           "AA:BB",                                                        // short
           "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD",  // SHA-1
           kTp.substr(0, 94) + "G",                                        // not hex
           std::string(kTp).replace(2, 1, "-"),                            // wrong separator
       }) {
    auto c = SourceConfigFromText(Base("thumbprint = " + bad + "\n"), "vc1.conf");
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.error().message.find("vc1.conf line 4: key 'thumbprint'"), std::string::npos)
        << c.error().message;
    EXPECT_NE(c.error().message.find("32 colon-separated hex bytes"), std::string::npos);
  }
}

TEST(VsphereSourceConfig, UrlMustBeHttpsWithAValidPortAndNoUserInfo) {
  for (const std::string bad :
       {"http://vc/sdk", "https://:443/sdk", "https://vc:0/sdk", "https://vc:99999/sdk",
        "https://vc:x/sdk", "https://u:p@vc/sdk", "https://[::1/sdk", "https://vc:/sdk"}) {
    auto c = SourceConfigFromText(
        "name = vc1\nurl = " + bad + "\ncredentials = /c\nthumbprint = " + kTp + "\n", "f");
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.error().message.find("line 2: key 'url'"), std::string::npos)
        << bad << ": " << c.error().message;
  }
  auto v6 = ParseHttpsUrl("https://[::1]:9443/sdk");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9443);
  auto bare = ParseHttpsUrl("https://esx01");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 443);
  EXPECT_EQ(bare->path, "/sdk");
}

TEST(VsphereSourceConfig, Scopes) {
  auto hosts = ParseScope("hosts: ESX01, esx02 ,esx03");
  ASSERT_TRUE(hosts.ok());
  EXPECT_EQ(hosts->kind, ScopeKind::kHosts);
  EXPECT_EQ(hosts->hosts, (std::vector<std::string>{"esx01", "esx02", "esx03"}));
  auto cl = ParseScope("cluster: Prod A");
  ASSERT_TRUE(cl.ok());
  EXPECT_EQ(cl->kind, ScopeKind::kCluster);
  EXPECT_EQ(cl->name, "Prod A");
  EXPECT_EQ(ParseScope("datacenter: dc1")->kind, ScopeKind::kDatacenter);
  for (std::string bad : {"some", "hosts:", "hosts: a,,b", "cluster:", "folder: x", ""}) {
    EXPECT_FALSE(ParseScope(bad).ok()) << bad;
  }
  auto c = SourceConfigFromText(Base("thumbprint = " + kTp + "\nscope = rack: 4\n"), "f");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("line 5: key 'scope'"), std::string::npos);
}

TEST(VsphereSourceConfig, TagPolicyNameAndUnknownKeys) {
  EXPECT_FALSE(SourceConfigFromText(Base("thumbprint = " + kTp + "\ntag_policy = force\n"), "f"));
  EXPECT_TRUE(SourceConfigFromText(
      Base("thumbprint = " + kTp + "\ntag_policy = ensure\nbackup_vmk = vmk2\n"), "f"));
  EXPECT_FALSE(SourceConfigFromText(Base("thumbprint = " + kTp + "\nverify = no\n"), "f"));
  auto bad_name = SourceConfigFromText(
      "name = vc 1\nurl = https://vc/sdk\ncredentials = /c\nthumbprint = " + kTp + "\n", "f");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.error().message.find("key 'name'"), std::string::npos);
  EXPECT_FALSE(SourceConfigFromText(Base("thumbprint = " + kTp + "\ntimeout = 0s\n"), "f"));
  // Missing required keys.
  EXPECT_FALSE(SourceConfigFromText("name = vc1\nthumbprint = " + kTp + "\n", "f"));
  EXPECT_FALSE(SourceConfigFromText(Base("thumbprint = " + kTp + "\n").replace(0, 0, "x"), "f"));
}

TEST(VsphereSourceConfig, BackupVmknicByNameOrPortgroupInTheAgentsWords) {
  auto by_name = SourceConfigFromText(Base("thumbprint = " + kTp + "\nbackup_vmk = vmk2\n"), "f");
  ASSERT_TRUE(by_name.ok()) << by_name.error().ToString();
  EXPECT_EQ(by_name->backup_vmknic, "vmk2");
  auto by_pg = SourceConfigFromText(
      Base("thumbprint = " + kTp + "\ntag_policy = ensure\nbackup_portgroup = Backup NFC\n"), "f");
  ASSERT_TRUE(by_pg.ok()) << by_pg.error().ToString();
  EXPECT_EQ(by_pg->backup_vmknic, "portgroup: Backup NFC");
  EXPECT_EQ(by_pg->tag_policy, "ensure");
  // Observe needs none: nothing is changed.
  auto none = SourceConfigFromText(Base("thumbprint = " + kTp + "\n"), "f");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->backup_vmknic, "");
}

TEST(VsphereSourceConfig, EnsureWithoutABackupVmknicIsAPreciseError) {
  auto c =
      SourceConfigFromText(Base("thumbprint = " + kTp + "\ntag_policy = ensure\n"), "vc1.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("vc1.conf"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("line 5: key 'tag_policy'"), std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("set backup_vmk"), std::string::npos) << c.error().message;
}

TEST(VsphereSourceConfig, BadBackupVmknicKeysAreRefused) {
  for (const std::string bad : {"vmk", "vmx1", "vmk1a", "vmk100", "eth0"}) {
    auto c =
        SourceConfigFromText(Base("thumbprint = " + kTp + "\nbackup_vmk = " + bad + "\n"), "f");
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.error().message.find("key 'backup_vmk'"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("vmk0..vmk99"), std::string::npos) << c.error().message;
  }
  auto both = SourceConfigFromText(
      Base("thumbprint = " + kTp + "\nbackup_vmk = vmk2\nbackup_portgroup = Backup\n"), "f");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("not both"), std::string::npos) << both.error().message;
}

class VsphereCredentials : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bnfc-vsphere-cred-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/cred";
  }
  void TearDown() override {
    ::unlink((dir_ + "/link").c_str());
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  void Write(const std::string& text, mode_t mode) {
    std::ofstream(path_) << text;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }
  std::string dir_, path_;
};

TEST_F(VsphereCredentials, ReadsAPrivateFile) {
  Write("username = backup@vsphere.local\npassword = \"s3cret # not a comment\"\n", 0600);
  auto c = LoadCredentials(path_, ::geteuid());
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->username, "backup@vsphere.local");
  EXPECT_EQ(c->password, "s3cret # not a comment");
  Write("username = u\npassword = p\n", 0400);
  EXPECT_TRUE(LoadCredentials(path_, ::geteuid()).ok());
}

TEST_F(VsphereCredentials, RefusesReadableByOthersForeignOwnerAndSymlinks) {
  Write("username = u\npassword = p\n", 0640);
  auto wide = LoadCredentials(path_, ::geteuid());
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.error().code, ErrorCode::kPermission);
  EXPECT_NE(wide.error().message.find("mode 0640"), std::string::npos) << wide.error().message;
  Write("username = u\npassword = p\n", 0600);
  auto foreign = LoadCredentials(path_, ::geteuid() + 1);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("owned by uid"), std::string::npos);
  ASSERT_EQ(::symlink(path_.c_str(), (dir_ + "/link").c_str()), 0);
  auto link = LoadCredentials(dir_ + "/link", ::geteuid());
  ASSERT_FALSE(link.ok());
  EXPECT_NE(link.error().message.find("symbolic link"), std::string::npos);
  auto dir = LoadCredentials(dir_, ::geteuid());
  ASSERT_FALSE(dir.ok());
}

TEST_F(VsphereCredentials, RefusesMissingOrEmptyFields) {
  Write("username = u\n", 0600);
  EXPECT_FALSE(LoadCredentials(path_, ::geteuid()).ok());
  Write("username = u\npassword = \"\"\n", 0600);
  auto empty = LoadCredentials(path_, ::geteuid());
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("key 'password': must not be empty"), std::string::npos)
      << empty.error().message;
}

}  // namespace
}  // namespace bnfc::vsphere
