#include "hostagent/agent_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "bnfc/fs.h"
#include "hostagent/cli.h"
#include "test_util.h"

namespace bnfc::hostagent {
namespace {

using ::testing::HasSubstr;

const char* kKey = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

TEST(AgentConfig, FullExample) {
  std::string text = std::string(
                         "host_id = esx01\n"
                         "backup_vmk = vmk2\n"
                         "tag_policy = observe\n"
                         "exclusive = true\n"
                         "fallback = management\n"
                         "fallback_cycles = 5\n"
                         "interval = 30s\n"
                         "proxy = 10.98.0.100:9902 ") +
                     kKey +
                     "\n"
                     "probe = 10.99.0.100 9000\n"
                     "probe = 10.99.0.101\n"
                     "read_cli = esxcli\n"
                     "change_cli = /bin/esxcli\n"
                     "formatter = text\n"
                     "command_timeout = 10s\n";
  auto c = ParseAgentConfig(text, "hostd.conf");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  const EngineSettings& s = c->engine;
  EXPECT_EQ(s.host_id, "esx01");
  EXPECT_EQ(s.selector.kind, SelectorKind::kName);
  EXPECT_EQ(s.selector.value, "vmk2");
  EXPECT_EQ(s.policy, TagPolicy::kObserve);
  EXPECT_TRUE(s.exclusive);
  EXPECT_TRUE(s.failover);
  EXPECT_EQ(s.failover_cycles, 5);
  EXPECT_EQ(c->interval, std::chrono::seconds(30));
  ASSERT_EQ(c->proxies.size(), 1u);
  EXPECT_EQ(c->proxies[0].endpoint, "tcp://10.98.0.100:9902");
  EXPECT_EQ(c->proxies[0].server_key, kKey);
  ASSERT_EQ(s.probes.size(), 2u);
  EXPECT_EQ(s.probes[0].address, "10.99.0.100");
  EXPECT_EQ(s.probes[0].mtu, 9000u);
  EXPECT_EQ(s.probes[1].mtu, 0u);
  EXPECT_EQ(s.read_cli, "esxcli");
  EXPECT_EQ(s.change_cli, "/bin/esxcli");
  EXPECT_EQ(s.fallback_cli, "localcli");
  EXPECT_EQ(s.format, Format::kText);
  EXPECT_EQ(s.command_timeout, std::chrono::seconds(10));
}

TEST(AgentConfig, DefaultsAndSelectors) {
  auto c = ParseAgentConfig("backup_portgroup = Backup NFC\n", "x.conf");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->engine.selector.kind, SelectorKind::kPortgroup);
  EXPECT_EQ(c->engine.selector.value, "Backup NFC");
  EXPECT_EQ(c->engine.policy, TagPolicy::kObserve);  // nothing changes without a decision
  EXPECT_FALSE(c->engine.failover);
  EXPECT_EQ(c->engine.read_cli, "localcli");
  EXPECT_EQ(c->engine.change_cli, "esxcli");
  EXPECT_EQ(c->engine.format, Format::kXml);
  EXPECT_FALSE(c->engine.host_id.empty());
  auto s = ParseAgentConfig("backup_subnet = 10.99.0.0/24\n", "x.conf");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->engine.selector.kind, SelectorKind::kSubnet);
}

