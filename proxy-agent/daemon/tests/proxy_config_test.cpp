#include "proxy_config.h"

#include <gtest/gtest.h>

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
