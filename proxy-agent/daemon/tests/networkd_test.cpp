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
  std::string root_;
};

TEST_F(NetworkdTest, NotRunningIsNoRisk) {
  auto c = CheckNetworkd(root_);
  EXPECT_FALSE(c.running);
  EXPECT_FALSE(c.at_risk());
}

TEST_F(NetworkdTest, RunningWithDefaultsIsAtRisk) {
  std::filesystem::create_directories(root_ + "/run/systemd/netif");
  Write("/etc/systemd/networkd.conf", "[Network]\n#ManageForeignRoutes=yes\n");
  auto c = CheckNetworkd(root_);
  EXPECT_TRUE(c.running);
  EXPECT_TRUE(c.manage_foreign_routes);
  EXPECT_TRUE(c.at_risk());
}

TEST_F(NetworkdTest, DropInsApplyInOrderAndOnlyBothOffIsSafe) {
  std::filesystem::create_directories(root_ + "/run/systemd/netif");
  Write("/usr/lib/systemd/networkd.conf.d/10-vendor.conf", "[Network]\nManageForeignRoutes=no\n");
  auto half = CheckNetworkd(root_);
  EXPECT_FALSE(half.manage_foreign_routes);
  EXPECT_TRUE(half.manage_foreign_rules);
  EXPECT_TRUE(half.at_risk());
  Write("/etc/systemd/networkd.conf.d/90-late.conf", "[Route]\nManageForeignRoutes=yes\n");
  EXPECT_FALSE(CheckNetworkd(root_).manage_foreign_routes);  // wrong section: ignored
}

TEST_F(NetworkdTest, SetupWritesTheDropInThatRemovesTheRisk) {
  std::filesystem::create_directories(root_ + "/run/systemd/netif");
  ASSERT_TRUE(InstallNetworkdDropIn(root_).ok());
  auto c = CheckNetworkd(root_);
  EXPECT_FALSE(c.manage_foreign_routes);
  EXPECT_FALSE(c.manage_foreign_rules);
  EXPECT_FALSE(c.at_risk());
  EXPECT_NE(c.detail.find("bnfc.conf"), std::string::npos);
}

}  // namespace
}  // namespace bnfc::proxyd
