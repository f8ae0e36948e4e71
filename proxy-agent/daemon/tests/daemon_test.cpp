// The daemon loop end to end over 127.0.0.1 with a fake network side.
#include "daemon.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <thread>

#include "bnfc/fs.h"

namespace bnfc::proxyd {
namespace {

using std::chrono::milliseconds;

// A clock only the test (and the fake network's cycles) move. Atomic: the daemon's thread reads it.
class ManualClock : public Clock {
 public:
  ManualClock() : now_ms_(SystemClock::Instance().NowUnixMs()) {}
  int64_t NowUnixMs() const override { return now_ms_.load(); }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::time_point(milliseconds(now_ms_.load()));
  }
  void Advance(milliseconds d) { now_ms_ += d.count(); }

 private:
  std::atomic<int64_t> now_ms_;
};

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
    std::unique_lock<std::mutex> lock(mu);
    cycles++;
    in_cycle = true;
    changed.notify_all();
    changed.wait(lock, [this] { return !hold; });  // a cycle the test keeps running
    in_cycle = false;
    if (clock != nullptr)
      clock->Advance(slow);  // a cycle whose checks take this long, in logical time
    size_t moved = 0;
    for (const auto& [id, e] : hosts.hosts()) {
      moved += e.report.nfc_address().rfind("10.99.1.", 0) == 0 ? 1 : 0;
    }
    moved_by_cycle.push_back(moved);
  }
  int Cycles() {
    std::lock_guard<std::mutex> lock(mu);
    return cycles;
  }
  size_t Moved() {
    std::lock_guard<std::mutex> lock(mu);
    return moved_by_cycle.empty() ? 0 : moved_by_cycle.back();
  }
  size_t Asked(const std::string& prefix) {
    std::lock_guard<std::mutex> lock(mu);
    return static_cast<size_t>(std::count_if(
        asked.begin(), asked.end(), [&](const std::string& a) { return a.rfind(prefix, 0) == 0; }));
  }
  void Hold(bool on) {
    std::lock_guard<std::mutex> lock(mu);
    hold = on;
    changed.notify_all();
  }
  bool WaitInCycle() {
    std::unique_lock<std::mutex> lock(mu);
    return changed.wait_for(lock, std::chrono::seconds(10), [this] { return in_cycle; });
  }
  void Stop(bool retain) override {
    stopped = true;
    retained = retain;
  }
  std::mutex mu;
  std::condition_variable changed;
  std::vector<std::string> asked;
  int cycles = 0;
  std::vector<size_t> moved_by_cycle;  // hosts whose NFC address is in 10.99.1.0/24, per cycle
  bool hold = false;
  bool in_cycle = false;
  ManualClock* clock = nullptr;
  milliseconds slow{0};
  bool stopped = false;
  bool retained = true;
};

// Waits (bounded) until `done` holds; the bound is a give-up, not a timing assertion.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 1000 && !done(); ++i)
    std::this_thread::sleep_for(milliseconds(10));
  return done();
}

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
    UseClock(SystemClock::Instance());
  }
  void UseClock(const Clock& clock) {
    env_ = std::make_unique<Environment>(Environment{clock, SystemFilesystem(), SystemRandom()});
    daemon_ = std::make_unique<Daemon>(config_, server_keys_, network_, *env_);
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
  std::unique_ptr<Environment> env_;
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
  auto reply = client->Receive(milliseconds(10000));
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
  // The refused handshake reaches the store from the ZAP thread: wait for that, not for a time.
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  for (int waited = 0; waited < 1000 && store.List().value_or({}).empty(); ++waited) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto reply = client->Receive(milliseconds(200));
  ASSERT_TRUE(reply.ok());
  EXPECT_FALSE(reply->has_value());
  StopDaemon();
  auto list = store.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, enrol::KeyState::kPending);
  EXPECT_EQ((*list)[0].public_z85, stranger.public_z85);
  EXPECT_EQ((*list)[0].last_address, "127.0.0.1");
  EXPECT_EQ(daemon_->hosts().hosts().size(), 0u);
}

// Sets the store file's mtime back to `mtime`: a write in the same timestamp tick as the last.
void SetMtime(const std::string& path, const timespec& mtime) {
  timespec times[2] = {{0, UTIME_OMIT}, mtime};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << std::strerror(errno);
}

timespec MtimeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  return st.st_mtim;
}

