// Real netlink in a private network namespace: each test forks a child that unshares its network
// namespace (which vanishes with it), builds veth pairs there and pins against the real kernel.
// Tests that need a remote end move the peer interfaces into a second private namespace owned by
// a grandchild ("the host"), so traffic really leaves through the pinned interface.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <string>

#include "bnfc/testing/shell.h"
#include "pin.h"

namespace bnfc::pin {
namespace {

#define CHILD_CHECK BNFC_CHILD_CHECK
using bnfc::testing::ShellOutput;
using bnfc::testing::WaitOperUp;

// The child's failures are printed on its stderr by CHILD_CHECK.
#define IN_NETNS(body)                                                 \
  do {                                                                 \
    int rc_ = InPrivateNetns body;                                     \
    EXPECT_EQ(rc_, 0) << "the namespace child failed: see its stderr"; \
  } while (0)

int CountLines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

net::IpAddress Ip(const std::string& s) {
  return *net::IpAddress::Parse(s);
}

// Waits (bounded) until the private namespace has settled: links operationally up and IPv6
// link-local autoconfiguration done (each link's "local fe80::" route in place). Until then the
// kernel keeps adding routes of its own, and a test comparing route tables before and after an
// operation would see them appear.
bool WaitSettled() {
  if (!WaitOperUp({"eth0", "eth1", "peer0", "peer1"}))
    return false;
  for (int tries = 0; tries < 1000; ++tries) {
    if (CountLines(ShellOutput("ip -6 route show table local | grep 'local fe80::'")) == 4 &&
        ShellOutput("ip -6 addr show tentative").empty())
      return true;
    usleep(10000);
  }
  return false;
}

// Runs `body` in a forked child inside a fresh network namespace with two veth pairs:
// eth0 (10.98.0.100/24, "management") <-> peer0 and eth1 (10.99.0.100/24, fd00:99::100/64,
// "backup") <-> peer1. Returns the child's exit status.
int InPrivateNetns(const std::function<int()>& body) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) != 0)
      _exit(77);
    // No duplicate address detection here: nothing else is on these links, and without it the
    // link-local addresses (and their routes) are in place as soon as the links are up.
    if (std::system("echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad && "
                    "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad && "
                    "ip link set lo up && "
                    "ip link add eth0 type veth peer name peer0 && "
                    "ip link add eth1 type veth peer name peer1 && "
                    "ip link set eth0 up && ip link set peer0 up && "
                    "ip link set eth1 up && ip link set peer1 up && "
                    "ip addr add 10.98.0.100/24 dev eth0 && "
                    "ip addr add 10.99.0.100/24 dev eth1 && "
                    "ip -6 addr add fd00:99::100/64 dev eth1 nodad") != 0 ||
        !WaitSettled()) {
      _exit(78);
    }
    int rc = body();
    fflush(nullptr);
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int IfIndex(Kernel& k, const std::string& name) {
  auto addrs = k.Addresses();
  if (!addrs.ok())
    return 0;
  for (const auto& a : addrs.value()) {
    if (a.interface == name)
      return a.ifindex;
  }
  return 0;
}

std::string MacOf(Kernel& k, const std::string& name) {
  auto addrs = k.Addresses();
  if (!addrs.ok())
    return "";
  for (const auto& a : addrs.value()) {
    if (a.interface == name)
      return a.mac;
  }
  return "";
}

// The link's own MAC. MacOf() goes through addresses, and an interface without IPv4 has none until
// the kernel's IPv6 link-local autoconfiguration has run, which it does asynchronously after the
// link comes up: reading it that way right after setup returned "" now and then.
std::string LinkMac(const std::string& name) {
  std::string out = ShellOutput("ip -o link show dev " + name);
  auto at = out.find("link/ether ");
  return at == std::string::npos ? "" : out.substr(at + 11, 17);
}

bool CanUnshare() {
  if (geteuid() != 0)
    return false;
  return InPrivateNetns([] { return 0; }) == 0;
}

