// The daemon loop end to end over 127.0.0.1 with a fake network side.
#include "daemon.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

namespace bnfc::proxyd {
namespace {

using std::chrono::milliseconds;

class FakeNetwork : public NetworkSide {
 public:
  std::vector<proto::ProbeTarget> ProbeTargetsFor(const std::string& nfc) override {
    std::lock_guard<std::mutex> lock(mu);
    asked.push_back(nfc);
    proto::ProbeTarget t;
    t.set_address("10.99.0.100");
    t.set_mtu(9000);
    return {t};
  }
  void Cycle(const HostTable& hosts, int64_t) override {
    std::this_thread::sleep_for(slow);  // a cycle whose checks take this long
    std::lock_guard<std::mutex> lock(mu);
    cycles++;
    last_host_count = hosts.hosts().size();
    moved_count = 0;
    for (const auto& [id, e] : hosts.hosts()) {
      moved_count += e.report.nfc_address().rfind("10.99.1.", 0) == 0 ? 1 : 0;
    }
  }
  int Cycles() {
    std::lock_guard<std::mutex> lock(mu);
    return cycles;
  }
  size_t Moved() {
    std::lock_guard<std::mutex> lock(mu);
    return moved_count;
  }
  void Stop(bool retain) override {
    stopped = true;
    retained = retain;
  }
  std::mutex mu;
  std::vector<std::string> asked;
  int cycles = 0;
  size_t last_host_count = 0;
  size_t moved_count = 0;  // hosts whose NFC address is in 10.99.1.0/24
  milliseconds slow{0};
  bool stopped = false;
  bool retained = true;
};

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bnfc-daemon-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto c = ProxyConfigFromText(
        "proxy_id = proxy01\nlisten = 127.0.0.1:0\ninterval = 100ms\n"
        "state_dir = " +
            dir_ + "\n",
        "test.conf");
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    config_ = *c;
    config_.listen = "tcp://127.0.0.1:*";
    server_keys_ = *keys::Generate();
    daemon_ = std::make_unique<Daemon>(config_, server_keys_, network_, SystemClock::Instance());
  }
  void TearDown() override {
    StopDaemon();
    std::filesystem::remove_all(dir_);
  }
  void StartDaemon() {
    ASSERT_TRUE(daemon_->Start().ok());
    thread_ = std::thread([this] { result_ = daemon_->Run(stop_); });
  }
  void StopDaemon() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  std::unique_ptr<channel::SecureClient> Client(const keys::KeyPair& k) {
    return std::move(*channel::SecureClient::Create(
        context_, {daemon_->endpoint(), server_keys_.public_z85, k, 10}));
  }
  static proto::Envelope Report(channel::EnvelopeStamper& s, const std::string& nfc) {
    proto::Envelope e;
    e.mutable_host_report()->set_nfc_address(nfc);
    s.Stamp(&e);
    return e;
  }

  std::string dir_;
  ProxyConfig config_;
  keys::KeyPair server_keys_;
  FakeNetwork network_;
  std::unique_ptr<Daemon> daemon_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  Status result_ = OkStatus();
  zmq::context_t context_;
};

TEST_F(DaemonTest, EnrolledHostGetsProbeRequestAndAppearsInTheTable) {
  auto host = *keys::Generate();
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  ASSERT_TRUE(store.Add("esx01", host.public_z85, {"127.0.0.1/32"}).ok());
  StartDaemon();
  auto client = Client(host);
  channel::EnvelopeStamper stamper("esx01", SystemClock::Instance());
  ASSERT_TRUE(client->Send(Report(stamper, "10.99.0.11")).ok());
  auto reply = client->Receive(milliseconds(5000));
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply->has_value());
  ASSERT_TRUE((*reply)->has_probe_request());
  EXPECT_EQ((*reply)->probe_request().proxy_id(), "proxy01");
  ASSERT_EQ((*reply)->probe_request().targets_size(), 1);
  EXPECT_EQ((*reply)->probe_request().targets(0).address(), "10.99.0.100");
  StopDaemon();
  ASSERT_TRUE(result_.ok());
  ASSERT_NE(daemon_->hosts().Find("esx01"), nullptr);
  EXPECT_EQ(daemon_->hosts().Find("esx01")->report.nfc_address(), "10.99.0.11");
  EXPECT_GE(network_.cycles, 1);
  EXPECT_TRUE(network_.stopped);
  EXPECT_FALSE(network_.retained);
}

TEST_F(DaemonTest, UnknownKeyIsRecordedAsPendingAndGetsNoReply) {
  StartDaemon();
  auto stranger = *keys::Generate();
  auto client = Client(stranger);
  channel::EnvelopeStamper stamper("esx09", SystemClock::Instance());
  (void)client->Send(Report(stamper, "10.99.0.19"));
  auto reply = client->Receive(milliseconds(1000));
  ASSERT_TRUE(reply.ok());
  EXPECT_FALSE(reply->has_value());
  StopDaemon();
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  auto list = store.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, enrol::KeyState::kPending);
  EXPECT_EQ((*list)[0].public_z85, stranger.public_z85);
  EXPECT_EQ((*list)[0].last_address, "127.0.0.1");
  EXPECT_EQ(daemon_->hosts().hosts().size(), 0u);
}

