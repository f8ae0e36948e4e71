// How fast the proxy's pipeline reacts, against the interval it used to wait for. In a private
// network namespace (unshare) a real daemon runs over the real netlink kernel; one enrolled host
// reports over the secure channel on 127.0.0.1.
//   report -> pin:          a report names a new NFC address; until the pin is in the kernel.
//   link down -> verdict:   the backup interface goes down; until the published report says so.
// Baseline: the same daemon with the event path switched off (a network side that only cycles),
// so the change waits for the next interval. Interval shortened to keep the run short; the
// baseline scales with it (default 10 s), the event path does not.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bnfc/channel.h"
#include "bnfc/env.h"
#include "bnfc/keys.h"
#include "bnfc/log.h"
#include "daemon.h"
#include "keystore.h"
#include "network_side.h"

namespace {

using namespace bnfc;
using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kInterval{2000};
constexpr int kSamples = 3;

// The old behaviour: cycles only, no reaction to a report or a kernel change.
class IntervalOnly : public proxyd::NetworkSide {
 public:
  explicit IntervalOnly(proxyd::NetworkSide& inner) : inner_(inner) {}
  std::vector<proto::ProbeTarget> ProbeTargetsFor(const std::string& a) override {
    return inner_.ProbeTargetsFor(a);
  }
  void Cycle(const proxyd::HostTable& hosts, int64_t now_ms) override {
    inner_.Cycle(hosts, now_ms);
  }
  void Stop(bool retain) override { inner_.Stop(retain); }

 private:
  proxyd::NetworkSide& inner_;
};

double MsSince(Steady::time_point t) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

bool Sh(const std::string& cmd) {
  return std::system(cmd.c_str()) == 0;
}

struct Figures {
  double report_to_pin_ms = 0;
  double link_down_to_verdict_ms = 0;
};

bool Pinned(pin::Kernel& k, const std::string& address) {
  auto s = k.DumpOwned(pin::Ownership{});
  if (!s)
    return false;
  return std::any_of(s->routes.begin(), s->routes.end(),
                     [&](const pin::Route& r) { return r.destination.ToString() == address; });
}

bool SaysInterfaceDown(const proxyd::ProxyNetworkSide& side) {
  for (const auto& p : side.LatestReport().pairs) {
    for (const auto& f : p.findings) {
      if (f.code == "INTERFACE_DOWN")
        return true;
    }
  }
  return false;
}

// One daemon run: `events` selects the event path or the interval-only baseline.
bool Measure(bool events, Figures* out) {
  const std::string dir = "/tmp/bnfc-pipeline-bench-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto c = proxyd::ProxyConfigFromText(
      "proxy_id = bench\nlisten = 127.0.0.1:0\nstate_dir = " + dir + "\n", "bench.conf");
  if (!c)
    return false;
  proxyd::ProxyConfig config = *c;
  config.listen = "tcp://127.0.0.1:*";
  config.interval = kInterval;
  config.tcp_check = false;  // nothing answers on 902 here; a connect would only add its timeout
  auto server_keys = *keys::Generate();
  auto host_keys = *keys::Generate();
  enrol::KeyStore store(dir + "/enrolment.json", SystemClock::Instance());
  if (!store.Add("esx01", host_keys.public_z85, {"127.0.0.1/32"}))
    return false;

