// Live mode on real kernel networking, inside private network namespaces that vanish with the
// test's processes: a child unshares its network stack and holds vmk2, a grandchild unshares
// again and holds the peer end of a veth pair (so pings really cross the veth). Needs root.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace {

using esxsim_test::RunTool;
using esxsim_test::TempDir;
using esxsim_test::ToolRun;
using Json = nlohmann::json;

const char kPeerMac[] = "02:00:00:00:01:00";
const char kVmkMac[] = "02:00:00:00:00:02";

bool Sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs inside the vmk2 namespace; every tool run is stored by name for the parent to assert.
Json LabBody(const std::string& state, pid_t peer) {
  Json out;
  const std::string p = std::to_string(peer);
  const bool ok = Sh("ip link set lo up") &&
                  Sh(std::string("ip link add vmk2 address ") + kVmkMac +
                     " type veth peer name eth1 address " + kPeerMac) &&
                  Sh("ip link set eth1 netns " + p) && Sh("ip addr add 10.99.0.11/24 dev vmk2") &&
                  Sh("ip link set vmk2 mtu 1500 up") &&
                  Sh("nsenter -t " + p + " -n ip addr add 10.99.0.100/24 dev eth1") &&
                  Sh("nsenter -t " + p + " -n ip link set eth1 mtu 1500 up");
  if (!ok) {
    out["setup_error"] = "ip link/addr or nsenter failed";
    return out;
  }
  auto run = [&](const std::string& name, const std::string& tool,
                 const std::vector<std::string>& args) {
    const ToolRun r = RunTool(tool, args, state);
    out[name] = {{"code", r.code}, {"out", r.out}, {"err", r.err}};
  };
  run("ping", "vmkping", {"-I", "vmk2", "-c", "2", "-i", "0.2", "10.99.0.100"});
  run("df_over_mtu", "vmkping",
      {"-I", "vmk2", "-d", "-s", "1473", "-c", "2", "-i", "0.2", "10.99.0.100"});
  run("df_at_mtu", "vmkping", {"-I", "vmk2", "-d", "-s", "1472", "-c", "1", "10.99.0.100"});
  run("timeout", "vmkping", {"-I", "vmk2", "-c", "1", "-W", "0.5", "10.99.0.77"});
  run("diag", "esxcli", {"network", "diag", "ping", "-H", "10.99.0.100", "-I", "vmk2", "-c", "1"});
  run("list", "esxcli", {"network", "ip", "interface", "list"});
  run("ipv4", "esxcli", {"network", "ip", "interface", "ipv4", "get", "-i", "vmk2"});
  run("neighbors", "esxcli", {"network", "ip", "neighbor", "list"});
  // Jumbo vmknic, 1500 on the segment: the DF probe leaves vmk2 and is dropped on the way.
  Sh("ip link set vmk2 mtu 9000");
  run("jumbo_list", "esxcli", {"network", "ip", "interface", "list"});
  run("jumbo_df", "vmkping",
      {"-I", "vmk2", "-d", "-s", "8972", "-c", "1", "-W", "0.5", "10.99.0.100"});
  Sh("ip link set vmk2 down");
  run("down_list", "esxcli", {"network", "ip", "interface", "list"});
  return out;
}

class EsxsimLive : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "live mode needs root to create private network namespaces";
    }
    if (!Sh("command -v ip") || !Sh("command -v nsenter")) {
      GTEST_SKIP() << "iproute2 'ip' or util-linux 'nsenter' is not installed";
    }
    const Json state = {
        {"live", true},
        {"vmknics",
         {{{"name", "vmk0"}, {"portgroup", "Management Network"}, {"tags", {"Management"}}},
          {{"name", "vmk2"},
           {"portgroup", "Backup NFC"},
           {"mac", "00:00:00:00:00:00"},
           {"mtu", 1},
           {"ipv4", {{"gateway", "0.0.0.0"}}},
           {"tags", {"vSphereBackupNFC"}}}}}};
    const std::string state_path = tmp_.Write("state.json", state.dump());
    const std::string result_path = tmp_.path() + "/result.json";
    const pid_t child = ::fork();
    if (child == 0) {
      Json out;
      if (::unshare(CLONE_NEWNET) != 0) {
        out["setup_error"] = "unshare(CLONE_NEWNET) failed";
      } else {
        int ready[2];
        if (::pipe(ready) != 0) {
          ::_exit(3);
        }
        const pid_t peer = ::fork();
        if (peer == 0) {
          char c = ::unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
          if (::write(ready[1], &c, 1) != 1) {
            ::_exit(3);
          }
          ::pause();  // holds the peer namespace until killed
          ::_exit(0);
        }
        char c = 'n';
        if (::read(ready[0], &c, 1) != 1 || c != 'y') {
          out["setup_error"] = "peer namespace could not be created";
        } else {
          out = LabBody(state_path, peer);
        }
        ::kill(peer, SIGKILL);
        ::waitpid(peer, nullptr, 0);
      }
      std::ofstream(result_path) << out.dump();
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    std::ifstream in(result_path);
    result_ = Json::parse(in, nullptr, false);
    ASSERT_FALSE(result_.is_discarded()) << "the namespace child wrote no result";
    if (result_.contains("setup_error")) {
      GTEST_SKIP() << "namespaces not permitted here: " << result_["setup_error"];
    }
  }
  std::string Out(const char* name) { return result_[name]["out"].get<std::string>(); }
  int Code(const char* name) { return result_[name]["code"].get<int>(); }
  TempDir tmp_;
  Json result_;
};