std::string PinAddress(int i) {
  return "10.99." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250);
}

std::vector<Route> Pins(int ifindex, int count, const char* source = "10.99.0.100", int first = 0) {
  std::vector<Route> out;
  for (int i = first; i < first + count; ++i)
    out.push_back({Ip(PinAddress(i)), ifindex, {}, Ip(source)});
  return out;
}

// The kernel's view of our pins, sorted, for exact comparison with the desired state.
std::vector<std::string> OwnedText(Kernel& k, const Ownership& own) {
  std::vector<std::string> out;
  auto s = k.DumpOwned(own);
  if (!s.ok())
    return {"dump failed"};
  for (const auto& r : s->routes) {
    out.push_back(r.destination.ToString() + " if" + std::to_string(r.ifindex) + " t" +
                  std::to_string(r.table) + " l" + std::to_string(r.length) + " src " +
                  (r.source ? r.source->ToString() : "-"));
  }
  for (const auto& r : s->rules) {
    out.push_back("rule " + std::to_string(r.priority) + " " + std::to_string(r.table) + " " +
                  std::to_string(r.dport) + (r.extra ? " extra" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<std::string> DesiredText(const std::vector<Route>& want, const Ownership& own) {
  std::vector<std::string> out;
  for (const auto& r : want) {
    out.push_back(r.destination.ToString() + " if" + std::to_string(r.ifindex) + " t0 l-1 src " +
                  (r.source ? r.source->ToString() : "-"));
  }
  for (const auto& r : DesiredRules(want, own)) {
    out.push_back("rule " + std::to_string(r.priority) + " " + std::to_string(r.table) + " " +
                  std::to_string(r.dport));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A second namespace playing the ESXi host: peer0/peer1 move into it, get 10.98.0.11 and
// 10.99.0.11, and a TCP server listens on 902 there. Killed by the destructor.
class RemoteHost {
 public:
  bool Start() {
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0)
      return false;
    fflush(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      close(to_child[1]);
      close(from_child[0]);
      char c = 0;
      if (unshare(CLONE_NEWNET) != 0)
        _exit(77);
      if (write(from_child[1], "u", 1) != 1 || read(to_child[0], &c, 1) != 1)
        _exit(1);
      if (std::system(
              "ip link set lo up && ip link set peer0 up && ip link set peer1 up && "
              "ip addr add 10.98.0.11/24 dev peer0 && ip addr add 10.99.0.11/24 dev peer1") != 0 ||
          !WaitOperUp({"peer0", "peer1"}))
        _exit(78);
      int s = socket(AF_INET, SOCK_STREAM, 0);
      int one = 1;
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(902);
      if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, 16) != 0)
        _exit(79);
      if (write(from_child[1], "r", 1) != 1)
        _exit(1);
      std::vector<int> keep;
      while (true) {
        int c2 = accept(s, nullptr, nullptr);
        if (c2 >= 0)
          keep.push_back(c2);  // held open until the namespace dies
      }
    }
    close(to_child[0]);
    close(from_child[1]);
    char c = 0;
    bool ok = read(from_child[0], &c, 1) == 1 && c == 'u';
    std::string move = "ip link set peer0 netns " + std::to_string(pid_) +
                       " && ip link set peer1 netns " + std::to_string(pid_);
    ok = ok && std::system(move.c_str()) == 0;
    ok = ok && write(to_child[1], "m", 1) == 1;
    ok = ok && read(from_child[0], &c, 1) == 1 && c == 'r';
    ok = ok && WaitOperUp({"eth0", "eth1"});
    close(to_child[1]);
    close(from_child[0]);
    return ok;
  }
  ~RemoteHost() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

// A connected TCP socket from `src` to `dst`:902, or -1.
int ConnectFrom(const char* src, const char* dst) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{}, b{};
  a.sin_family = b.sin_family = AF_INET;
  inet_pton(AF_INET, src, &a.sin_addr);
  inet_pton(AF_INET, dst, &b.sin_addr);
  b.sin_port = htons(902);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      connect(s, reinterpret_cast<sockaddr*>(&b), sizeof b) != 0) {
    close(s);
    return -1;
  }
  return s;
}

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CanUnshare()) {
      GTEST_SKIP() << "needs root and permission to create network namespaces (unshare)";
    }
  }
};