TEST_F(DaemonTest, RevocationOnDiskCutsARunningSessionAndForgetsTheHost) {
  auto host = *keys::Generate();
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  ASSERT_TRUE(store.Add("esx01", host.public_z85, {"127.0.0.0/8"}).ok());
  StartDaemon();
  auto client = Client(host);
  channel::EnvelopeStamper stamper("esx01", SystemClock::Instance());
  ASSERT_TRUE(client->Send(Report(stamper, "10.99.0.11")).ok());
  auto first = client->Receive(milliseconds(5000));
  ASSERT_TRUE(first.ok() && first->has_value());

  ASSERT_TRUE(store.Revoke("esx01").ok());
  // The daemon notices the change on its next cycle; from then on nothing is answered.
  bool cut = false;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cut && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(50));
    ASSERT_TRUE(client->Send(Report(stamper, "10.99.0.11")).ok());
    auto reply = client->Receive(milliseconds(500));
    ASSERT_TRUE(reply.ok());
    cut = !reply->has_value();
  }
  EXPECT_TRUE(cut);
  StopDaemon();
  EXPECT_EQ(daemon_->hosts().Find("esx01"), nullptr);
  EXPECT_GE(daemon_->server()->counters().dropped_revoked, 1u);
}

TEST_F(DaemonTest, StoreCountsAndReloadFailuresReachTheStats) {
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  ASSERT_TRUE(store.Add("esx01", keys::Generate()->public_z85, {"127.0.0.1/32"}).ok());
  ASSERT_TRUE(store.RecordPending(keys::Generate()->public_z85, "192.0.2.7").ok());
  StartDaemon();
  auto wait_for = [](const std::function<bool()>& done) {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    return done();
  };
  const DaemonStats& stats = daemon_->stats();
  ASSERT_TRUE(wait_for([&] { return stats.keystore_reloads.load() >= 1; }));
  EXPECT_EQ(stats.keys_pending.load(), 1u);
  EXPECT_EQ(stats.keys_accepted.load(), 1u);
  EXPECT_FALSE(stats.keystore_reload_failing.load());
  // A broken store on disk: counted, flagged, and the previous keys stay in force.
  {
    std::ofstream out(dir_ + "/enrolment.json", std::ios::trunc);
    out << "{not json";
  }
  ASSERT_TRUE(wait_for([&] { return stats.keystore_reload_failures.load() >= 1; }));
  EXPECT_TRUE(stats.keystore_reload_failing.load());
  EXPECT_EQ(stats.keys_accepted.load(), 1u);
  StopDaemon();
}

TEST_F(DaemonTest, ReportsQueuedDuringASlowCycleAreAllReadBeforeTheNextOne) {
  // A cycle three times longer than the interval (TCP probes to hosts that do not answer) must
  // not leave one report read per cycle: everything queued meanwhile is read in one turn.
  constexpr int kHosts = 20;
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  std::vector<keys::KeyPair> keys;
  for (int i = 0; i < kHosts; ++i) {
    keys.push_back(*keys::Generate());
    ASSERT_TRUE(
        store.Add("esx" + std::to_string(10 + i), keys.back().public_z85, {"127.0.0.1/32"}).ok());
  }
  network_.slow = milliseconds(300);
  StartDaemon();
  std::vector<std::unique_ptr<channel::SecureClient>> clients;
  std::vector<channel::EnvelopeStamper> stampers;
  for (int i = 0; i < kHosts; ++i) {
    clients.push_back(Client(keys[i]));
    stampers.emplace_back("esx" + std::to_string(10 + i), SystemClock::Instance());
  }
  for (int i = 0; i < kHosts; ++i) {  // connected and enrolled: each gets its probe request
    ASSERT_TRUE(clients[i]->Send(Report(stampers[i], "10.99.0." + std::to_string(i + 1))).ok());
    auto reply = clients[i]->Receive(milliseconds(10000));
    ASSERT_TRUE(reply.ok() && reply->has_value()) << "host " << i;
  }
  const int before = network_.Cycles();
  for (int i = 0; i < kHosts; ++i) {  // every host moves at (nearly) the same moment
    ASSERT_TRUE(clients[i]->Send(Report(stampers[i], "10.99.1." + std::to_string(i + 1))).ok());
  }
  for (int waited = 0; network_.Moved() < kHosts && waited < 300; ++waited) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_EQ(network_.Moved(), static_cast<size_t>(kHosts));
  // The moves arrive within one cycle; at most the cycle running when they came and the next
  // one pass before all are seen (one report per cycle would need about kHosts cycles).
  EXPECT_LE(network_.Cycles() - before, 3);
}

}  // namespace
}  // namespace bnfc::proxyd