TEST_F(DaemonTest, RevocationOnDiskCutsARunningSessionAndForgetsTheHost) {
  auto host = *keys::Generate();
  auto other = *keys::Generate();
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  ASSERT_TRUE(store.Add("esx01", host.public_z85, {"127.0.0.0/8"}).ok());
  ASSERT_TRUE(store.Add("esx02", other.public_z85, {"127.0.0.0/8"}).ok());
  StartDaemon();
  auto client = Client(host);
  channel::EnvelopeStamper stamper("esx01", SystemClock::Instance());
  ASSERT_TRUE(client->Send(Report(stamper, "10.99.0.11")).ok());
  auto first = client->Receive(milliseconds(10000));
  ASSERT_TRUE(first.ok() && first->has_value());
  ASSERT_TRUE(daemon_->zap()->allow_list()->Find(host.public_z85).has_value());

  // The revocation lands in the same timestamp tick as the store the daemon last read.
  const timespec before = MtimeOf(store.path());
  const int cycles_at_revoke = network_.Cycles();
  ASSERT_TRUE(store.Revoke("esx01").ok());
  SetMtime(store.path(), before);

  // A cycle reloads the store before it runs the network side, so once two more cycles have run
  // the second one started after the revocation was on disk: within one interval of the write.
  for (int waited = 0; network_.Cycles() < cycles_at_revoke + 2 && waited < 1000; ++waited) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_GE(network_.Cycles(), cycles_at_revoke + 2) << "the daemon loop stopped cycling";
  EXPECT_FALSE(daemon_->zap()->allow_list()->Find(host.public_z85).has_value());
  EXPECT_TRUE(daemon_->zap()->allow_list()->Find(other.public_z85).has_value());
  EXPECT_FALSE(daemon_->keystore_health().stale);

  // The open connection is cut: the next report is dropped, not answered.
  ASSERT_TRUE(client->Send(Report(stamper, "10.99.0.11")).ok());
  auto reply = client->Receive(milliseconds(1000));
  ASSERT_TRUE(reply.ok());
  EXPECT_FALSE(reply->has_value());
  StopDaemon();
  EXPECT_EQ(daemon_->hosts().Find("esx01"), nullptr);
  EXPECT_GE(daemon_->server()->counters().dropped_revoked, 1u);
}

TEST_F(DaemonTest, AStoreRewrittenInPlaceInTheSameTickIsStillNoticed) {
  // An operator's editor writing the file in place: same inode, same size, same mtime.
  auto host = *keys::Generate();
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  ASSERT_TRUE(store.Add("esx01", host.public_z85, {"127.0.0.0/8"}).ok());
  StartDaemon();
  for (int waited = 0; network_.Cycles() < 1 && waited < 1000; ++waited) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const timespec before = MtimeOf(store.path());
  std::string text = *fs::ReadFile(store.path());
  auto at = text.find("\"accepted\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 10, "\"rejected\"");  // same length
  const int cycles_at_edit = network_.Cycles();
  {
    std::ofstream out(store.path(), std::ios::in | std::ios::out | std::ios::binary);
    out << text;
  }
  SetMtime(store.path(), before);
  for (int waited = 0; network_.Cycles() < cycles_at_edit + 2 && waited < 1000; ++waited) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_GE(network_.Cycles(), cycles_at_edit + 2);
  EXPECT_FALSE(daemon_->zap()->allow_list()->Find(host.public_z85).has_value());
}

TEST_F(DaemonTest, AStoreThatCannotBeLoadedKeepsTheLastGoodListAndSaysSo) {
  auto host = *keys::Generate();
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  ASSERT_TRUE(store.Add("esx01", host.public_z85, {"127.0.0.0/8"}).ok());
  const std::string good = *fs::ReadFile(store.path());
  StartDaemon();
  EXPECT_EQ(daemon_->keystore_health().revision, 1u);

  // A store of a newer release, then a truncated one: neither may open or close access.
  for (const std::string& bad :
       {std::string("{\"version\": 99, \"keys\": []}\n"), good.substr(0, good.size() / 2)}) {
    const auto failures = daemon_->keystore_health().reload_failures;
    ASSERT_TRUE(fs::WriteFileAtomic(store.path(), bad, 0600).ok());
    for (int waited = 0;
         daemon_->keystore_health().reload_failures <= failures + 1 && waited < 1000; ++waited) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    auto health = daemon_->keystore_health();
    EXPECT_TRUE(health.stale);
    // Retried every cycle, never recorded as seen.
    EXPECT_GE(health.reload_failures, failures + 2);
    EXPECT_NE(health.problem.find("revision 1 stays in force"), std::string::npos)
        << health.problem;
    EXPECT_TRUE(daemon_->zap()->allow_list()->Find(host.public_z85).has_value());
  }
  EXPECT_EQ(*fs::ReadFile(store.path()), good.substr(0, good.size() / 2));  // never rewritten

  // Repaired (here: the good file back, then revoked) and the daemon follows again.
  ASSERT_TRUE(fs::WriteFileAtomic(store.path(), good, 0600).ok());
  ASSERT_TRUE(store.Revoke("esx01").ok());
  for (int waited = 0; (daemon_->keystore_health().stale ||
                        daemon_->zap()->allow_list()->Find(host.public_z85).has_value()) &&
                       waited < 1000;
       ++waited) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto health = daemon_->keystore_health();
  EXPECT_FALSE(health.stale);
  EXPECT_TRUE(health.problem.empty());
  EXPECT_EQ(health.revision, 2u);
  EXPECT_FALSE(daemon_->zap()->allow_list()->Find(host.public_z85).has_value());
}