TEST_F(NetnsTest, PinsCarryOurProtocolAndSteerOnlyPort902) {
  IN_NETNS(([] {
    auto k = MakeNetlinkKernel();
    int eth1 = IfIndex(*k, "eth1");
    CHILD_CHECK(eth1 != 0);
    std::string mac = MacOf(*k, "eth1");
    CHILD_CHECK(mac.size() == 17 && mac != "00:00:00:00:00:00");
    Ownership own;
    auto want = Pins(eth1, 3);
    want.push_back({Ip("fd00:99::11"), eth1, {}, Ip("fd00:99::100")});
    auto r = Reconcile(*k, own, want);
    CHILD_CHECK(r.ok());
    CHILD_CHECK(r->added == 6);  // 4 routes, one rule per family
    CHILD_CHECK(r->errors == 0);
    std::string routes = ShellOutput("ip route show table 902 proto 190");
    CHILD_CHECK(CountLines(routes) == 3);
    CHILD_CHECK(routes.find("10.99.1.1 dev eth1") != std::string::npos);
    CHILD_CHECK(routes.find("src 10.99.0.100") != std::string::npos);
    std::string routes6 = ShellOutput("ip -6 route show table 902 proto 190");
    CHILD_CHECK(routes6.find("fd00:99::11 dev eth1") != std::string::npos);
    std::string rules = ShellOutput("ip rule show");
    CHILD_CHECK(rules.find("9020:") != std::string::npos);
    CHILD_CHECK(rules.find("proto 190") != std::string::npos);
    CHILD_CHECK(rules.find("dport 902") != std::string::npos);
    CHILD_CHECK(rules.find("lookup 902") != std::string::npos);
    CHILD_CHECK(ShellOutput("ip -6 rule show").find("lookup 902") != std::string::npos);
    // The kernel's own route lookup: 902 goes to our table, 443 does not.
    std::string via902 = ShellOutput("ip route get 10.99.1.1 ipproto tcp dport 902");
    std::string via443 = ShellOutput("ip route get 10.99.1.1 ipproto tcp dport 443 2>&1");
    CHILD_CHECK(via902.find("dev eth1") != std::string::npos);
    CHILD_CHECK(via902.find("table 902") != std::string::npos);
    CHILD_CHECK(via443.find("table 902") == std::string::npos);
    // The same through the seam (RTM_GETROUTE with ipproto and dport).
    auto get902 = k->RouteGet(Ip("10.99.0.100"), Ip("10.99.1.1"), 902);
    CHILD_CHECK(get902.ok() && get902->table == 902 && get902->oif == eth1);
    auto get443 = k->RouteGet(Ip("10.99.0.100"), Ip("10.99.1.1"), 443);
    CHILD_CHECK(!get443.ok() || get443->table != 902);  // main has no route: error
    auto get6 = k->RouteGet(std::nullopt, Ip("fd00:99::11"), 902);
    CHILD_CHECK(get6.ok() && get6->table == 902 && get6->oif == eth1);
    CHILD_CHECK(OwnedText(*k, own) == DesiredText(want, own));
    // IPv6 routes come back with metric 1024 and IPv4 rules with a port mask: still right.
    auto again = Reconcile(*k, own, want);
    CHILD_CHECK(again.ok() && again->changes() == 0 && again->kept == 6);
    return 0;
  }));
}

