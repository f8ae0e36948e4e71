// 1,000 enrolled hosts, each its own CURVE key and SecureClient in this process, report to the
// real proxy Daemon (recording network side) on 127.0.0.1. The proxy is restarted on the same port
// and all 1,000 reconnect and report at once, together with a stranger whose key is not enrolled.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include "bnfc/log.h"
#include "reliability_support.h"

namespace bnfc::reliability {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr int kHosts = 1000;
// Each host needs a socket mailbox and a TCP connection here and the proxy's end of that
// connection; the rest covers libzmq, the daemon and the test itself.
constexpr rlim_t kFdsNeeded = 3 * kHosts + 512;
constexpr auto kReplyWait = std::chrono::seconds(60);

std::string HostId(int i) {
  return "esx" + std::to_string(1000 + i);
}

std::string NfcAddress(int i, int round) {
  return "10." + std::to_string(round) + "." + std::to_string(i / 250) + "." +
         std::to_string(i % 250 + 1);
}

double SecondsSince(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

// One proxy process: the daemon on its own thread until Stop().
class Proxy {
 public:
  Proxy(const std::string& listen, const std::string& state_dir, const keys::KeyPair& server_keys,
        RecordingNetwork& network) {
    proxyd::ProxyConfig config;
    config.proxy_id = "proxy01";
    config.listen = listen;
    config.interval = milliseconds(500);
    config.state_dir = state_dir;
    // Every host connects from 127.0.0.1 here; on a real network each has its own address.
    config.max_connections_per_source = 0;
    daemon_ =
        std::make_unique<proxyd::Daemon>(config, server_keys, network, SystemEnvironment());
  }
  ~Proxy() { (void)Stop(); }
  Status Start() {
    if (auto s = daemon_->Start(); !s) {
      return s;
    }
    thread_ = std::thread([this] { result_ = daemon_->Run(stop_); });
    return OkStatus();
  }
  Status Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
    return result_;
  }
  const proxyd::Daemon& daemon() const { return *daemon_; }

 private:
  std::unique_ptr<proxyd::Daemon> daemon_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Status result_ = OkStatus();
};

class ReconnectStormTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!RaiseFdLimit(kFdsNeeded, &why)) {
      GTEST_SKIP() << why;
    }
    log::Options quiet;  // a thousand connections' worth of info lines would bury the output
    quiet.ident = "reconnect_storm_test";
    quiet.min_level = log::Level::kError;
    log::Init(quiet);
    ASSERT_TRUE(state_.ok());
    // libzmq's default is 1,023 sockets per context: the hosts need one each, plus the stranger.
    context_.set(zmq::ctxopt::max_sockets, kHosts + 64);
  }

  // Sends every host's report for `round`, then waits (bounded, real time) until every host has
  // its ProbeRequest. Returns how many got one.
  int ReportAndCollect(int round) {
    for (int i = 0; i < kHosts; ++i) {
      proto::Envelope e;
      e.mutable_host_report()->set_nfc_address(NfcAddress(i, round));
      stampers_[i]->Stamp(&e);
      auto sent = clients_[i]->Send(e);
      EXPECT_TRUE(sent.ok()) << HostId(i) << ": " << sent.error().ToString();
    }
    return Collect();
  }
  int Collect() {
    std::vector<int> waiting;
    for (int i = 0; i < kHosts; ++i) {
      waiting.push_back(i);
    }
    auto give_up = Steady::now() + kReplyWait;
    while (!waiting.empty() && Steady::now() < give_up) {
      std::vector<channel::SecureClient*> clients;
      for (int i : waiting) {
        clients.push_back(clients_[i].get());
      }
      auto ready = channel::WaitReadable(clients, milliseconds(100));
      if (!ready.ok()) {
        ADD_FAILURE() << ready.error().ToString();
        break;
      }
      std::vector<int> still;
      for (size_t n = 0; n < clients.size(); ++n) {
        const int i = waiting[n];
        bool answered = false;
        if (ready->readable[n]) {
          auto reply = clients_[i]->Receive(milliseconds(0));
          answered = reply.ok() && reply->has_value() && (*reply)->has_probe_request() &&
                     (*reply)->probe_request().proxy_id() == "proxy01";
        }
        if (!answered) {
          still.push_back(i);
        }
      }
      waiting.swap(still);
    }
    for (size_t n = 0; n < waiting.size() && n < 5; ++n) {
      ADD_FAILURE() << HostId(waiting[n]) << " got no reply within " << kReplyWait.count() << " s";
    }
    return kHosts - static_cast<int>(waiting.size());
  }

  StateDir state_;
  zmq::context_t context_{2};
  std::vector<std::unique_ptr<channel::SecureClient>> clients_;
  std::vector<std::unique_ptr<channel::EnvelopeStamper>> stampers_;
};