TEST_F(DaemonTest, AHostSendingTheLargestStampsDoesNotLockItselfOut) {
  auto host = *keys::Generate();
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  ASSERT_TRUE(store.Add("esx01", host.public_z85, {"127.0.0.0/8"}).ok());
  StartDaemon();
  auto client = Client(host);
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const std::pair<uint64_t, uint64_t> stamps[] = {{kMax, 1}, {1, kMax}, {kMax, kMax}};
  for (auto [boot, sequence] : stamps) {
    proto::Envelope e;
    e.mutable_host_report()->set_nfc_address("10.99.0.11");
    channel::EnvelopeStamper stamper("esx01", SystemClock::Instance());
    stamper.Stamp(&e);
    e.set_boot_id(boot);
    e.set_sequence(sequence);
    ASSERT_TRUE(client->Send(e).ok());
    auto reply = client->Receive(milliseconds(1000));
    ASSERT_TRUE(reply.ok());
    EXPECT_FALSE(reply->has_value()) << boot << "/" << sequence;
  }
  // The host's own stamper still gets through.
  channel::EnvelopeStamper stamper("esx01", SystemClock::Instance());
  ASSERT_TRUE(client->Send(Report(stamper, "10.99.0.11")).ok());
  auto reply = client->Receive(milliseconds(10000));
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply->has_value());
  StopDaemon();
  EXPECT_EQ(daemon_->server()->counters().dropped_implausible_stamp, 3u);
  EXPECT_EQ(daemon_->server()->counters().accepted, 1u);
}

TEST_F(DaemonTest, ReportsQueuedDuringASlowCycleAreAllReadBeforeTheNextOne) {
  // A cycle three times longer than the interval (TCP probes to hosts that do not answer) must
  // not leave one report read per cycle: the next cycle comes a full interval after the slow one
  // ended, and everything queued meanwhile is read before it. Logical time: the fake cycle moves
  // the clock by its length, the test moves it otherwise, so the machine's speed does not matter.
  constexpr int kHosts = 20;
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  std::vector<keys::KeyPair> keys;
  for (int i = 0; i < kHosts; ++i) {
    keys.push_back(*keys::Generate());
    ASSERT_TRUE(
        store.Add("esx" + std::to_string(10 + i), keys.back().public_z85, {"127.0.0.1/32"}).ok());
  }
  ManualClock clock;
  UseClock(clock);
  network_.clock = &clock;
  network_.slow = 3 * config_.interval;
  StartDaemon();  // the first cycle runs at once; then the clock stands still
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
  ASSERT_EQ(network_.Cycles(), 1);  // no time passed: no second cycle

  network_.Hold(true);
  clock.Advance(config_.interval);  // the second cycle starts and stays running
  ASSERT_TRUE(network_.WaitInCycle());
  for (int i = 0; i < kHosts; ++i) {  // every host moves while it runs
    ASSERT_TRUE(clients[i]->Send(Report(stampers[i], "10.99.1." + std::to_string(i + 1))).ok());
  }
  network_.Hold(false);  // it ends three intervals after it began
  ASSERT_TRUE(Eventually([&] { return network_.Asked("10.99.1.") == kHosts; }))
      << network_.Asked("10.99.1.") << " of " << kHosts << " moves read";
  // Every move is read, yet no cycle ran on the slow one's heels.
  EXPECT_EQ(network_.Cycles(), 2);
  EXPECT_EQ(network_.Moved(), 0u);

  clock.Advance(config_.interval);  // a full interval after the slow cycle: the next one
  ASSERT_TRUE(Eventually([&] { return network_.Cycles() == 3; }));
  EXPECT_EQ(network_.Moved(), static_cast<size_t>(kHosts));
  StopDaemon();
}

TEST_F(DaemonTest, KeysPerStateOfTheStoreInForceReachTheHealth) {
  enrol::KeyStore store(dir_ + "/enrolment.json", SystemClock::Instance());
  ASSERT_TRUE(store.Add("esx01", keys::Generate()->public_z85, {"127.0.0.1/32"}).ok());
  ASSERT_TRUE(store.RecordPending(keys::Generate()->public_z85, "192.0.2.7").ok());
  ASSERT_TRUE(store.RecordPending(keys::Generate()->public_z85, "192.0.2.8").ok());
  StartDaemon();
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (daemon_->keystore_health().keys_by_state.empty() &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto by_state = daemon_->keystore_health().keys_by_state;
  EXPECT_EQ(by_state["pending"], 2u);
  EXPECT_EQ(by_state["accepted"], 1u);
  EXPECT_EQ(by_state.count("rejected"), 0u);
  StopDaemon();
}

}  // namespace
}  // namespace bnfc::proxyd