TEST_F(NetnsTest, ForeignRoutesAndRulesAreNeverTouched) {
  IN_NETNS(([] {
    // Same table, same prefixes, other protocol ids: not ours.
    CHILD_CHECK(std::system("ip route add 10.99.1.1/32 dev eth1 table 902 proto static && "
                            "ip route add 10.99.7.7/32 dev eth1 table 902 proto 191 && "
                            "ip route add 10.99.1.2/32 dev eth1 proto static && "
                            "ip rule add ipproto tcp dport 902 lookup 902 pref 9020 "
                            "proto static && "
                            "ip rule add ipproto tcp dport 902 lookup 902 pref 9020 "
                            "proto 191") == 0);
    std::string routes_before = ShellOutput("ip route show table all | grep -v 'proto 190'");
    std::string rules_before = ShellOutput("ip rule show | grep -v 'proto 190'");
    auto k = MakeNetlinkKernel();
    int eth1 = IfIndex(*k, "eth1");
    Ownership own;
    // 10.99.1.1 is taken by a foreign route: that pin is refused, the rest land.
    auto r = Reconcile(*k, own, Pins(eth1, 5));
    CHILD_CHECK(r.ok());
    CHILD_CHECK(r->errors == 1);
    CHILD_CHECK(r->refused.size() == 1 && r->refused[0].find("10.99.1.1/32") != std::string::npos);
    CHILD_CHECK(r->added == 5);  // four routes and our rule
    CHILD_CHECK(CountLines(ShellOutput("ip route show table 902 proto 190")) == 4);
    // Restart (a new netlink socket): the same refusal, nothing else changes.
    auto k2 = MakeNetlinkKernel();
    auto again = Reconcile(*k2, own, Pins(eth1, 5));
    CHILD_CHECK(again.ok() && again->errors == 1 && again->changes() == 0);
    CHILD_CHECK(Pinner(*k2, own).Stop(false).ok());  // clean stop: remove ours
    CHILD_CHECK(ShellOutput("ip route show table all proto 190").empty());
    CHILD_CHECK(ShellOutput("ip rule show | grep 'proto 190'").empty());
    CHILD_CHECK(ShellOutput("ip route show table all | grep -v 'proto 190'") == routes_before);
    CHILD_CHECK(ShellOutput("ip rule show | grep -v 'proto 190'") == rules_before);
    CHILD_CHECK(CountLines(ShellOutput("ip rule show | grep '^9020:'")) == 2);  // the foreign ones
    return 0;
  }));
}

TEST_F(NetnsTest, OurStrayEntriesAreSweptExactlyAndLookAlikesStay) {
  IN_NETNS(([] {
    // Ours but wrong: a pin left in an old table, a subnet route, a rule with an extra
    // selector and a rule at an old priority. Foreign twins of each must stay.
    CHILD_CHECK(
        std::system(
            "ip route add 10.99.1.1/32 dev eth1 table 903 proto 190 && "
            "ip route add 10.99.1.1/32 dev eth1 table 903 proto static metric 7 && "
            "ip route add 10.77.0.0/16 dev eth1 table 902 proto 190 && "
            "ip route add 10.77.0.0/16 dev eth1 table 902 proto static metric 7 && "
            "ip rule add from 1.2.3.4 ipproto tcp dport 902 lookup 902 pref 9020 proto 190 && "
            "ip rule add from 1.2.3.4 ipproto tcp dport 902 lookup 902 pref 9020 "
            "proto static && "
            "ip rule add ipproto tcp dport 902 lookup 902 pref 100 proto 190") == 0);
    std::string foreign_routes = ShellOutput("ip route show table all | grep -v 'proto 190'");
    std::string foreign_rules = ShellOutput("ip rule show | grep -v 'proto 190'");
    auto k = MakeNetlinkKernel();
    int eth1 = IfIndex(*k, "eth1");
    Ownership own;
    auto want = Pins(eth1, 2);
    auto r = Reconcile(*k, own, want);
    CHILD_CHECK(r.ok() && r->errors == 0);
    CHILD_CHECK(r->removed == 4);
    CHILD_CHECK(r->added == 3);
    CHILD_CHECK(OwnedText(*k, own) == DesiredText(want, own));
    CHILD_CHECK(ShellOutput("ip route show table all | grep -v 'proto 190'") == foreign_routes);
    CHILD_CHECK(ShellOutput("ip rule show | grep -v 'proto 190'") == foreign_rules);
    return 0;
  }));
}

