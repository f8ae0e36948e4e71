// The reporter against a real SecureServer on 127.0.0.1.
#include "reporter.h"

#include <gtest/gtest.h>

namespace bnfc::hostagent {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DoublesUpToTheCap) {
  BackoffPolicy p;
  p.initial = milliseconds(1000);
  p.max = milliseconds(60000);
  p.jitter = 0.0;
  EXPECT_EQ(BackoffDelay(p, 0), milliseconds(0));
  EXPECT_EQ(BackoffDelay(p, 1), milliseconds(1000));
  EXPECT_EQ(BackoffDelay(p, 2), milliseconds(2000));
  EXPECT_EQ(BackoffDelay(p, 6), milliseconds(32000));
  EXPECT_EQ(BackoffDelay(p, 7), milliseconds(60000));
  EXPECT_EQ(BackoffDelay(p, 100), milliseconds(60000));
}

TEST(BackoffTest, CapLeavesRoomForJitterUnderMax) {
  BackoffPolicy p;  // 60 s max, +/- 20 %: the longest jittered wait must still be 60 s
  EXPECT_EQ(BackoffDelay(p, 6), milliseconds(32000));
  EXPECT_EQ(BackoffDelay(p, 7), milliseconds(50000));
  EXPECT_EQ(BackoffDelay(p, 100), milliseconds(50000));
  EXPECT_LE(BackoffDelay(p, 100).count() * (1.0 + p.jitter), 60000.0);
}

TEST(BackoffTest, BoundedByIntervalFitsAttemptAndWaitInOneInterval) {
  BackoffPolicy defaults;
  // Default interval: an attempt waits 5 s for its answer, then at most 55 s.
  BackoffPolicy p = BoundedByInterval(defaults, milliseconds(60000));
  EXPECT_EQ(p.ack_timeout, milliseconds(5000));
  EXPECT_EQ(p.max, milliseconds(55000));
  EXPECT_EQ(p.initial, defaults.initial);
  EXPECT_EQ(p.jitter, defaults.jitter);
  EXPECT_LE(p.ack_timeout + p.max, milliseconds(60000));
  // A long interval keeps the configured cap.
  p = BoundedByInterval(defaults, milliseconds(300000));
  EXPECT_EQ(p.ack_timeout, milliseconds(5000));
  EXPECT_EQ(p.max, milliseconds(60000));
  // A short one shrinks both the answer wait and the cap.
  p = BoundedByInterval(defaults, milliseconds(4000));
  EXPECT_EQ(p.ack_timeout, milliseconds(2000));
  EXPECT_EQ(p.max, milliseconds(2000));
  for (int failures = 1; failures < 20; ++failures) {
    EXPECT_LE(BackoffDelay(p, failures).count() * (1.0 + p.jitter), 2000.0) << failures;
  }
}

proto::TagChange Change(const std::string& vmk, int64_t at) {
  proto::TagChange c;
  c.set_vmknic(vmk);
  c.set_action("add");
  c.set_at_unix_ms(at);
  c.set_ok(true);
  return c;
}

// A change stays in every report until each proxy acknowledged twice after it (the first
// acknowledgement may be for a report that was in flight before the change).
TEST(ChangeJournalTest, CarriedUntilEveryProxyAcknowledgedAReportWithIt) {
  ChangeJournal j;
  j.Add(Change("vmk2", 1), {0, 5});
  proto::HostReport r;
  j.AttachTo(&r);
  ASSERT_EQ(r.changes_size(), 1);
  EXPECT_EQ(r.changes(0).vmknic(), "vmk2");
  j.Prune({1, 7});  // the first proxy acknowledged only once
  EXPECT_EQ(j.size(), 1u);
  j.Prune({2, 6});  // the second only once
  EXPECT_EQ(j.size(), 1u);
  j.Prune({2, 7});
  EXPECT_EQ(j.size(), 0u);
  j.AttachTo(&r);
  EXPECT_EQ(r.changes_size(), 0);
}

TEST(ChangeJournalTest, WithoutProxiesOnlyTheNewestAreKept) {
  ChangeJournal j;
  for (int i = 0; i < 40; ++i) {
    j.Add(Change("vmk" + std::to_string(i), i), {});
    j.Prune({});
  }
  EXPECT_EQ(j.size(), ChangeJournal::kMax);
  proto::HostReport r;
  j.AttachTo(&r);
  EXPECT_EQ(r.changes(0).at_unix_ms(), 40 - static_cast<int64_t>(ChangeJournal::kMax));
}

class ReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_keys_ = *keys::Generate();
    host_keys_ = *keys::Generate();
    allow_ = std::make_shared<channel::AllowList>();
    ASSERT_TRUE(
        allow_->Add(host_keys_.public_z85, {"esx01", {*net::Prefix::Parse("127.0.0.1/32")}}).ok());
    zap_ = std::make_shared<channel::ZapHandler>(context_, allow_);
    ASSERT_TRUE(zap_->Start().ok());
    server_ = std::move(
        *channel::SecureServer::Create(context_, zap_, {"tcp://127.0.0.1:*", server_keys_}));
  }
  void TearDown() override {
    reporter_.reset();
    server_.reset();
    zap_->Stop();
  }
  void MakeReporter(BackoffPolicy policy = {}) {
    reporter_ =
        std::make_unique<ProxyReporter>(context_, host_keys_, "esx01", SystemEnvironment(), policy);
    ASSERT_TRUE(reporter_->AddProxy({server_->endpoint(), server_keys_.public_z85}).ok());
  }
  static proto::HostReport Report(const std::string& nfc) {
    proto::HostReport r;
    r.set_nfc_address(nfc);
    return r;
  }
  std::optional<channel::Incoming> ServerReceive(milliseconds wait) {
    // Keep the reporter pumping while the server waits.
    auto end = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < end) {
      reporter_->Pump(milliseconds(20));
      auto in = server_->Receive(milliseconds(20));
      if (in.ok() && in->has_value()) {
        return **in;
      }
    }
    return std::nullopt;
  }

  zmq::context_t context_;
  keys::KeyPair server_keys_, host_keys_;
  std::shared_ptr<channel::AllowList> allow_;
  std::shared_ptr<channel::ZapHandler> zap_;
  std::unique_ptr<channel::SecureServer> server_;
  std::unique_ptr<ProxyReporter> reporter_;
};

TEST_F(ReporterTest, ReportArrivesAndProbeRequestIsLearned) {
  MakeReporter();
  reporter_->Publish(Report("10.99.0.11"));
  auto in = ServerReceive(milliseconds(5000));
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->envelope.host_report().nfc_address(), "10.99.0.11");

  proto::Envelope reply;
  auto* target = reply.mutable_probe_request()->add_targets();
  target->set_address("10.99.0.100");
  target->set_mtu(9000);
  channel::EnvelopeStamper proxy("proxy01", SystemClock::Instance());
  proxy.Stamp(&reply);
  ASSERT_TRUE(server_->Send(in->routing_id, reply).ok());
  for (int i = 0; i < 100 && reporter_->ProbeTargets().empty(); ++i) {
    reporter_->Pump(milliseconds(20));
  }
  ASSERT_EQ(reporter_->ProbeTargets().size(), 1u);
  EXPECT_EQ(reporter_->ProbeTargets()[0].address(), "10.99.0.100");
  EXPECT_EQ(reporter_->links()[0]->failures, 0);
  EXPECT_EQ(reporter_->links()[0]->acked, 1u);
}

TEST_F(ReporterTest, SilentProxyIsBackedOffAndOnlyTheNewestReportIsResent) {
  BackoffPolicy policy;
  policy.ack_timeout = milliseconds(200);
  policy.initial = milliseconds(100);
  policy.jitter = 0.0;
  MakeReporter(policy);
  reporter_->Publish(Report("r1"));
  auto first = ServerReceive(milliseconds(5000));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->envelope.host_report().nfc_address(), "r1");
  // The proxy never answers; meanwhile the host state changes twice.
  reporter_->Publish(Report("r2"));
  reporter_->Publish(Report("r3"));
  auto second = ServerReceive(milliseconds(5000));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->envelope.host_report().nfc_address(), "r3");
  EXPECT_GE(reporter_->links()[0]->failures, 1);
  EXPECT_FALSE(ServerReceive(milliseconds(300)).has_value());  // r2 was never sent
}

}  // namespace
}  // namespace bnfc::hostagent