TEST_F(ReconnectStormTest, ThousandHostsReconnectAtOnceAfterAProxyRestart) {
  const auto test_start = Steady::now();
  auto server_keys = *keys::Generate();
  std::vector<keys::KeyPair> host_keys;
  std::vector<std::pair<std::string, std::string>> enrolled;
  for (int i = 0; i < kHosts; ++i) {
    auto k = keys::Generate();
    ASSERT_TRUE(k.ok());
    host_keys.push_back(*k);
    enrolled.emplace_back(HostId(i), k->public_z85);
  }
  ASSERT_TRUE(EnrolAll(state_.enrolment(), enrolled, SystemClock::Instance()).ok());

  RecordingNetwork first_network;
  auto proxy =
      std::make_unique<Proxy>("tcp://127.0.0.1:*", state_.path(), server_keys, first_network);
  auto started = proxy->Start();
  ASSERT_TRUE(started.ok()) << started.error().ToString();
  const std::string endpoint = proxy->daemon().endpoint();
  for (int i = 0; i < kHosts; ++i) {
    auto c = channel::SecureClient::Create(context_,
                                           {endpoint, server_keys.public_z85, host_keys[i], 4});
    ASSERT_TRUE(c.ok()) << HostId(i) << ": " << c.error().ToString();
    clients_.push_back(std::move(*c));
    stampers_.push_back(
        std::make_unique<channel::EnvelopeStamper>(HostId(i), SystemClock::Instance()));
  }
  // Every host connected and acknowledged once.
  const auto warm_start = Steady::now();
  ASSERT_EQ(ReportAndCollect(1), kHosts) << "before the restart";
  const double warm_seconds = SecondsSince(warm_start);
  ASSERT_TRUE(proxy->Stop().ok());
  EXPECT_EQ(proxy->daemon().hosts().hosts().size(), static_cast<size_t>(kHosts));
  EXPECT_EQ(proxy->daemon().server()->counters().accepted, static_cast<uint64_t>(kHosts));

  // The proxy goes away (its context closes every connection) and starts again on the same port.
  proxy.reset();
  // Pacing, not a check: let every client see its connection close, so the reports below queue
  // for the new connection instead of going into a dead one.
  std::this_thread::sleep_for(milliseconds(500));
  RecordingNetwork network;
  const auto restart = Steady::now();
  proxy = std::make_unique<Proxy>(endpoint, state_.path(), server_keys, network);
  started = proxy->Start();
  ASSERT_TRUE(started.ok()) << "restart on " << endpoint << ": " << started.error().ToString();

  // A stranger (a raw CURVE DEALER, key not enrolled) reports at the same moment as the hosts.
  auto stranger_keys = *keys::Generate();
  zmq::socket_t stranger(context_, zmq::socket_type::dealer);
  stranger.set(zmq::sockopt::linger, 0);
  stranger.set(zmq::sockopt::curve_serverkey, server_keys.public_z85);
  stranger.set(zmq::sockopt::curve_publickey, stranger_keys.public_z85);
  stranger.set(zmq::sockopt::curve_secretkey, stranger_keys.secret_z85);
  stranger.connect(endpoint);
  {
    proto::Envelope e;
    e.mutable_host_report()->set_nfc_address("10.250.0.1");
    channel::EnvelopeStamper as_host(HostId(0), SystemClock::Instance());  // even claiming a host
    as_host.Stamp(&e);
    ASSERT_TRUE(stranger.send(zmq::buffer(protocol::Encode(e)), zmq::send_flags::dontwait));
  }
  const int answered = ReportAndCollect(2);
  const double storm_seconds = SecondsSince(restart);
  EXPECT_EQ(answered, kHosts) << "after the restart";

  // The stranger is still refused: no reply, and its key is recorded as pending.
  zmq::pollitem_t item{stranger.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, milliseconds(2000));
  EXPECT_FALSE(item.revents & ZMQ_POLLIN) << "the non-enrolled client got a reply";
  enrol::KeyStore store(state_.enrolment(), SystemClock::Instance());
  std::vector<enrol::KeyRecord> records;
  for (int i = 0; i < 50; ++i) {  // the ZAP thread records pending keys on its own
    auto list = store.List();
    ASSERT_TRUE(list.ok()) << list.error().ToString();
    records = *list;
    if (records.size() > static_cast<size_t>(kHosts)) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  auto stopped = proxy->Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.error().ToString();

  const auto& daemon = proxy->daemon();
  EXPECT_EQ(daemon.hosts().hosts().size(), static_cast<size_t>(kHosts));
  for (int i = 0; i < kHosts; ++i) {
    const auto* entry = daemon.hosts().Find(HostId(i));
    ASSERT_NE(entry, nullptr) << HostId(i);
    EXPECT_EQ(entry->report.nfc_address(), NfcAddress(i, 2)) << HostId(i);
  }
  EXPECT_EQ(network.Asked().size(), static_cast<size_t>(kHosts));
  const auto& counters = daemon.server()->counters();
  EXPECT_EQ(counters.accepted, static_cast<uint64_t>(kHosts));
  EXPECT_EQ(counters.dropped_revoked, 0u);  // a frame from a key not (or no longer) enrolled
  EXPECT_EQ(counters.dropped_replay, 0u);
  EXPECT_EQ(counters.dropped_oversize, 0u);
  EXPECT_EQ(counters.dropped_undecodable, 0u);
  EXPECT_EQ(counters.dropped_identity_mismatch, 0u);
  EXPECT_EQ(counters.dropped_malformed, 0u);
  EXPECT_EQ(daemon.stats().reports_accepted, static_cast<uint64_t>(kHosts));
  EXPECT_EQ(daemon.stats().replies_failed, 0u);
  const auto& zap = daemon.zap()->stats();
  EXPECT_GE(zap.accepted.load(), static_cast<uint64_t>(kHosts));
  EXPECT_GE(zap.unknown_key.load(), 1u);
  EXPECT_EQ(zap.wrong_source.load(), 0u);
  EXPECT_EQ(zap.other_refusals.load(), 0u);
  // Nothing but the stranger in the pending set; every host still enrolled.
  size_t accepted_keys = 0;
  std::vector<std::string> pending;
  for (const auto& r : records) {
    accepted_keys += r.state == enrol::KeyState::kAccepted ? 1 : 0;
    if (r.state == enrol::KeyState::kPending) {
      pending.push_back(r.public_z85);
    }
  }
  EXPECT_EQ(accepted_keys, static_cast<size_t>(kHosts));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0], stranger_keys.public_z85);

  std::printf(
      "reconnect storm: %d hosts; first connect and report %.2f s; restart to all %d replies "
      "%.2f s; zap accepted %llu, unknown %llu; server accepted %llu, dropped %llu; whole "
      "test %.2f s\n",
      kHosts, warm_seconds, answered, storm_seconds,
      static_cast<unsigned long long>(zap.accepted.load()),
      static_cast<unsigned long long>(zap.unknown_key.load()),
      static_cast<unsigned long long>(counters.accepted),
      static_cast<unsigned long long>(counters.dropped_revoked + counters.dropped_replay +
                                      counters.dropped_oversize + counters.dropped_undecodable +
                                      counters.dropped_identity_mismatch +
                                      counters.dropped_malformed),
      SecondsSince(test_start));
}

}  // namespace
}  // namespace bnfc::reliability