TEST_F(NetnsTest, AMovedPinIsReplacedInPlace) {
  IN_NETNS(([] {
    auto k = MakeNetlinkKernel();
    int eth0 = IfIndex(*k, "eth0");
    int eth1 = IfIndex(*k, "eth1");
    Ownership own;
    auto want = Pins(eth1, 3);
    CHILD_CHECK(Reconcile(*k, own, want).ok());
    want[1] = {want[1].destination, eth0, {}, Ip("10.98.0.100")};
    auto r = Reconcile(*k, own, want);
    CHILD_CHECK(r.ok() && r->errors == 0);
    CHILD_CHECK(r->replaced == 1 && r->added == 0 && r->removed == 0);
    CHILD_CHECK(r->kept == 3);
    CHILD_CHECK(
        ShellOutput("ip route show table 902 proto 190").find(PinAddress(1) + " dev eth0") !=
        std::string::npos);
    CHILD_CHECK(OwnedText(*k, own) == DesiredText(want, own));
    return 0;
  }));
}

// A Kernel that dies half way through applying a diff: it applies the deletes and half of the
// adds and replaces, then tells the test and waits to be killed with SIGKILL.
class DyingKernel : public Kernel {
 public:
  DyingKernel(Kernel& real, int notify_fd) : real_(real), fd_(notify_fd) {}
  Expected<std::vector<LocalAddress>> Addresses() override { return real_.Addresses(); }
  Expected<KernelState> DumpOwned(const Ownership& own) override { return real_.DumpOwned(own); }
  Expected<ApplyResult> Apply(const Ownership& own, const Diff& d) override {
    Diff half;
    half.del_routes = d.del_routes;
    half.del_rules = d.del_rules;
    half.add_routes.assign(d.add_routes.begin(), d.add_routes.begin() + d.add_routes.size() / 2);
    half.replace_routes.assign(d.replace_routes.begin(),
                               d.replace_routes.begin() + d.replace_routes.size() / 2);
    (void)real_.Apply(own, half);
    if (write(fd_, "h", 1) != 1)
      _exit(1);
    while (true)
      pause();
  }
  Expected<std::string> NeighborMac(int i, const net::IpAddress& a) override {
    return real_.NeighborMac(i, a);
  }
  Expected<RouteLookup> RouteGet(const std::optional<net::IpAddress>& s, const net::IpAddress& d,
                                 int p) override {
    return real_.RouteGet(s, d, p);
  }
  Expected<std::vector<Flow>> Flows(int p) override { return real_.Flows(p); }
  Expected<std::unique_ptr<ChangeWatch>> WatchLinks() override { return real_.WatchLinks(); }
  Expected<std::vector<ArpAnswer>> ArpProbe(int i, const std::string& m,
                                            const std::vector<net::IpAddress>& t, int ms) override {
    return real_.ArpProbe(i, m, t, ms);
  }

 private:
  Kernel& real_;
  int fd_;
};

