#include "networkd.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace bnfc::proxyd {
namespace {

class NetworkdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bnfc-networkd-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(root_ + rel).parent_path());
    std::ofstream(root_ + rel) << text;
  }
  // networkd running (its process) and managing link 3 (and, unmanaged, link 1).
  void Networkd() {
    Write("/proc/412/comm", "systemd-network\n");
    Write("/proc/1/comm", "systemd\n");
    Write("/run/systemd/netif/links/1", "ADMIN_STATE=unmanaged\nOPER_STATE=carrier\n");
    Write("/run/systemd/netif/links/3", "ADMIN_STATE=configured\nOPER_STATE=routable\n");
  }
  std::string root_;
};

TEST_F(NetworkdTest, NotRunningIsNoRisk) {
  auto c = CheckNetworkd(root_);
  EXPECT_FALSE(c.running);
  EXPECT_FALSE(c.at_risk());
}

// Every Debian machine has /run/systemd/netif (tmpfiles), networkd active or not.
TEST_F(NetworkdTest, TheNetifDirectoryAloneIsNoRisk) {
  std::filesystem::create_directories(root_ + "/run/systemd/netif/links");
  Write("/proc/1/comm", "systemd\n");
  auto c = CheckNetworkd(root_);
  EXPECT_FALSE(c.running);
  EXPECT_FALSE(c.at_risk());
  EXPECT_NE(c.detail.find("no systemd-networkd process"), std::string::npos) << c.detail;
}

TEST_F(NetworkdTest, RunningButNotManagingTheBackupInterfaceIsNoRisk) {
  Networkd();
  auto other = CheckNetworkd(root_, {1, 2});  // 1 is unmanaged, 2 has no state file
  EXPECT_TRUE(other.running);
  EXPECT_FALSE(other.manages);
  EXPECT_FALSE(other.at_risk());
  auto backup = CheckNetworkd(root_, {3});
  EXPECT_TRUE(backup.manages);
  EXPECT_TRUE(backup.at_risk());
  EXPECT_NE(backup.detail.find("links/3: ADMIN_STATE=configured"), std::string::npos);
}

TEST_F(NetworkdTest, RunningWithDefaultsIsAtRisk) {
  Networkd();
  Write("/etc/systemd/networkd.conf", "[Network]\n#ManageForeignRoutes=yes\n");
  auto c = CheckNetworkd(root_);
  EXPECT_TRUE(c.running);
  EXPECT_TRUE(c.manage_foreign_routes);
  EXPECT_TRUE(c.at_risk());
}

TEST_F(NetworkdTest, DropInsApplyInOrderAndOnlyBothOffIsSafe) {
  Networkd();
  Write("/usr/lib/systemd/networkd.conf.d/10-vendor.conf", "[Network]\nManageForeignRoutes=no\n");
  auto half = CheckNetworkd(root_);
  EXPECT_FALSE(half.manage_foreign_routes);
  EXPECT_TRUE(half.manage_foreign_rules);
  EXPECT_TRUE(half.at_risk());
  Write("/etc/systemd/networkd.conf.d/90-late.conf", "[Route]\nManageForeignRoutes=yes\n");
  EXPECT_FALSE(CheckNetworkd(root_).manage_foreign_routes);  // wrong section: ignored
}

TEST_F(NetworkdTest, SetupWritesTheDropInThatRemovesTheRisk) {
  Networkd();
  ASSERT_TRUE(InstallNetworkdDropIn(root_).ok());
  auto c = CheckNetworkd(root_);
  EXPECT_FALSE(c.manage_foreign_routes);
  EXPECT_FALSE(c.manage_foreign_rules);
  EXPECT_FALSE(c.at_risk());
  EXPECT_NE(c.detail.find("bnfc.conf"), std::string::npos);
}

}  // namespace
}  // namespace bnfc::proxyd
