// The host daemon loop on logical time: a FakeClock, the scripted command runner and a report
// channel that advances the clock instead of waiting on sockets. Nothing here sleeps.
#include "hostd_daemon.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "bnfc/testing/fake_clock.h"
#include "fake_esxcli.h"

namespace bnfc::hostagent {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

constexpr int64_t kStart = 1700000000000;

// Publish records the logical time; Pump lets `budget` pass on the clock, then runs `on_pump`
// (where a test makes a proxy answer or stops the daemon).
class FakeReportChannel : public ReportChannel {
 public:
  explicit FakeReportChannel(FakeClock& clock) : clock_(clock) {}
  void Publish(const proto::HostReport& report) override {
    published.push_back({clock_.NowUnixMs(), report});
  }
  void Pump(milliseconds budget) override {
    clock_.Advance(budget);
    if (on_pump) {
      on_pump();
    }
  }
  std::vector<proto::ProbeTarget> ProbeTargets() const override { return targets; }
  std::vector<uint64_t> AckCounts() const override { return {acked}; }
  bool AnyAcknowledged() const override { return acked > 0; }

  struct Sent {
    int64_t at_unix_ms;
    proto::HostReport report;
  };
  std::vector<Sent> published;
  std::vector<proto::ProbeTarget> targets;
  uint64_t acked = 0;
  std::function<void()> on_pump;

 private:
  FakeClock& clock_;
};

class ScriptedRandom : public Random {
 public:
  uint64_t Below(uint64_t bound) override {
    last_bound = bound;
    return bound == 0 ? 0 : std::min(value, bound - 1);
  }
  uint64_t value = 0;
  uint64_t last_bound = 0;
};

class NullFilesystem : public Filesystem {
 public:
  Expected<std::string> ReadFile(const std::string& path, size_t) override {
    return Unexpected(ErrorCode::kNotFound, "no file " + path + " in this test");
  }
  Status WriteFileAtomic(const std::string& path, const std::string&, mode_t) override {
    return Unexpected(ErrorCode::kUnavailable, "no file " + path + " in this test");
  }
  bool Exists(const std::string&) override { return false; }
};

class HostDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vmks_ = {{"vmk0",
              "10.98.0.11",
              kDefaultNetstack,
              1500,
              {"Management"},
              "Management Network",
              "00:50:56:00:00:00"},
             {"vmk2", "10.99.0.11", kDefaultNetstack, 9000, {}, "Backup NFC", "00:50:56:00:00:02"}};
    settings_.engine.host_id = "esx01";
    settings_.engine.selector = Selector::ByName("vmk2");
    settings_.engine.format = Format::kText;
    settings_.engine.hostd_check = false;
    settings_.engine.probes = {ProbeAddress{"10.99.0.100", 9000, "config"}};
    settings_.interval = milliseconds(10000);
    settings_.proxies_configured = true;
  }
  void ScriptHost() { ScriptHostReads(fake_, vmks_, FakeL2Map{}); }
  void ScriptPing(const std::string& addr, bool answers) {
    fake_.Script("vmkping -I vmk2 -c 3 -W 1 -d -s 8972 " + addr,
                 PingText(addr, 8972, 3, answers ? 3 : 0), answers ? 0 : 1);
    fake_.Script("vmkping -I vmk2 -c 3 -W 1 " + addr, PingText(addr, 56, 3, answers ? 3 : 0),
                 answers ? 0 : 1);
  }
  Environment Env() { return Environment{clock_, files_, random_}; }
  // Runs the daemon until `cycles` reports were published.
  int RunUntil(
      HostDaemon& daemon, size_t cycles, const std::function<bool()>& alive = [] { return true; }) {
    auto previous = reports_.on_pump;
    reports_.on_pump = [&, previous] {
      if (previous) {
        previous();
      }
      if (reports_.published.size() >= cycles) {
        stop_ = true;
      }
    };
    return daemon.Run(stop_, alive);
  }
  static std::vector<int64_t> Times(const FakeReportChannel& r) {
    std::vector<int64_t> out;
    for (const auto& s : r.published) {
      out.push_back(s.at_unix_ms - kStart);
    }
    return out;
  }

  std::vector<FakeVmk> vmks_;
  DaemonSettings settings_;
  FakeCommandRunner fake_;
  FakeClock clock_{kStart};
  NullFilesystem files_;
  ScriptedRandom random_;
  FakeReportChannel reports_{clock_};
  std::atomic<bool> stop_{false};
};

