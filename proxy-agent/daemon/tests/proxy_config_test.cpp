#include "proxy_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <string>

namespace bnfc::proxyd {
namespace {

TEST(ProxyConfigTest, DefaultsAndMappings) {
  auto c = ProxyConfigFromText(
      "proxy_id = proxy01\n"
      "mapping = 10.77.0.0/24 eth1 via 10.99.0.1\n"
      "mapping = fd00:99::/64 eth2\n"
      "backup_interface = eth1\n",
      "proxyd.conf");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->proxy_id, "proxy01");
  EXPECT_EQ(c->listen, "tcp://0.0.0.0:9902");
  EXPECT_EQ(c->http_listen, "127.0.0.1:9903");
  EXPECT_EQ(c->route_table, 902);
  EXPECT_EQ(c->rt_protocol, 190);
  EXPECT_EQ(c->server_secret_key, "/var/lib/bnfc/server.key");
  ASSERT_EQ(c->mappings.size(), 2u);
  EXPECT_EQ(c->mappings[0].via, "10.99.0.1");
  EXPECT_EQ(c->mappings[0].line, 2);
  EXPECT_EQ(c->mappings[1].interface, "eth2");
  EXPECT_TRUE(c->mappings[1].via.empty());
  EXPECT_EQ(c->freshness, std::chrono::seconds(90));
}

TEST(ProxyConfigTest, VsphereSourcesRepeatInFileOrderOnceEach) {
  auto c = ProxyConfigFromText(
      "proxy_id = p\nvsphere_source = /etc/bnfc/vc1.conf\nvsphere_source = /etc/bnfc/esx9.conf\n",
      "proxyd.conf");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->vsphere_sources,
            (std::vector<std::string>{"/etc/bnfc/vc1.conf", "/etc/bnfc/esx9.conf"}));
  EXPECT_TRUE(ProxyConfigFromText("proxy_id = p\n", "f")->vsphere_sources.empty());
  auto twice = ProxyConfigFromText(
      "proxy_id = p\nvsphere_source = /etc/a.conf\nvsphere_source = /etc/a.conf\n", "f");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("line 3: key 'vsphere_source'"), std::string::npos)
      << twice.error().message;
  EXPECT_FALSE(ProxyConfigFromText("proxy_id = p\nvsphere_source = vc1.conf\n", "f").ok());
}

TEST(ProxyConfigTest, MalformedMappingNamesTheLine) {
  auto c = ProxyConfigFromText("proxy_id = p\nmapping = 10.77.0.0/24 eth1 through 10.99.0.1\n",
                               "proxyd.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("proxyd.conf line 2"), std::string::npos);
  EXPECT_NE(c.error().message.find("mapping"), std::string::npos);
}

TEST(ProxyConfigTest, OutOfRangeValuesAndUnknownKeysAreErrors) {
  auto bad = ProxyConfigFromText("proxy_id = p\nrt_protocol = 300\n", "p.conf");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("rt_protocol"), std::string::npos);
  EXPECT_FALSE(ProxyConfigFromText("proxy_id = p\nfoo = bar\n", "p.conf").ok());
}

// Each bad line is refused at load time with the file, line, key and reason, rather than
// surfacing later as a pin that never appears or a loop that never sleeps.
TEST(ProxyConfigTest, MappingPartsZeroDurationsAndHttpListenAreCheckedAtLoad) {
  struct Case {
    std::string line;
    std::string says;
  };
  const Case cases[] = {
      {"mapping = fd00:99::/lic eth1", "proxyd.conf line 2: key 'mapping': "},
      {"mapping = 10.77.0.0/33 eth1", "proxyd.conf line 2: key 'mapping': "},
      {"mapping = 10.77.0.0/24 an-interface-name-too-long", "cannot be a Linux interface name"},
      {"mapping = 10.77.0.0/24 eth1/2", "cannot be a Linux interface name"},
      {"mapping = 10.77.0.0/24 eth1 via 10.99.0", "key 'mapping': gateway: "},
      {"mapping = 10.77.0.0/24 eth1 via fd00::1", "not of the address family of 10.77.0.0/24"},
      {"interval = 0s", "proxyd.conf line 2: key 'interval': must be longer than 0s"},
      {"freshness = 0ms", "proxyd.conf line 2: key 'freshness': must be longer than 0s"},
      {"pin_ttl = 0s", "proxyd.conf line 2: key 'pin_ttl': must be longer than 0s"},
      {"http_listen = localhost:9903", "proxyd.conf line 2: key 'http_listen': "},
      {"http_listen = 127.0.0.1", "proxyd.conf line 2: key 'http_listen': "},
  };
  for (const auto& c : cases) {
    auto parsed = ProxyConfigFromText("proxy_id = p\n" + c.line + "\n", "proxyd.conf");
    ASSERT_FALSE(parsed.ok()) << c.line;
    EXPECT_NE(parsed.error().message.find(c.says), std::string::npos)
        << c.line << " -> " << parsed.error().message;
  }
  auto empty_id = ProxyConfigFromText("proxy_id = # a comment: the value is empty\n", "p.conf");
  ASSERT_FALSE(empty_id.ok());
  EXPECT_NE(empty_id.error().message.find("p.conf line 1: key 'proxy_id': must not be empty"),
            std::string::npos)
      << empty_id.error().message;
  auto fine = ProxyConfigFromText(
      "proxy_id = p\ninterval = 1ms\nmapping = fd00:99::/64 eth1 via fd00:99::1\n"
      "http_listen = [::1]:9100\n",
      "proxyd.conf");
  ASSERT_TRUE(fine.ok()) << fine.error().ToString();
  EXPECT_EQ(fine->interval, std::chrono::milliseconds(1));
}

