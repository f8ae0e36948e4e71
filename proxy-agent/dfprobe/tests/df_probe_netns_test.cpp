// The DF probe against the real kernel. Each test forks a child that unshares its own network
// namespace (the proxy) and a grandchild that unshares another (the ESXi host); both vanish when
// the test's processes exit, also on failure. The host's side is a bridge: the proxy's link plugs
// into port peer1, the vmknic ("vmk1", 10.99.0.11 / fd00:99::11) hangs off port sw1, whose MTU
// plays the switch port in the middle of the path.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "bnfc/testing/shell.h"
#include "df_probe.h"

namespace bnfc::dfprobe {
namespace {

using bnfc::testing::WaitOperUp;

struct Topology {
  int proxy_mtu = 9000;      // eth1, the proxy's backup interface
  int switch_mtu = 9000;     // sw1, the bridge port towards the vmknic
  bool ping_sockets = true;  // group 0 inside net.ipv4.ping_group_range (else: raw fallback)
};

// Runs `body` in the proxy namespace with the host namespace wired as described above.
int InLab(const Topology& t, const std::function<int()>& body) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid != 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  if (unshare(CLONE_NEWNET) != 0)
    _exit(77);
  int ready[2];
  if (pipe(ready) != 0)
    _exit(78);
  pid_t host = fork();
  if (host == 0) {
    close(ready[0]);
    if (unshare(CLONE_NEWNET) != 0)
      _exit(77);
    if (write(ready[1], "u", 1) != 1)
      _exit(1);
    while (true)
      pause();  // lives until the proxy side kills it
  }
  close(ready[1]);
  char c = 0;
  std::string in_host = "nsenter --net=/proc/" + std::to_string(host) + "/ns/net ";
  std::string mtu = std::to_string(t.proxy_mtu), sw = std::to_string(t.switch_mtu);
  std::string range = t.ping_sockets ? "0 2147483647" : "1 0";
  bool ok = read(ready[0], &c, 1) == 1 &&
            std::system(("echo '" + range +
                         "' > /proc/sys/net/ipv4/ping_group_range && "
                         "echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad && "
                         "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad && "
                         "ip link set lo up && "
                         "ip link add eth1 type veth peer name peer1 && "
                         "ip link set peer1 netns " +
                         std::to_string(host) +
                         " && "
                         "ip link set eth1 mtu " +
                         mtu +
                         " up && "
                         "ip addr add 10.99.0.100/24 dev eth1 && "
                         "ip -6 addr add fd00:99::100/64 dev eth1 nodad")
                            .c_str()) == 0 &&
            std::system((in_host +
                         "sh -ec '"
                         "echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad; "
                         "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad; "
                         "ip link set lo up; "
                         "ip link add br0 type bridge; "
                         "ip link add vmk1 type veth peer name sw1; "
                         "ip link set peer1 mtu 9000; ip link set vmk1 mtu 9000; "
                         "ip link set sw1 mtu " +
                         sw +
                         "; "
                         "ip link set peer1 master br0; ip link set sw1 master br0; "
                         "ip link set br0 up; ip link set peer1 up; "
                         "ip link set sw1 up; ip link set vmk1 up; "
                         "ip addr add 10.99.0.11/24 dev vmk1; "
                         "ip -6 addr add fd00:99::11/64 dev vmk1 nodad'")
                            .c_str()) == 0 &&
            WaitOperUp({"eth1"}) && WaitOperUp({"vmk1", "br0"}, in_host);
  int rc = ok ? body() : 78;
  kill(host, SIGKILL);
  waitpid(host, nullptr, 0);
  fflush(nullptr);
  _exit(rc);
}

bool CanUnshare() {
  return geteuid() == 0 && InLab({}, [] { return 0; }) == 0;
}

net::IpAddress Ip(const char* s) {
  return *net::IpAddress::Parse(s);
}

// Probes from eth1 and checks the outcome (and that the evidence names `want_text`).
int Expect(const char* src, const char* dst, int mtu, int timeout_ms, DfOutcome want,
           const std::string& want_text) {
  auto got = DfProbe({"eth1", Ip(src), Ip(dst), mtu, timeout_ms});
  std::fprintf(stderr, "%s: %s\n", DfOutcomeName(got.outcome), got.evidence.c_str());
  BNFC_CHILD_CHECK_MSG(got.outcome == want, got.evidence);
  BNFC_CHILD_CHECK_MSG(got.evidence.find(want_text) != std::string::npos, got.evidence);
  return 0;
}

#define IN_LAB(topology, body) \
  EXPECT_EQ(InLab(topology, body), 0) << "the namespace child failed: see its stderr"

class DfProbeNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CanUnshare())
      GTEST_SKIP() << "needs root and permission to create network namespaces (unshare)";
  }
};