TEST_F(HostDaemonTest, CyclesRunOneIntervalApartOnLogicalTime) {
  vmks_[1].tags = {kNfcTag};
  ScriptHost();
  ScriptPing("10.99.0.100", true);
  HostDaemon daemon(Env(), fake_, reports_, settings_);
  EXPECT_EQ(RunUntil(daemon, 3), 0);
  EXPECT_THAT(Times(reports_), ElementsAre(0, 10000, 20000));
  EXPECT_EQ(daemon.cycles(), 3u);
  // Steady cycles keep the launch budget.
  EXPECT_LE(reports_.published.back().report.command_launches(), 6u);
  EXPECT_EQ(reports_.published.back().report.changes_size(), 0);
}

TEST_F(HostDaemonTest, ANewProbeTargetStartsACycleAtOnce) {
  vmks_[1].tags = {kNfcTag};
  ScriptHost();
  ScriptPing("10.99.0.100", true);
  ScriptPing("10.99.0.101", true);
  reports_.on_pump = [&] {
    if (clock_.NowUnixMs() - kStart == 3000) {
      proto::ProbeTarget t;
      t.set_address("10.99.0.101");
      t.set_mtu(9000);
      reports_.targets = {t};
    }
  };
  HostDaemon daemon(Env(), fake_, reports_, settings_);
  RunUntil(daemon, 3);
  // The request arrived at 3 s: checked then, and the interval counts from that cycle.
  EXPECT_THAT(Times(reports_), ElementsAre(0, 3000, 13000));
  EXPECT_EQ(reports_.published[0].report.checks_size(), 1);
  ASSERT_EQ(reports_.published[1].report.checks_size(), 2);
  EXPECT_EQ(reports_.published[1].report.checks(1).proxy_address(), "10.99.0.101");
  EXPECT_EQ(fake_.CountCalls("vmkping -I vmk2 -c 3 -W 1 -d -s 8972 10.99.0.101"), 2u);
}

TEST_F(HostDaemonTest, TheFirstAcknowledgementAppliesAWithheldPlanAtOnce) {
  ScriptHost();
  ScriptPing("10.99.0.100", true);
  fake_.Script("esxcli network ip interface tag add -i vmk2 -t vSphereBackupNFC", "");
  // vmk2's tags as read by cycle 1, cycle 2, then the read-back after the add and later.
  fake_.Script("localcli network ip interface tag get -i vmk2", TagsText({}));
  fake_.Script("localcli network ip interface tag get -i vmk2", TagsText({kNfcTag}));
  reports_.on_pump = [&] {
    if (clock_.NowUnixMs() - kStart == 1400) {
      reports_.acked = 1;
    }
  };
  HostDaemon daemon(Env(), fake_, reports_, settings_);
  RunUntil(daemon, 3);
  EXPECT_THAT(Times(reports_), ElementsAre(0, 1400, 11400));
  EXPECT_EQ(reports_.published[0].report.changes_size(), 0);  // no consent yet
  EXPECT_EQ(fake_.CountCalls("esxcli network ip interface tag add"), 1u);
  ASSERT_EQ(reports_.published[1].report.changes_size(), 1);
  const proto::TagChange& change = reports_.published[1].report.changes(0);
  EXPECT_TRUE(change.ok());
  EXPECT_EQ(change.at_unix_ms(), kStart + 1400);
  // Still carried: the proxy has not acknowledged twice since.
  EXPECT_EQ(reports_.published[2].report.changes_size(), 1);
}

