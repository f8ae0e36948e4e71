#include "proxy_config.h"

#include <gtest/gtest.h>

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

TEST(ProxyConfigTest, MissingProxyIdAndOutOfRangeValuesAreErrors) {
  EXPECT_FALSE(ProxyConfigFromText("listen = 1.2.3.4:9902\n", "p.conf").ok());
  auto bad = ProxyConfigFromText("proxy_id = p\nrt_protocol = 300\n", "p.conf");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("rt_protocol"), std::string::npos);
  EXPECT_FALSE(ProxyConfigFromText("proxy_id = p\nfoo = bar\n", "p.conf").ok());
}

}  // namespace
}  // namespace bnfc::proxyd
