// A proxy that is down for ten report intervals while 50 hosts keep reporting, then comes back.
// The hosts are in-process ProxyReporters (the reporter `bnfc-hostd run` uses), each with its own
// enrolled CURVE key, driven by one FakeClock: "one interval" is a bound in the reporters' clock,
// not in wall time. The proxy is the real Daemon with a recording network side on 127.0.0.1.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <thread>

#include "bnfc/log.h"
#include "hostagent/agent_config.h"
#include "reliability_support.h"
#include "reporter.h"

namespace bnfc::reliability {
namespace {

using hostagent::BackoffDelay;
using hostagent::BackoffPolicy;
using hostagent::ProxyReporter;
using std::chrono::milliseconds;

constexpr int kHosts = 50;
constexpr int kOutageCycles = 10;
constexpr milliseconds kTick{250};  // one reporter turn per host per tick of the fake clock
// Real time allowed for a report already handed to libzmq to be answered (connect, CURVE
// handshake, round trip) before the fake clock moves on. Generous: only a failure waits this long.
constexpr auto kAnswerWait = std::chrono::seconds(20);

std::string HostId(int i) {
  return "esx" + std::to_string(100 + i);
}

// The cycle number travels in the report (as the NFC address, which the proxy hands to its
// network side), so the test sees which cycle's report reached the proxy.
proto::HostReport Report(int host, int cycle) {
  proto::HostReport r;
  r.set_nfc_address("10." + std::to_string(host) + "." + std::to_string(cycle / 250) + "." +
                    std::to_string(cycle % 250 + 1));
  r.set_command_launches(static_cast<uint32_t>(cycle));
  return r;
}

int CycleOf(const std::string& nfc_address) {
  int a = 0, b = 0, c = 0, d = 0;
  if (std::sscanf(nfc_address.c_str(), "%d.%d.%d.%d", &a, &b, &c, &d) != 4) {
    return -1;
  }
  return c * 250 + d - 1;
}

int HostOf(const std::string& nfc_address) {
  int a = 0, b = 0;
  return std::sscanf(nfc_address.c_str(), "%d.%d.", &a, &b) == 2 ? b : -1;
}

struct Host {
  std::unique_ptr<ProxyReporter> reporter;
  int64_t phase_ms =
      0;           // its cycles run at phase + k * interval (hosts started at different times)
  int cycles = 0;  // published so far
  uint64_t seen_sent = 0, seen_failures = 0, seen_acked = 0;
  std::vector<int64_t> attempts_ms;         // when a report was handed to the channel
  std::vector<int64_t> failures_ms;         // when an attempt was counted as failed
  std::vector<int64_t> backoff_ms;          // the back-off chosen at each failure
  std::vector<int64_t> acks_ms;             // when an answer arrived
  std::vector<int64_t> published_cycle_ms;  // cycle k published at published_cycle_ms[k]
  const hostagent::ProxyLink& link() const { return *reporter->links()[0]; }
};

class ProxyOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::Options quiet;  // 50 hosts x 10 failures of warnings would bury the test output
    quiet.ident = "proxy_outage_test";
    quiet.min_level = log::Level::kError;
    log::Init(quiet);
    ASSERT_TRUE(state_.ok());
    ASSERT_GT(port_.port(), 0) << "cannot reserve a port on 127.0.0.1";
    server_keys_ = *keys::Generate();
  }
  void TearDown() override {
    hosts_.clear();
    StopDaemon();
  }