TEST_F(HostDaemonTest, WithoutAProxyConfiguredNoTagIsChangedAndNoCycleRunsEarly) {
  settings_.proxies_configured = false;
  ScriptHost();
  ScriptPing("10.99.0.100", true);
  reports_.acked = 1;  // cannot happen without a proxy; the daemon must not act on it either
  HostDaemon daemon(Env(), fake_, reports_, settings_);
  RunUntil(daemon, 2);
  EXPECT_THAT(Times(reports_), ElementsAre(0, 10000));
  EXPECT_EQ(fake_.CountCalls("esxcli"), 0u);
}

TEST_F(HostDaemonTest, FailoverMovesTheTagAfterKBadIntervals) {
  settings_.engine.failover = true;
  settings_.engine.failover_cycles = 3;
  vmks_[1].tags = {kNfcTag};
  ScriptHost();
  ScriptPing("10.99.0.100", false);
  fake_.Script("esxcli network ip interface tag add -i vmk0 -t vSphereBackupNFC", "");
  fake_.Script("esxcli network ip interface tag remove -i vmk2 -t vSphereBackupNFC", "");
  reports_.acked = 1;
  HostDaemon daemon(Env(), fake_, reports_, settings_);
  RunUntil(daemon, 3);
  EXPECT_THAT(Times(reports_), ElementsAre(0, 10000, 20000));
  EXPECT_EQ(reports_.published[1].report.changes_size(), 0);
  EXPECT_FALSE(reports_.published[1].report.failover_active());
  // The third bad cycle, two intervals after the first: the tag moves to management.
  const proto::HostReport& third = reports_.published[2].report;
  EXPECT_TRUE(third.failover_active());
  ASSERT_EQ(third.changes_size(), 2);
  EXPECT_EQ(third.changes(0).vmknic(), "vmk0");
  EXPECT_EQ(third.changes(0).action(), "add");
  EXPECT_EQ(third.changes(0).at_unix_ms(), kStart + 20000);
  EXPECT_EQ(third.changes(1).vmknic(), "vmk2");
  EXPECT_EQ(third.changes(1).action(), "remove");
  EXPECT_TRUE(daemon.engine().failover().active);
}

TEST_F(HostDaemonTest, AGoneCommandHelperStopsTheDaemonWithExitOne) {
  ScriptHost();
  ScriptPing("10.99.0.100", true);
  HostDaemon daemon(Env(), fake_, reports_, settings_);
  EXPECT_EQ(RunUntil(daemon, 5, [] { return false; }), 1);
  EXPECT_EQ(reports_.published.size(), 1u);  // the cycle's report still went out
}

TEST_F(HostDaemonTest, StopEndsTheWaitWithinOnePumpSlice) {
  ScriptHost();
  ScriptPing("10.99.0.100", true);
  reports_.on_pump = [&] {
    if (clock_.NowUnixMs() - kStart >= 1000) {
      stop_ = true;
    }
  };
  HostDaemon daemon(Env(), fake_, reports_, settings_);
  EXPECT_EQ(daemon.Run(stop_, nullptr), 0);
  EXPECT_EQ(reports_.published.size(), 1u);
  EXPECT_EQ(clock_.NowUnixMs() - kStart, 1000);
}

// --- back-off jitter, with the environment's randomness ---

TEST(JitteredDelay, SpreadsOverPlusMinusJitterAndNeverBeyondMax) {
  BackoffPolicy p;
  p.jitter = 0.2;
  p.max = milliseconds(60000);
  ScriptedRandom random;
  random.value = 0;
  EXPECT_EQ(JitteredDelay(p, milliseconds(1000), random), milliseconds(800));
  EXPECT_EQ(random.last_bound, 401u);  // 800..1200 inclusive
  random.value = 400;
  EXPECT_EQ(JitteredDelay(p, milliseconds(1000), random), milliseconds(1200));
  random.value = 1u << 30;  // clamped to the bound
  EXPECT_EQ(JitteredDelay(p, milliseconds(1000), random), milliseconds(1200));
  random.value = 1u << 30;
  EXPECT_EQ(JitteredDelay(p, milliseconds(55000), random), milliseconds(60000));  // max
  p.jitter = 0.0;
  EXPECT_EQ(JitteredDelay(p, milliseconds(1000), random), milliseconds(1000));
}

}  // namespace
}  // namespace bnfc::hostagent