TEST_F(DfProbeNetns, JumboPathRepliesAtItsMtuThroughAPingSocket) {
  IN_LAB(Topology{}, ([] {
           int rc = Expect("10.99.0.100", "10.99.0.11", 9000, 3000, DfOutcome::kReply,
                           "[ping socket], 8972-byte payload: reply of 8980");
           return rc != 0 ? rc
                          : Expect("fd00:99::100", "fd00:99::11", 9000, 3000, DfOutcome::kReply,
                                   "[ping socket], 8952-byte payload: reply");
         }));
}

TEST_F(DfProbeNetns, FallsBackToARawSocketOutsidePingGroupRange) {
  Topology t;
  t.ping_sockets = false;
  IN_LAB(t, ([] {
           int rc = Expect("10.99.0.100", "10.99.0.11", 9000, 3000, DfOutcome::kReply,
                           "[raw socket], 8972-byte payload: reply of 8980");
           return rc != 0 ? rc
                          : Expect("fd00:99::100", "fd00:99::11", 9000, 3000, DfOutcome::kReply,
                                   "[raw socket], 8952-byte payload: reply");
         }));
}

TEST_F(DfProbeNetns, SmallerMiddleLinkDropsTheJumboProbeButCarries1500) {
  Topology t;
  t.switch_mtu = 1500;
  IN_LAB(t, ([] {
           // The small port drops the frame silently, as a switch does: no reply, no ICMP error.
           int rc = Expect("10.99.0.100", "10.99.0.11", 9000, 700, DfOutcome::kNoReply,
                           "no reply within 700 ms");
           rc = rc != 0 ? rc
                        : Expect("fd00:99::100", "fd00:99::11", 9000, 700, DfOutcome::kNoReply,
                                 "no reply within 700 ms");
           // The same path at 1500 answers: the failure above is the size, not reachability.
           return rc != 0 ? rc
                          : Expect("10.99.0.100", "10.99.0.11", 1500, 3000, DfOutcome::kReply,
                                   "reply of 1480");
         }));
}

TEST_F(DfProbeNetns, SmallerLocalMtuIsTooLongWithoutSending) {
  Topology t;
  t.proxy_mtu = 1500;
  IN_LAB(t, ([] {
           int rc = Expect("10.99.0.100", "10.99.0.11", 9000, 700, DfOutcome::kTooLong,
                           "message too long for the local interface (local route MTU 1500)");
           return rc != 0 ? rc
                          : Expect("fd00:99::100", "fd00:99::11", 9000, 700, DfOutcome::kTooLong,
                                   "message too long for the local interface");
         }));
}

TEST_F(DfProbeNetns, SilentAddressIsNoReplyAndForeignSourceIsAnError) {
  IN_LAB(Topology{}, ([] {
           int rc = Expect("10.99.0.100", "10.99.0.77", 1500, 700, DfOutcome::kNoReply, "no reply");
           // 10.99.0.200 is not ours: binding to it fails, and that proves nothing.
           return rc != 0 ? rc
                          : Expect("10.99.0.200", "10.99.0.11", 1500, 700, DfOutcome::kError,
                                   "bind to source");
         }));
}

}  // namespace
}  // namespace bnfc::dfprobe