TEST_F(NetnsTest, TenThousandPinsKilledMidReconcileConvergeAndRestartChangesNothing) {
  IN_NETNS(([] {
    CHILD_CHECK(std::system("ip route add 10.99.1.5/32 dev eth1 table 902 proto static && "
                            "ip rule add ipproto tcp dport 902 lookup 902 pref 9020 "
                            "proto static") == 0);
    std::string foreign_routes = ShellOutput("ip route show table all | grep -v 'proto 190'");
    std::string foreign_rules = ShellOutput("ip rule show | grep -v 'proto 190'");
    auto k = MakeNetlinkKernel();
    int eth0 = IfIndex(*k, "eth0");
    int eth1 = IfIndex(*k, "eth1");
    Ownership own;
    // The previous incarnation's state: 10,000 pins, of which 2,000 are now stale.
    auto before = Pins(eth1, 10000, "10.99.0.100", 2000);
    auto first = Reconcile(*k, own, before);
    CHILD_CHECK(first.ok() && first->errors == 0);  // 10.99.1.5 is not among these
    // Wanted now: 10,000 pins, 2,000 of them new, 1,000 moved to eth0, the rest kept; and
    // 10.99.1.5 is foreign (refused every time).
    auto want = Pins(eth1, 10000);
    for (int i = 5000; i < 6000; ++i)
      want[i] = {want[i].destination, eth0, {}, Ip("10.98.0.100")};
    int pipe_fd[2];
    CHILD_CHECK(pipe(pipe_fd) == 0);
    fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      auto k2 = MakeNetlinkKernel();
      DyingKernel dying(*k2, pipe_fd[1]);
      (void)Reconcile(dying, own, want);
      _exit(0);
    }
    char c = 0;
    CHILD_CHECK(read(pipe_fd[0], &c, 1) == 1);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHILD_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    // Half done: some adds landed, others did not.
    int partial = CountLines(ShellOutput("ip route show table 902 proto 190"));
    CHILD_CHECK(partial > 7000 && partial < 10000);
    auto fresh = MakeNetlinkKernel();
    auto converge = Reconcile(*fresh, own, want);
    CHILD_CHECK(converge.ok());
    CHILD_CHECK(converge->errors == 1);  // the foreign 10.99.1.5
    auto expected = want;
    expected.erase(std::remove_if(expected.begin(), expected.end(),
                                  [](const Route& r) { return r.destination == Ip("10.99.1.5"); }),
                   expected.end());
    CHILD_CHECK(OwnedText(*fresh, own) == DesiredText(expected, own));
    CHILD_CHECK(CountLines(ShellOutput("ip route show table 902 proto 190")) == 9999);
    CHILD_CHECK(CountLines(ShellOutput("ip route show table 902 proto 190 dev eth0")) == 1000);
    // Restart of a correct state: zero kernel changes.
    auto again = Reconcile(*fresh, own, want);
    CHILD_CHECK(again.ok());
    CHILD_CHECK(again->changes() == 0);
    CHILD_CHECK(again->kept == 10000);  // 9,999 routes and the rule
    CHILD_CHECK(ShellOutput("ip route show table all | grep -v 'proto 190'") == foreign_routes);
    CHILD_CHECK(ShellOutput("ip rule show | grep -v 'proto 190'") == foreign_rules);
    return 0;
  }));
}

TEST_F(NetnsTest, NeighborMacIsReadFromTheKernelTable) {
  IN_NETNS(([] {
    CHILD_CHECK(std::system("ip neigh add 10.99.0.11 lladdr 00:50:56:aa:00:02 dev eth1 "
                            "nud permanent && ip neigh add 10.98.0.11 lladdr "
                            "00:50:56:aa:00:09 dev eth0 nud permanent") == 0);
    auto k = MakeNetlinkKernel();
    int eth0 = IfIndex(*k, "eth0");
    int eth1 = IfIndex(*k, "eth1");
    auto mac = k->NeighborMac(eth1, Ip("10.99.0.11"));
    CHILD_CHECK(mac.ok() && *mac == "00:50:56:aa:00:02");
    auto none = k->NeighborMac(eth1, Ip("10.99.0.12"));
    CHILD_CHECK(none.ok() && none->empty());
    auto other_if = k->NeighborMac(eth0, Ip("10.99.0.11"));
    CHILD_CHECK(other_if.ok() && other_if->empty());
    return 0;
  }));
}