  auto kernel = pin::MakeNetlinkKernel();
  auto reader = pin::MakeNetlinkKernel();
  proxyd::KernelObserver observer(*kernel);
  const Environment env = SystemEnvironment();
  proxyd::ProxyNetworkSide side(config, {env, *kernel, observer});
  IntervalOnly interval_only(side);
  proxyd::NetworkSide& network = events ? static_cast<proxyd::NetworkSide&>(side) : interval_only;
  proxyd::Daemon daemon(config, server_keys, network, env);
  if (!daemon.Start())
    return false;
  std::atomic<bool> stop{false};
  std::thread loop([&] { (void)daemon.Run(stop); });
  zmq::context_t context;
  auto client = std::move(*channel::SecureClient::Create(
      context, {daemon.endpoint(), server_keys.public_z85, host_keys, 10}));
  channel::EnvelopeStamper stamper("esx01", SystemClock::Instance());
  auto send = [&](const std::string& nfc) {
    proto::Envelope e;
    auto* r = e.mutable_host_report();
    r->set_nfc_address(nfc);
    r->set_management_address("10.98.0.11");
    stamper.Stamp(&e);
    (void)client->Send(e);
  };
  auto wait_for = [](auto done, milliseconds limit) {
    const auto give_up = Steady::now() + limit;
    while (!done() && Steady::now() < give_up)
      std::this_thread::sleep_for(milliseconds(1));
    return done();
  };
  std::vector<double> pin_ms, down_ms;
  bool ok = true;
  for (int i = 0; i < kSamples && ok; ++i) {
    // Arrive at a different phase of the interval each time.
    std::this_thread::sleep_for(milliseconds(kInterval.count() * (i + 1) / (kSamples + 1)));
    const std::string nfc = "10.99.0." + std::to_string(11 + i);
    auto t = Steady::now();
    send(nfc);
    ok = wait_for([&] { return Pinned(*reader, nfc); }, 4 * kInterval);
    pin_ms.push_back(MsSince(t));
  }
  for (int i = 0; i < kSamples && ok; ++i) {
    ok = Sh("ip link set eth1 up") &&
         wait_for([&] { return !SaysInterfaceDown(side); }, 4 * kInterval);
    std::this_thread::sleep_for(milliseconds(kInterval.count() * (i + 1) / (kSamples + 1)));
    auto t = Steady::now();
    ok = ok && Sh("ip link set eth1 down");
    ok = ok && wait_for([&] { return SaysInterfaceDown(side); }, 4 * kInterval);
    down_ms.push_back(MsSince(t));
  }
  (void)Sh("ip link set eth1 up");
  stop = true;
  loop.join();
  std::filesystem::remove_all(dir);
  out->report_to_pin_ms = Median(pin_ms);
  out->link_down_to_verdict_ms = Median(down_ms);
  return ok;
}

}  // namespace

int main() {
  log::Options quiet;
  quiet.to_syslog = false;
  quiet.min_level = log::Level::kError;  // the daemon's own lines are not the figures
  log::Init(quiet);
  if (unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "pipeline_bench: needs root to create a private network namespace\n");
    return 77;
  }
  if (!Sh("ip link set lo up && "
          "ip link add eth0 type veth peer name peer0 && ip link set eth0 up && "
          "ip link set peer0 up && ip addr add 10.98.0.100/24 dev eth0 && "
          "ip link add eth1 type veth peer name peer1 && ip link set eth1 up && "
          "ip link set peer1 up && ip addr add 10.99.0.100/24 dev eth1")) {
    std::fprintf(stderr, "pipeline_bench: cannot build the veth pairs\n");
    return 1;
  }
  Figures event, baseline;
  if (!Measure(true, &event) || !Measure(false, &baseline)) {
    std::fprintf(stderr, "pipeline_bench: a change was not seen in time\n");
    return 1;
  }
  std::printf("median of %d, interval %lld ms (the baseline waits for it; default 10 s)\n",
              kSamples, static_cast<long long>(kInterval.count()));
  std::printf("%-24s %12s %16s %8s %10s\n", "", "event (ms)", "interval (ms)", "ratio", "goal");
  std::printf("%-24s %12.1f %16.1f %8.1f %10s\n", "report -> pin", event.report_to_pin_ms,
              baseline.report_to_pin_ms, baseline.report_to_pin_ms / event.report_to_pin_ms,
              "<= 100 ms");
  std::printf("%-24s %12.1f %16.1f %8.1f %10s\n", "link down -> verdict",
              event.link_down_to_verdict_ms, baseline.link_down_to_verdict_ms,
              baseline.link_down_to_verdict_ms / event.link_down_to_verdict_ms, "<= 1 s");
  return 0;
}