  // The host-agent daemon's loop for every host, one tick: publish when a cycle is due, then
  // one non-blocking reporter turn; what changed on the link is recorded.
  void Turn() {
    const int64_t now = clock_.NowUnixMs();
    for (auto& h : hosts_) {
      if (now >= start_ms_ + h.phase_ms + h.cycles * interval_.count()) {
        h.reporter->Publish(Report(static_cast<int>(&h - hosts_.data()), h.cycles));
        h.published_cycle_ms.push_back(now);
        h.cycles++;
      }
      h.reporter->Pump(milliseconds(0));
      Observe(h, now);
    }
  }
  void Observe(Host& h, int64_t now) {
    const auto& link = h.link();
    if (link.sent != h.seen_sent) {
      h.attempts_ms.push_back(link.sent_ms);
      h.seen_sent = link.sent;
    }
    if (static_cast<uint64_t>(link.failures) > h.seen_failures) {
      h.failures_ms.push_back(now);
      h.backoff_ms.push_back(link.next_attempt_ms - (link.sent_ms + policy_.ack_timeout.count()));
    }
    h.seen_failures = static_cast<uint64_t>(link.failures);
    if (link.acked != h.seen_acked) {
      h.acks_ms.push_back(link.last_ack_ms);
      h.seen_acked = link.acked;
    }
  }
  // With the proxy up, a report in flight is answered in real time; the fake clock waits for it
  // (bounded) so that the logical timeline does not depend on how fast this machine is.
  bool WaitForAnswers() {
    auto give_up = std::chrono::steady_clock::now() + kAnswerWait;
    while (std::chrono::steady_clock::now() < give_up) {
      bool waiting = false;
      for (auto& h : hosts_) {
        if (h.link().awaiting_ack_seq != 0) {
          h.reporter->Pump(milliseconds(0));
          Observe(h, clock_.NowUnixMs());
          waiting = waiting || h.link().awaiting_ack_seq != 0;
        }
      }
      if (!waiting) {
        return true;
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
    return false;
  }
  void StartDaemon() {
    proxyd::ProxyConfig config;
    config.proxy_id = "proxy01";
    config.listen = port_.endpoint();
    config.interval = milliseconds(100);
    config.state_dir = state_.path();
    // Every host connects from 127.0.0.1 here; on a real network each has its own address.
    config.max_connections_per_source = 0;
    daemon_ =
        std::make_unique<proxyd::Daemon>(config, server_keys_, network_, SystemClock::Instance());
    port_.Release();
    auto started = daemon_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
    thread_ = std::thread([this] { result_ = daemon_->Run(stop_); });
  }
  void StopDaemon() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  StateDir state_;
  ReservedPort port_;
  keys::KeyPair server_keys_;
  FakeClock clock_;
  const int64_t start_ms_ = clock_.NowUnixMs();
  const milliseconds interval_ = hostagent::AgentConfig{}.interval;
  // What `bnfc-hostd run` uses (hostd_daemon.cpp).
  const BackoffPolicy policy_ = hostagent::BoundedByInterval(BackoffPolicy{}, interval_);
  zmq::context_t context_;
  std::vector<Host> hosts_;
  RecordingNetwork network_;
  std::unique_ptr<proxyd::Daemon> daemon_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Status result_ = OkStatus();
};

TEST_F(ProxyOutageTest, HostsBackOffWhileTheProxyIsDownAndAllConvergeWithinOneInterval) {
  ASSERT_EQ(interval_, milliseconds(60000)) << "the default report interval changed";
  std::vector<std::pair<std::string, std::string>> enrolled;
  hosts_.resize(kHosts);
  for (int i = 0; i < kHosts; ++i) {
    auto k = keys::Generate();
    ASSERT_TRUE(k.ok());
    enrolled.emplace_back(HostId(i), k->public_z85);
    auto& h = hosts_[i];
    h.reporter = std::make_unique<ProxyReporter>(
        context_, *k, HostId(i), Environment{clock_, SystemFilesystem(), SystemRandom()}, policy_);
    ASSERT_TRUE(h.reporter->AddProxy({port_.endpoint(), server_keys_.public_z85}).ok());
    h.phase_ms = i * 1000;  // spread over the first 50 s
  }
  ASSERT_TRUE(EnrolAll(state_.enrolment(), enrolled, clock_).ok());

  // --- The proxy is down (the port refuses connections) for kOutageCycles intervals. ---
  const int64_t outage_end = start_ms_ + kOutageCycles * interval_.count() + 30000;
  while (clock_.NowUnixMs() < outage_end) {
    Turn();
    clock_.Advance(kTick);
  }
  const int64_t t0 = clock_.NowUnixMs();
  std::map<int, int> last_outage_cycle;  // host -> newest cycle published before the proxy returned
  uint64_t outage_failures = 0;
  int64_t longest_gap = 0, longest_backoff = 0;
  for (int i = 0; i < kHosts; ++i) {
    const Host& h = hosts_[i];
    SCOPED_TRACE(HostId(i));
    last_outage_cycle[i] = h.cycles - 1;
    // Failures are counted: every attempt but one still waiting for its answer has failed.
    ASSERT_GE(h.cycles, kOutageCycles);
    EXPECT_EQ(h.link().acked, 0u);
    EXPECT_GE(h.failures_ms.size() + 1, h.attempts_ms.size());
    EXPECT_GE(h.link().failures, kOutageCycles - 1);
    outage_failures += h.failures_ms.size();
    // At most one attempt per published report: nothing is resent behind the policy's back, and
    // the reporter holds one report per proxy (ProxyLink::pending) however many cycles pass.
    EXPECT_LE(h.attempts_ms.size(), static_cast<size_t>(h.cycles));
    // Attempts are spaced by the policy (answer wait plus the jittered back-off of that failure)
    // and never by more than one interval.
    for (size_t a = 1; a < h.attempts_ms.size(); ++a) {
      const int64_t gap = h.attempts_ms[a] - h.attempts_ms[a - 1];
      const int failures = static_cast<int>(a);
      const auto base = BackoffDelay(policy_, failures).count();
      EXPECT_GE(gap,
                policy_.ack_timeout.count() + static_cast<int64_t>(base * (1 - policy_.jitter)))
          << "attempt " << a;
      EXPECT_LE(gap, interval_.count()) << "attempt " << a;
      longest_gap = std::max(longest_gap, gap);
    }
    for (size_t f = 0; f < h.backoff_ms.size(); ++f) {
      const auto base = BackoffDelay(policy_, static_cast<int>(f + 1)).count();
      EXPECT_GE(h.backoff_ms[f], static_cast<int64_t>(base * (1 - policy_.jitter)) - 1) << f;
      EXPECT_LE(h.backoff_ms[f],
                std::min<int64_t>(policy_.max.count(),
                                  static_cast<int64_t>(base * (1 + policy_.jitter)) + 1))
          << f;
      EXPECT_LE(policy_.ack_timeout.count() + h.backoff_ms[f], interval_.count()) << f;
      longest_backoff = std::max(longest_backoff, h.backoff_ms[f]);
    }
  }
  // The cap was reached: the last back-offs are the long ones.
  EXPECT_GE(longest_backoff,
            static_cast<int64_t>(BackoffDelay(policy_, 100).count() * (1 - policy_.jitter)));

  // --- The proxy returns. ---
  StartDaemon();
  std::vector<int64_t> first_ack(kHosts, -1);
  int converged = 0;
  while (converged < kHosts && clock_.NowUnixMs() <= t0 + 2 * interval_.count()) {
    Turn();
    ASSERT_TRUE(WaitForAnswers())
        << "a report handed to the channel got no answer within "
        << std::chrono::duration_cast<std::chrono::seconds>(kAnswerWait).count()
        << " s of real time with the proxy up";
    converged = 0;
    for (int i = 0; i < kHosts; ++i) {
      if (first_ack[i] < 0 && !hosts_[i].acks_ms.empty()) {
        first_ack[i] = hosts_[i].acks_ms.front();
      }
      converged += first_ack[i] >= 0 ? 1 : 0;
    }
    clock_.Advance(kTick);
  }
  StopDaemon();
  ASSERT_TRUE(result_.ok()) << result_.error().ToString();
  ASSERT_EQ(converged, kHosts) << "hosts not acknowledged within two intervals";
  int64_t slowest = 0;
  for (int i = 0; i < kHosts; ++i) {
    SCOPED_TRACE(HostId(i));
    EXPECT_LE(first_ack[i] - t0, interval_.count());
    slowest = std::max(slowest, first_ack[i] - t0);
    EXPECT_EQ(hosts_[i].link().failures, 0);
    // Known to the proxy, with the newest state this host published.
    const auto* entry = daemon_->hosts().Find(HostId(i));
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(static_cast<int>(entry->report.command_launches()), hosts_[i].cycles - 1);
  }
  EXPECT_EQ(daemon_->hosts().hosts().size(), static_cast<size_t>(kHosts));
  // Nothing from the outage was queued anywhere: every report the proxy received is the one that
  // was newest when the proxy came back, or a later one.
  size_t received = 0;
  for (const auto& address : network_.Asked()) {
    const int host = HostOf(address);
    ASSERT_TRUE(last_outage_cycle.count(host)) << address;
    EXPECT_GE(CycleOf(address), last_outage_cycle[host]) << "a stale report reached the proxy";
    received++;
  }
  const auto& counters = daemon_->server()->counters();
  EXPECT_EQ(counters.accepted, received);
  EXPECT_EQ(counters.dropped_replay, 0u);
  EXPECT_EQ(counters.dropped_revoked, 0u);
  EXPECT_EQ(counters.dropped_oversize + counters.dropped_undecodable + counters.dropped_malformed +
                counters.dropped_identity_mismatch,
            0u);
  std::printf(
      "outage: %d hosts, %d intervals of %lld ms, %llu failures, longest back-off %lld ms, "
      "longest gap between attempts %lld ms; after the proxy returned: %zu reports received, "
      "slowest host acknowledged after %lld ms\n",
      kHosts, kOutageCycles, static_cast<long long>(interval_.count()),
      static_cast<unsigned long long>(outage_failures), static_cast<long long>(longest_backoff),
      static_cast<long long>(longest_gap), received, static_cast<long long>(slowest));
}

}  // namespace
}  // namespace bnfc::reliability