TEST(AgentConfig, ErrorsNameFileLineAndKey) {
  auto none = ParseAgentConfig("tag_policy = ensure\n", "hostd.conf");
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error().message, HasSubstr("exactly one of backup_vmk"));
  auto two = ParseAgentConfig("backup_vmk = vmk2\nbackup_portgroup = x\n", "hostd.conf");
  ASSERT_FALSE(two.ok());
  auto bad_vmk = ParseAgentConfig("# c\nbackup_vmk = eth0\n", "hostd.conf");
  ASSERT_FALSE(bad_vmk.ok());
  EXPECT_THAT(bad_vmk.error().message, HasSubstr("hostd.conf line 2: key 'backup_vmk'"));
  auto bad_probe = ParseAgentConfig("backup_vmk = vmk2\nprobe = 10.99.0.100 90000\n", "h.conf");
  ASSERT_FALSE(bad_probe.ok());
  EXPECT_THAT(bad_probe.error().message, HasSubstr("h.conf line 2: key 'probe'"));
  EXPECT_THAT(bad_probe.error().message, HasSubstr("MTU"));
  auto bad_proxy = ParseAgentConfig("backup_vmk = vmk2\n\nproxy = 10.0.0.1 short\n", "h.conf");
  ASSERT_FALSE(bad_proxy.ok());
  EXPECT_THAT(bad_proxy.error().message, HasSubstr("h.conf line 3: key 'proxy'"));
  auto bad_key = ParseAgentConfig("backup_vmk = vmk2\nproxy = 10.0.0.1:9902 tooshort\n", "h.conf");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_THAT(bad_key.error().message, HasSubstr("40 Z85 characters"));
  auto bad_policy = ParseAgentConfig("backup_vmk = vmk2\ntag_policy = maybe\n", "h.conf");
  ASSERT_FALSE(bad_policy.ok());
  EXPECT_THAT(bad_policy.error().message, HasSubstr("tag_policy"));
  auto unknown = ParseAgentConfig("backup_vmk = vmk2\nbogus = 1\n", "h.conf");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error().message, HasSubstr("bogus"));
  // The proxy could never enrol these: refused here with the grammar, not at the proxy.
  for (const std::string& id : {std::string("../x"), std::string(300, 'a'), std::string("a/b")}) {
    auto bad_id = ParseAgentConfig("backup_vmk = vmk2\nhost_id = " + id + "\n", "h.conf");
    ASSERT_FALSE(bad_id.ok()) << id;
    EXPECT_THAT(bad_id.error().message, HasSubstr("h.conf line 2: key 'host_id'"));
    EXPECT_THAT(bad_id.error().message, HasSubstr("A-Z a-z 0-9"));
  }
}

TEST(AgentConfig, ShippedConfigObserves) {
  auto text = fs::ReadFile(testing::SourceDir() + "/esxcli-scripts/hostd.conf");
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto c = ParseAgentConfig(*text, "hostd.conf");
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->engine.policy, TagPolicy::kObserve);
  EXPECT_TRUE(c->proxies.empty());
}

TEST(AgentConfig, ZeroIntervalIsRefused) {
  for (const char* v : {"0s", "0ms", "0"}) {
    auto c = ParseAgentConfig(std::string("backup_vmk = vmk2\ninterval = ") + v + "\n", "h.conf");
    ASSERT_FALSE(c.ok()) << v;
    EXPECT_THAT(c.error().message, HasSubstr("h.conf line 2: key 'interval'")) << v;
  }
  EXPECT_TRUE(ParseAgentConfig("backup_vmk = vmk2\ninterval = 1s\n", "h.conf").ok());
}

TEST(CycleCli, ConfigErrorsExitTwo) {
  testing::TempDir d;
  d.Write("bad.conf", "backup_vmk = vmk2\nexclusive = perhaps\n");
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunCli({"check", "--config", d.File("bad.conf")}, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("exclusive"));
  std::ostringstream err2;
  EXPECT_EQ(RunCli({"status", "--config", d.File("missing.conf")}, out, err2), 2);
  EXPECT_THAT(err2.str(), HasSubstr("missing.conf"));
}

TEST(CycleCli, CheckWithMissingCommandsIsNotReady) {
  testing::TempDir d;
  d.Write("h.conf",
          "backup_vmk = vmk2\nread_cli = /nonexistent/esxcli\nfallback_cli =\n"
          "change_cli = /nonexistent/esxcli\nvmkping = /nonexistent/vmkping\n");
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunCli({"check", "--config", d.File("h.conf"), "--json"}, out, err), 1) << err.str();
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["ready"], false);
  EXPECT_EQ(j["findings"][0]["code"], "COMMAND_FAILED");
}

}  // namespace
}  // namespace bnfc::hostagent
