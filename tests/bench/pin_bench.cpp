// Pin convergence against `ip -batch` installing the same routes, measured side by side in one
// private network namespace (unshare), plus the restart reconcile of an already correct state.
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "pin.h"

namespace {

using Clock = std::chrono::steady_clock;
using bnfc::pin::Route;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Address(int i) {
  return "10." + std::to_string(100 + i / 62500) + "." + std::to_string((i / 250) % 250) + "." +
         std::to_string(1 + i % 250);
}

}  // namespace

int main(int argc, char** argv) {
  if (unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "pin_bench: needs root to create a private network namespace\n");
    return 77;
  }
  if (std::system("ip link set lo up && ip link add eth1 type veth peer name peer1 && "
                  "ip link set eth1 up && ip link set peer1 up && "
                  "ip addr add 10.99.0.100/16 dev eth1") != 0) {
    std::fprintf(stderr, "pin_bench: cannot build the veth pair\n");
    return 1;
  }
  auto kernel = bnfc::pin::MakeNetlinkKernel();
  auto addrs = kernel->Addresses();
  int eth1 = 0;
  for (const auto& a : addrs.value()) {
    if (a.interface == "eth1")
      eth1 = a.ifindex;
  }
  auto source = *bnfc::net::IpAddress::Parse("10.99.0.100");
  std::vector<int> sizes = {1000, 10000, 100000};
  if (argc > 1)
    sizes = {std::atoi(argv[1])};
  std::printf("%-8s %14s %14s %8s %18s %8s\n", "pins", "bnfc (s)", "ip -batch (s)", "ratio",
              "restart (ms)", "changes");
  for (int n : sizes) {
    std::vector<Route> want;
    std::string batch;
    for (int i = 0; i < n; ++i) {
      want.push_back({*bnfc::net::IpAddress::Parse(Address(i)), eth1, {}, source});
      batch += "route add " + Address(i) + "/32 dev eth1 src 10.99.0.100 table 903 proto 191\n";
    }
    bnfc::pin::Ownership own;
    auto t = Clock::now();
    auto first = bnfc::pin::Reconcile(*kernel, own, want);
    double ours = Since(t);
    if (!first || first->errors != 0) {
      std::fprintf(stderr, "pin_bench: %s\n",
                   first ? first->refused.front().c_str() : first.error().message.c_str());
      return 1;
    }
    std::ofstream("/tmp/pin_bench.batch") << batch;
    t = Clock::now();
    int rc = std::system("ip -batch /tmp/pin_bench.batch");
    double theirs = Since(t);
    std::remove("/tmp/pin_bench.batch");
    if (rc != 0)
      return 1;
    t = Clock::now();
    auto again = bnfc::pin::Reconcile(*kernel, own, want);
    double restart_ms = Since(t) * 1000;
    size_t changes = again ? again->changes() + again->errors : 0;
    std::printf("%-8d %14.3f %14.3f %8.2f %18.1f %8zu\n", n, ours, theirs, ours / theirs,
                restart_ms, changes);
    (void)bnfc::pin::Reconcile(*kernel, own, {});
    (void)std::system("ip route flush table 903");
  }
  return 0;
}