TEST_F(EsxsimLive, VmkpingThroughVmk2GetsRealReplies) {
  const std::string out = Out("ping");
  EXPECT_EQ(Code("ping"), 0) << out;
  EXPECT_EQ(out.rfind("PING 10.99.0.100 (10.99.0.100): 56 data bytes\n"
                      "64 bytes from 10.99.0.100: icmp_seq=0 ttl=64 time=",
                      0),
            0u)
      << out;
  EXPECT_NE(out.find("\n64 bytes from 10.99.0.100: icmp_seq=1 ttl=64 time="), std::string::npos);
  EXPECT_NE(out.find("\n\n--- 10.99.0.100 ping statistics ---\n"
                     "2 packets transmitted, 2 packets received, 0% packet loss\n"
                     "round-trip min/avg/max = "),
            std::string::npos)
      << out;
}

TEST_F(EsxsimLive, DfProbeOverMtuPrintsEsxiError) {
  EXPECT_NE(Code("df_over_mtu"), 0);
  EXPECT_EQ(Out("df_over_mtu"),
            "PING 10.99.0.100 (10.99.0.100): 1473 data bytes\n"
            "sendto() failed (Message too long)\n"
            "sendto() failed (Message too long)\n"
            "\n--- 10.99.0.100 ping statistics ---\n"
            "2 packets transmitted, 0 packets received, 100% packet loss\n");
  EXPECT_EQ(Code("df_at_mtu"), 0) << Out("df_at_mtu");
  EXPECT_NE(Out("df_at_mtu").find("1480 bytes from 10.99.0.100: icmp_seq=0"), std::string::npos);
}

TEST_F(EsxsimLive, NoReplyIsFullLossAndNonZeroExit) {
  EXPECT_EQ(Code("timeout"), 2);
  EXPECT_EQ(Out("timeout"),
            "PING 10.99.0.77 (10.99.0.77): 56 data bytes\n"
            "\n--- 10.99.0.77 ping statistics ---\n"
            "1 packets transmitted, 0 packets received, 100% packet loss\n");
}

TEST_F(EsxsimLive, JumboProbeDroppedBySegmentMtu) {
  EXPECT_NE(Out("jumbo_list").find("   MTU: 9000\n"), std::string::npos) << Out("jumbo_list");
  EXPECT_EQ(Code("jumbo_df"), 2) << Out("jumbo_df");
  EXPECT_EQ(Out("jumbo_df").find("sendto() failed"), std::string::npos)
      << "the local MTU allows the probe; the segment drops it";
  EXPECT_NE(Out("jumbo_df").find("1 packets transmitted, 0 packets received, 100% packet loss"),
            std::string::npos);
}

TEST_F(EsxsimLive, InterfaceStateComesFromTheKernel) {
  const std::string list = Out("list");
  EXPECT_NE(list.find(std::string("vmk2\n   Name: vmk2\n   MAC Address: ") + kVmkMac +
                      "\n   Enabled: true\n"),
            std::string::npos)
      << list;
  EXPECT_NE(list.find("   MTU: 1500\n"), std::string::npos);
  EXPECT_NE(list.find("vmk0\n   Name: vmk0\n   MAC Address: \n   Enabled: false\n"),
            std::string::npos)
      << "vmk0 has no kernel interface in this namespace\n"
      << list;
  EXPECT_NE(Out("ipv4").find("vmk2  10.99.0.11    255.255.255.0  10.99.0.255     STATIC"),
            std::string::npos)
      << Out("ipv4");
  EXPECT_NE(Out("down_list")
                .find("vmk2\n   Name: vmk2\n   MAC Address: " + std::string(kVmkMac) +
                      "\n   Enabled: false\n"),
            std::string::npos)
      << Out("down_list");
}

TEST_F(EsxsimLive, NeighborListComesFromTheKernelTable) {
  const std::string n = Out("neighbors");
  EXPECT_EQ(Code("neighbors"), 0) << result_["neighbors"]["err"];
  EXPECT_NE(n.find(std::string("10.99.0.100  ") + kPeerMac + "  vmk2  "), std::string::npos) << n;
  EXPECT_NE(n.find(" sec         Dynamic\n"), std::string::npos) << n;
}

TEST_F(EsxsimLive, DiagPingUsesTheSameEngine) {
  EXPECT_EQ(Code("diag"), 0) << result_["diag"]["err"];
  EXPECT_NE(Out("diag").find("         Recieved: 1\n"), std::string::npos) << Out("diag");
}

}  // namespace