TEST_F(NetnsTest, FlowAuditSeesRealConnectionsAndTheInterfaceTheyUse) {
  IN_NETNS(([] {
    auto k = MakeNetlinkKernel();
    int eth0 = IfIndex(*k, "eth0");
    int eth1 = IfIndex(*k, "eth1");
    std::string host_mac = LinkMac("peer1");
    CHILD_CHECK(host_mac.size() == 17);
    RemoteHost host;
    CHILD_CHECK(host.Start());
    Ownership own;
    CHILD_CHECK(Reconcile(*k, own, {{Ip("10.99.0.11"), eth1, {}, Ip("10.99.0.100")}}).ok());
    // The proxy-side checks: connect from the backup address, then the neighbor entry.
    CHILD_CHECK(ConnectProbe(Ip("10.99.0.100"), Ip("10.99.0.11"), 902, 2000).ok());
    auto mac = k->NeighborMac(eth1, Ip("10.99.0.11"));
    CHILD_CHECK(mac.ok() && *mac == host_mac);
    auto refused = ConnectProbe(Ip("10.99.0.100"), Ip("10.99.0.11"), 903, 2000);
    CHILD_CHECK(!refused.ok() && refused.error().message.find("refused") != std::string::npos);
    // A backup flow to the NFC address and one to the management address.
    int on = ConnectFrom("10.99.0.100", "10.99.0.11");
    int off = ConnectFrom("10.98.0.100", "10.98.0.11");
    CHILD_CHECK(on >= 0 && off >= 0);
    auto flows = k->Flows(902);
    CHILD_CHECK(flows.ok());
    // The probe above lingers in FIN_WAIT2 (the host keeps its end open); it went the backup way
    // too. The two open connections are ESTABLISHED.
    std::vector<Flow> established;
    for (const auto& f : *flows) {
      if (f.state == 1)
        established.push_back(f);
      else
        CHILD_CHECK(f.destination == Ip("10.99.0.11") && f.oif == eth1);
    }
    CHILD_CHECK(established.size() == 2);
    std::vector<FlowTarget> targets = {{"esx01", Ip("10.99.0.11"), eth1, Ip("10.98.0.11")}};
    auto c = ClassifyFlows(established, targets, {{eth0, "eth0"}, {eth1, "eth1"}});
    int on_backup = 0, off_backup = 0;
    for (const auto& cf : c) {
      CHILD_CHECK(cf.flow.state == 1);  // ESTABLISHED
      CHILD_CHECK(cf.host_id == "esx01");
      if (cf.cls == FlowClass::kOnBackup) {
        ++on_backup;
        CHILD_CHECK(cf.flow.oif == eth1 && cf.flow.table == 902);
      } else if (cf.cls == FlowClass::kOffBackup) {
        ++off_backup;
        CHILD_CHECK(cf.flow.oif == eth0 && cf.flow.table != 902);
        CHILD_CHECK(cf.reason.find("management address") != std::string::npos);
      }
    }
    CHILD_CHECK(on_backup == 1 && off_backup == 1);
    close(on);
    close(off);
    return 0;
  }));
}

TEST_F(NetnsTest, ConnectProbeTimesOutWhenNobodyAnswers) {
  IN_NETNS(([] {
    // peer1 stays here with no address: 10.99.0.77 never answers ARP.
    auto r = ConnectProbe(Ip("10.99.0.100"), Ip("10.99.0.77"), 902, 300);
    CHILD_CHECK(!r.ok());
    CHILD_CHECK(r.error().code == ErrorCode::kTimeout);
    auto bad = ConnectProbe(Ip("10.99.0.200"), Ip("10.99.0.11"), 902, 300);
    CHILD_CHECK(!bad.ok() && bad.error().message.find("bind") != std::string::npos);
    return 0;
  }));
}