TEST(ProxyConfigTest, KernelRoutingTablesAreRefused) {
  for (const char* table : {"0", "253", "254", "255"}) {
    auto c =
        ProxyConfigFromText(std::string("proxy_id = p\nroute_table = ") + table + "\n", "p.conf");
    ASSERT_FALSE(c.ok()) << table;
    EXPECT_NE(c.error().message.find("route_table"), std::string::npos) << c.error().message;
  }
  EXPECT_TRUE(ProxyConfigFromText("proxy_id = p\nroute_table = 252\n", "p.conf").ok());
  EXPECT_TRUE(ProxyConfigFromText("proxy_id = p\nroute_table = 256\n", "p.conf").ok());
}

TEST(ProxyConfigTest, ProxyIdFollowsItsGrammarAndIsBounded) {
  for (const char* good : {"proxy01", "px-1.dc2", "P_9"}) {
    EXPECT_TRUE(ValidateProxyId(good).ok()) << good;
  }
  for (const std::string& bad :
       {std::string(65, 'p'), std::string("-p"), std::string("p x"), std::string("p\x1b[2J"),
        std::string("../x"), std::string("p\xc3\xa9")}) {
    EXPECT_FALSE(ValidateProxyId(bad).ok()) << bad;
  }
  auto huge = ProxyConfigFromText("proxy_id = " + std::string(900 * 1024, 'p') + "\n", "p.conf");
  ASSERT_FALSE(huge.ok());
  EXPECT_LT(huge.error().message.size(), 300u);
  EXPECT_TRUE(ProxyConfigFromText("proxy_id = " + std::string(64, 'p') + "\n", "p.conf").ok());
}

TEST(ProxyConfigTest, AFifoAsConfigFileIsRefusedWithoutBlocking) {
  char dir[] = "/tmp/bnfc-config-fifo-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string fifo = std::string(dir) + "/proxyd.conf";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto c = LoadProxyConfig(fifo);  // blocked forever before: open(2) waits for a writer
  unlink(fifo.c_str());
  rmdir(dir);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("not a regular file"), std::string::npos) << c.error().message;
}

TEST(ProxyConfigTest, ConnectionLimits) {
  auto c = ProxyConfigFromText("proxy_id = p\n", "p.conf");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->max_connections_per_source, 32);
  EXPECT_EQ(c->handshake_timeout, std::chrono::seconds(5));
  auto tuned = ProxyConfigFromText(
      "proxy_id = p\nmax_connections_per_source = 0\nhandshake_timeout = 2s\n", "p.conf");
  ASSERT_TRUE(tuned.ok());
  EXPECT_EQ(tuned->max_connections_per_source, 0);
  EXPECT_EQ(tuned->handshake_timeout, std::chrono::seconds(2));
  EXPECT_FALSE(ProxyConfigFromText("proxy_id = p\nhandshake_timeout = 0s\n", "p.conf").ok());
}

TEST(ProxyConfigTest, ProxyIdDefaultsToTheHostName) {
  auto c = ProxyConfigFromText("state_dir = /tmp/x\n", "p.conf");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  ASSERT_FALSE(LocalHostName().empty());
  EXPECT_EQ(c->proxy_id, LocalHostName());
  auto set = ProxyConfigFromText("proxy_id = proxy07\n", "p.conf");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->proxy_id, "proxy07");
}

}  // namespace
}  // namespace bnfc::proxyd