TEST_F(NetnsTest, ConnectProbesAnswerEveryTargetInOrderWithOneSharedTimeout) {
  IN_NETNS(([] {
    RemoteHost host;
    CHILD_CHECK(host.Start());
    auto r = ConnectProbes({{Ip("10.99.0.100"), Ip("10.99.0.77")},   // silent
                            {Ip("10.99.0.100"), Ip("10.99.0.11")},   // answers
                            {Ip("10.99.0.200"), Ip("10.99.0.11")},   // not our address
                            {Ip("10.99.0.100"), Ip("fd00:99::11")},  // family mismatch
                            {Ip("10.99.0.100"), Ip("10.99.0.78")}},  // silent
                           902, 400);
    CHILD_CHECK(r.size() == 5);
    CHILD_CHECK(!r[0].ok() && r[0].error().code == ErrorCode::kTimeout);
    CHILD_CHECK(r[1].ok());
    CHILD_CHECK(!r[2].ok() && r[2].error().message.find("bind") != std::string::npos);
    CHILD_CHECK(!r[3].ok() && r[3].error().message.find("address families") != std::string::npos);
    CHILD_CHECK(!r[4].ok() && r[4].error().code == ErrorCode::kTimeout);
    CHILD_CHECK(ConnectProbes({}, 902, 400).empty());
    return 0;
  }));
}

TEST_F(NetnsTest, LinkAndAddressChangesAreNotified) {
  IN_NETNS(([] {
    auto k = MakeNetlinkKernel();
    auto w = k->WatchLinks();
    CHILD_CHECK(w.ok());
    CHILD_CHECK((*w)->fd() >= 0);
    auto quiet = (*w)->Drain();
    CHILD_CHECK(quiet.ok() && !*quiet);
    CHILD_CHECK(std::system("ip addr add 10.97.0.1/24 dev eth1") == 0);
    auto changed = (*w)->Drain();
    CHILD_CHECK(changed.ok() && *changed);
    auto drained = (*w)->Drain();
    CHILD_CHECK(drained.ok() && !*drained);
    CHILD_CHECK(std::system("ip link set eth0 down") == 0);
    auto link = (*w)->Drain();
    CHILD_CHECK(link.ok() && *link);
    return 0;
  }));
}

}  // namespace
}  // namespace bnfc::pin

namespace bnfc::pin {
namespace {

// The disjoint-path check's ARP probe against the real kernel: the address that lives behind
// eth1 (on peer1) answers from peer1's MAC; an address nobody holds gets no answer; the probe
// leaves no neighbor entry behind (sender 0.0.0.0).
TEST_F(NetnsTest, ArpProbeHearsWhoAnswersBehindTheInterface) {
  IN_NETNS(([] {
    CHILD_CHECK(std::system("ip addr add 10.98.0.50/32 dev peer1") == 0);
    auto k = MakeNetlinkKernel();
    int eth1 = IfIndex(*k, "eth1");
    // sysfs still shows the parent's namespace: ask ip(8).
    std::string mac = ShellOutput("ip -br link show eth1 | awk '{print $3}'");
    mac.erase(mac.find_last_not_of("\n") + 1);
    std::string peer = ShellOutput("ip -br link show peer1 | awk '{print $3}'");
    peer.erase(peer.find_last_not_of("\n") + 1);
    auto got = k->ArpProbe(eth1, mac, {Ip("10.98.0.50"), Ip("10.98.0.77")}, 500);
    if (!got)
      std::fprintf(stderr, "ArpProbe: %s (own MAC '%s')\n", got.error().message.c_str(),
                   mac.c_str());
    CHILD_CHECK(got.ok());
    CHILD_CHECK(got->size() == 1);
    CHILD_CHECK(got->at(0).target == Ip("10.98.0.50"));
    CHILD_CHECK(got->at(0).mac == peer);
    CHILD_CHECK(ShellOutput("ip neigh show 10.98.0.50").empty());
    // A bad own MAC is refused before anything is sent.
    CHILD_CHECK(!k->ArpProbe(eth1, "nonsense", {Ip("10.98.0.50")}, 100).ok());
    return 0;
  }));
}

}  // namespace
}  // namespace bnfc::pin
