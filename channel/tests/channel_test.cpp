// Secure-channel tests: every case uses a real CURVE socket pair on 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "bnfc/channel.h"
#include "bnfc/clock.h"
#include "bnfc/keys.h"

namespace bnfc::channel {
namespace {

using std::chrono::milliseconds;

constexpr const char* kTestClientPublic = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
constexpr const char* kTestServerSecret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
constexpr const char* kTestServerPublic = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

keys::KeyPair NewKeys() {
  auto pair = keys::Generate();
  EXPECT_TRUE(pair.ok());
  return *pair;
}

Peer LoopbackPeer(const std::string& id) {
  return Peer{id, {*net::Prefix::Parse("127.0.0.0/8")}};
}

// Waits for a condition that another thread (the ZAP handler) makes true.
template <typename F>
bool WaitFor(F condition, milliseconds limit = milliseconds(5000)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return condition();
}

class ChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_keys_ = NewKeys();
    allow_ = std::make_shared<AllowList>();
    zap_ = std::make_shared<ZapHandler>(context_, allow_);
    ASSERT_TRUE(zap_->Start().ok());
    auto server = SecureServer::Create(context_, zap_, {"tcp://127.0.0.1:*", server_keys_});
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(*server);
  }
  void TearDown() override {
    clients_.clear();
    server_.reset();
    zap_->Stop();
  }

  SecureClient& Connect(const keys::KeyPair& client_keys) {
    // A roomy queue: these tests send bursts and are about what the server accepts.
    auto client = SecureClient::Create(
        context_, {server_->endpoint(), server_keys_.public_z85, client_keys, /*send_queue=*/100});
    EXPECT_TRUE(client.ok()) << client.error().ToString();
    clients_.push_back(std::move(*client));
    return *clients_.back();
  }

  static proto::Envelope Report(EnvelopeStamper& stamper) {
    proto::Envelope e;
    e.mutable_host_report()->set_nfc_address("10.99.0.11");
    stamper.Stamp(&e);
    return e;
  }

  std::optional<Incoming> ReceiveOne(milliseconds timeout = milliseconds(5000)) {
    auto got = server_->Receive(timeout);
    EXPECT_TRUE(got.ok()) << got.error().ToString();
    return got.ok() ? *got : std::nullopt;
  }

  zmq::context_t context_;
  keys::KeyPair server_keys_;
  std::shared_ptr<AllowList> allow_;
  std::shared_ptr<ZapHandler> zap_;
  std::unique_ptr<SecureServer> server_;
  std::vector<std::unique_ptr<SecureClient>> clients_;
  FakeClock clock_;
};

TEST_F(ChannelTest, EnrolledKeyIsAcceptedAndIdentified) {
  auto host = NewKeys();
  ASSERT_TRUE(allow_->Add(host.public_z85, LoopbackPeer("esx01")).ok());
  EnvelopeStamper stamper("esx01", clock_);
  ASSERT_TRUE(Connect(host).Send(Report(stamper)).ok());

  auto in = ReceiveOne();
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->identity, "esx01");
  EXPECT_EQ(in->public_z85, host.public_z85);
  EXPECT_EQ(in->peer_address, "127.0.0.1");
  EXPECT_EQ(in->envelope.host_report().nfc_address(), "10.99.0.11");
  EXPECT_EQ(server_->counters().accepted, 1u);
  EXPECT_EQ(zap_->stats().accepted.load(), 1u);

  // And the reply path works: the server answers on the routing id.
  proto::Envelope ack;
  EnvelopeStamper proxy_stamper("proxy01", clock_);
  ack.mutable_ack()->set_acked_sequence(in->envelope.sequence());
  proxy_stamper.Stamp(&ack);
  ASSERT_TRUE(server_->Send(in->routing_id, ack).ok());
  auto reply = clients_.back()->Receive(milliseconds(5000));
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply->has_value());
  EXPECT_EQ((*reply)->ack().acked_sequence(), in->envelope.sequence());
}

TEST_F(ChannelTest, UnknownKeyIsRefusedAndNothingReachesTheApplication) {
  auto stranger = NewKeys();
  std::string seen_key, seen_address;
  std::mutex mu;
  zap_->SetUnknownKeyCallback([&](const std::string& key, const std::string& address) {
    std::lock_guard<std::mutex> lock(mu);
    seen_key = key;
    seen_address = address;
  });
  EnvelopeStamper stamper("esx99", clock_);
  Connect(stranger).Send(Report(stamper)).ok();  // may queue; it must never be delivered

  ASSERT_TRUE(WaitFor([&] { return zap_->stats().unknown_key.load() >= 1; }));
  EXPECT_FALSE(ReceiveOne(milliseconds(500)).has_value());
  EXPECT_EQ(server_->counters().accepted, 0u);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen_key, stranger.public_z85);
  EXPECT_EQ(seen_address, "127.0.0.1");
}

TEST_F(ChannelTest, KnownKeyFromOutsideItsPrefixesIsRefused) {
  auto host = NewKeys();
  ASSERT_TRUE(
      allow_->Add(host.public_z85, Peer{"esx01", {*net::Prefix::Parse("10.98.0.0/24")}}).ok());
  EnvelopeStamper stamper("esx01", clock_);
  Connect(host).Send(Report(stamper)).ok();

  ASSERT_TRUE(WaitFor([&] { return zap_->stats().wrong_source.load() >= 1; }));
  EXPECT_FALSE(ReceiveOne(milliseconds(500)).has_value());
  EXPECT_EQ(server_->counters().accepted, 0u);
}

TEST(ChannelStartTest, ServerWithoutRunningZapHandlerRefusesToStart) {
  zmq::context_t context;
  auto keys = *keys::Generate();
  auto no_handler = SecureServer::Create(context, nullptr, {"tcp://127.0.0.1:*", keys});
  ASSERT_FALSE(no_handler.ok());
  EXPECT_NE(no_handler.error().message.find("ZAP"), std::string::npos);

  auto stopped = std::make_shared<ZapHandler>(context, std::make_shared<AllowList>());
  auto not_started = SecureServer::Create(context, stopped, {"tcp://127.0.0.1:*", keys});
  EXPECT_FALSE(not_started.ok());
}

TEST(ChannelStartTest, SecondZapHandlerInOneContextIsRefused) {
  zmq::context_t context;
  ZapHandler first(context, std::make_shared<AllowList>());
  ZapHandler second(context, std::make_shared<AllowList>());
  ASSERT_TRUE(first.Start().ok());
  EXPECT_FALSE(second.Start().ok());
}

TEST_F(ChannelTest, ServerStopsAcceptingWhenZapHandlerDies) {
  zap_->Stop();
  auto got = server_->Receive(milliseconds(100));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
}

TEST(ChannelKeysTest, PublishedTestKeysAreRefusedEverywhere) {
  EXPECT_TRUE(keys::IsPublishedTestKey(kTestClientPublic));
  AllowList allow;
  EXPECT_FALSE(allow.Add(kTestClientPublic, LoopbackPeer("esx01")).ok());
  EXPECT_EQ(allow.size(), 0u);

  zmq::context_t context;
  auto zap = std::make_shared<ZapHandler>(context, std::make_shared<AllowList>());
  ASSERT_TRUE(zap->Start().ok());
  auto server = SecureServer::Create(context, zap,
                                     {"tcp://127.0.0.1:*", {kTestServerPublic, kTestServerSecret}});
  EXPECT_FALSE(server.ok());
  auto client =
      SecureClient::Create(context, {"tcp://127.0.0.1:9", kTestServerPublic, *keys::Generate()});
  EXPECT_FALSE(client.ok());
}

TEST_F(ChannelTest, ReplayedReorderedAndDuplicatedEnvelopesAreDroppedAndCounted) {
  auto host = NewKeys();
  ASSERT_TRUE(allow_->Add(host.public_z85, LoopbackPeer("esx01")).ok());
  SecureClient& client = Connect(host);
  EnvelopeStamper stamper("esx01", 1000, clock_);
  proto::Envelope first = Report(stamper);   // seq 1
  proto::Envelope second = Report(stamper);  // seq 2
  ASSERT_TRUE(client.Send(first).ok());
  ASSERT_TRUE(client.Send(second).ok());
  ASSERT_TRUE(ReceiveOne().has_value());
  ASSERT_TRUE(ReceiveOne().has_value());

  ASSERT_TRUE(client.Send(second).ok());  // duplicate
  ASSERT_TRUE(client.Send(first).ok());   // reordered / replayed
  EnvelopeStamper old_boot("esx01", 999, clock_);
  ASSERT_TRUE(client.Send(Report(old_boot)).ok());  // earlier boot, any sequence
  EnvelopeStamper new_boot("esx01", 1001, clock_);
  ASSERT_TRUE(client.Send(Report(new_boot)).ok());  // restarted agent: accepted

  auto in = ReceiveOne();
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->envelope.boot_id(), 1001u);
  EXPECT_EQ(server_->counters().dropped_replay, 3u);
  EXPECT_EQ(server_->counters().accepted, 3u);
}

TEST_F(ChannelTest, OversizeFrameIsDroppedAndCounted) {
  server_.reset();
  ServerOptions options{"tcp://127.0.0.1:*", server_keys_, /*max_frame_bytes=*/2048};
  server_ = std::move(*SecureServer::Create(context_, zap_, options));
  auto host = NewKeys();
  ASSERT_TRUE(allow_->Add(host.public_z85, LoopbackPeer("esx01")).ok());
  SecureClient& client = Connect(host);
  EnvelopeStamper stamper("esx01", clock_);

  proto::Envelope big = Report(stamper);
  big.mutable_host_report()->mutable_host()->set_hostname(std::string(4096, 'x'));
  ASSERT_TRUE(client.Send(big).ok());
  ASSERT_TRUE(client.Send(Report(stamper)).ok());

  auto in = ReceiveOne();
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->envelope.sequence(), 2u);
  EXPECT_EQ(server_->counters().dropped_oversize, 1u);
}

TEST_F(ChannelTest, HostIdThatDoesNotMatchTheKeyIsDropped) {
  auto host = NewKeys();
  ASSERT_TRUE(allow_->Add(host.public_z85, LoopbackPeer("esx01")).ok());
  SecureClient& client = Connect(host);
  EnvelopeStamper impostor("esx02", clock_);
  ASSERT_TRUE(client.Send(Report(impostor)).ok());
  EnvelopeStamper honest("esx01", clock_);
  ASSERT_TRUE(client.Send(Report(honest)).ok());

  auto in = ReceiveOne();
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->envelope.host_id(), "esx01");
  EXPECT_EQ(server_->counters().dropped_identity_mismatch, 1u);
}

TEST_F(ChannelTest, UndecodableFrameIsDroppedAndCounted) {
  auto host = NewKeys();
  ASSERT_TRUE(allow_->Add(host.public_z85, LoopbackPeer("esx01")).ok());
  SecureClient& client = Connect(host);
  std::string garbage = "\xff\xff\xff\xff not protobuf";
  client.socket().send(zmq::buffer(garbage), zmq::send_flags::none);
  EnvelopeStamper stamper("esx01", clock_);
  ASSERT_TRUE(client.Send(Report(stamper)).ok());
  ASSERT_TRUE(ReceiveOne().has_value());
  EXPECT_EQ(server_->counters().dropped_undecodable, 1u);
}

TEST_F(ChannelTest, RevokedKeyLosesAccessOnItsOpenConnection) {
  auto host = NewKeys();
  ASSERT_TRUE(allow_->Add(host.public_z85, LoopbackPeer("esx01")).ok());
  SecureClient& client = Connect(host);
  EnvelopeStamper stamper("esx01", clock_);
  ASSERT_TRUE(client.Send(Report(stamper)).ok());
  ASSERT_TRUE(ReceiveOne().has_value());

  EXPECT_EQ(allow_->RemoveIdentity("esx01"), 1u);
  ASSERT_TRUE(client.Send(Report(stamper)).ok());
  EXPECT_FALSE(ReceiveOne(milliseconds(1000)).has_value());
  EXPECT_EQ(server_->counters().dropped_revoked, 1u);
}

// CVE-2020-15166 pattern: raw TCP peers that sit idle, send garbage or stop inside the ZMTP
// greeting must not keep an enrolled host from being served.
TEST_F(ChannelTest, RawTcpPeersIdleOrGarbageDoNotStarveEnrolledHosts) {
  std::string endpoint = server_->endpoint();
  int port = std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  std::vector<int> raw;
  for (int i = 0; i < 200; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    if (i % 3 == 1) {
      std::string garbage(512, static_cast<char>(0x5a + i));
      (void)!write(fd, garbage.data(), garbage.size());
    } else if (i % 3 == 2) {
      const unsigned char partial_greeting[] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3};
      (void)!write(fd, partial_greeting, sizeof partial_greeting);
    }
    raw.push_back(fd);
  }
  auto host = NewKeys();
  ASSERT_TRUE(allow_->Add(host.public_z85, LoopbackPeer("esx01")).ok());
  EnvelopeStamper stamper("esx01", clock_);
  ASSERT_TRUE(Connect(host).Send(Report(stamper)).ok());
  auto in = ReceiveOne(milliseconds(10000));
  for (int fd : raw) {
    close(fd);
  }
  ASSERT_TRUE(in.has_value());
  EXPECT_EQ(in->identity, "esx01");
}

TEST(ZapDecideTest, RulesWithoutSockets) {
  AllowList allow;
  auto key = keys::Generate()->public_z85;
  ASSERT_TRUE(allow.Add(key, Peer{"esx01", {*net::Prefix::Parse("10.98.0.0/24")}}).ok());
  EXPECT_EQ(Decide(allow, {kZapDomain, "10.98.0.11", "CURVE", key}).verdict, ZapVerdict::kAccepted);
  EXPECT_EQ(Decide(allow, {kZapDomain, "10.98.1.11", "CURVE", key}).verdict,
            ZapVerdict::kWrongSource);
  EXPECT_EQ(Decide(allow, {kZapDomain, "not-an-ip", "CURVE", key}).verdict,
            ZapVerdict::kWrongSource);
  EXPECT_EQ(Decide(allow, {kZapDomain, "10.98.0.11", "NULL", ""}).verdict,
            ZapVerdict::kBadMechanism);
  EXPECT_EQ(Decide(allow, {"other", "10.98.0.11", "CURVE", key}).verdict, ZapVerdict::kBadDomain);
  EXPECT_EQ(
      Decide(allow, {kZapDomain, "10.98.0.11", "CURVE", keys::Generate()->public_z85}).verdict,
      ZapVerdict::kUnknownKey);
  EXPECT_FALSE(allow.Add(keys::Generate()->public_z85, Peer{"esx02", {}}).ok());
  EXPECT_FALSE(allow.Add("too-short", LoopbackPeer("esx03")).ok());
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bnfc-keys-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(KeyFileTest, SaveLoadRoundTripWithStrictModes) {
  auto pair = *keys::Generate();
  ASSERT_TRUE(keys::Save(pair, dir_ + "/host.key", dir_ + "/host.pub").ok());
  struct stat st {};
  ASSERT_EQ(stat((dir_ + "/host.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = keys::Load(dir_ + "/host.key", dir_ + "/host.pub");
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->public_z85, pair.public_z85);
  EXPECT_EQ(loaded->secret_z85, pair.secret_z85);
  std::string fp = keys::Fingerprint(pair.public_z85);
  EXPECT_EQ(fp.rfind("SHA256:", 0), 0u);
  EXPECT_EQ(fp.size(), 7u + 43u);
  EXPECT_NE(fp, keys::Fingerprint(keys::Generate()->public_z85));
}

TEST_F(KeyFileTest, LooseSecretKeyPermissionsAreRefused) {
  auto pair = *keys::Generate();
  ASSERT_TRUE(keys::Save(pair, dir_ + "/host.key", dir_ + "/host.pub").ok());
  ASSERT_EQ(chmod((dir_ + "/host.key").c_str(), 0640), 0);
  auto loaded = keys::Load(dir_ + "/host.key", dir_ + "/host.pub");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kPermission);
  EXPECT_NE(loaded.error().message.find("0640"), std::string::npos);
}

TEST_F(KeyFileTest, PublicKeyOfAnotherPairIsRefused) {
  auto pair = *keys::Generate();
  auto other = *keys::Generate();
  ASSERT_TRUE(keys::Save(pair, dir_ + "/a.key", dir_ + "/a.pub").ok());
  ASSERT_TRUE(keys::Save(other, dir_ + "/b.key", dir_ + "/b.pub").ok());
  auto loaded = keys::Load(dir_ + "/a.key", dir_ + "/b.pub");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kConflict);
}

TEST_F(KeyFileTest, TestKeyInAFileIsRefused) {
  std::string path = dir_ + "/server.key";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fprintf(f, "%s\n", kTestServerSecret);
  fclose(f);
  chmod(path.c_str(), 0600);
  f = fopen((dir_ + "/server.pub").c_str(), "w");
  fprintf(f, "%s\n", kTestServerPublic);
  fclose(f);
  auto loaded = keys::Load(path, dir_ + "/server.pub");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ErrorCode::kPermission);
}

TEST(ReplayGuardTest, StrictlyIncreasingPerSender) {
  ReplayGuard guard;
  EXPECT_TRUE(guard.Accept("a", 5, 1));
  EXPECT_FALSE(guard.Accept("a", 5, 1));
  EXPECT_TRUE(guard.Accept("b", 5, 1));  // senders are independent
  EXPECT_TRUE(guard.Accept("a", 5, 7));  // gaps are fine (lost messages)
  EXPECT_FALSE(guard.Accept("a", 5, 6));
  EXPECT_FALSE(guard.Accept("a", 4, 100));
  EXPECT_TRUE(guard.Accept("a", 6, 1));
}

TEST(ReplayGuardTest, StampsNoStamperCouldPassAreRefusedAndNotRemembered) {
  FakeClock clock;  // the receiver's wall clock
  ReplayGuard guard(&clock);
  const uint64_t now_us = static_cast<uint64_t>(clock.NowUnixMs()) * 1000;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(guard.Check("a", kMax, 1), ReplayVerdict::kImplausible);
  EXPECT_EQ(guard.Check("a", now_us, kMax), ReplayVerdict::kImplausible);
  EXPECT_EQ(guard.Check("a", now_us, kMaxSequence + 1), ReplayVerdict::kImplausible);
  EXPECT_EQ(guard.Check("a", now_us + kMaxBootIdAheadUs + 1, 1), ReplayVerdict::kImplausible);
  EXPECT_EQ(guard.senders(), 0u);  // nothing remembered: the honest stamper is not locked out
  EXPECT_EQ(guard.Check("a", now_us, 1), ReplayVerdict::kAccepted);
  // The furthest a sender can push its own window: a day ahead, at the last sequence.
  EXPECT_EQ(guard.Check("a", now_us + kMaxBootIdAheadUs, kMaxSequence), ReplayVerdict::kAccepted);
  EXPECT_EQ(guard.Check("a", now_us, 2), ReplayVerdict::kNotNewer);
  // ... which real time overtakes: a day later the host's next boot gets in again.
  clock.Advance(std::chrono::hours(24) + std::chrono::seconds(1));
  EXPECT_EQ(guard.Check("a", now_us + kMaxBootIdAheadUs + 1000000, 1), ReplayVerdict::kAccepted);
  // And forgetting a sender (the host was revoked) clears its window at once.
  guard.Forget("a");
  EXPECT_EQ(guard.Check("a", now_us, 1), ReplayVerdict::kAccepted);
}

TEST(ReplayGuardTest, WithoutAClockOnlyTheSequenceIsBounded) {
  ReplayGuard guard(nullptr);  // the host agent about its proxies
  EXPECT_EQ(guard.Check("p", std::numeric_limits<uint64_t>::max() - 1, 1),
            ReplayVerdict::kAccepted);
  EXPECT_EQ(guard.Check("q", 5, kMaxSequence + 1), ReplayVerdict::kImplausible);
}

}  // namespace
}  // namespace bnfc::channel

namespace bnfc::channel {
namespace {

TEST(ConnectionGuardDecide, PerSourceAndTotalCaps) {
  GuardLimits limits{2, 5};
  EXPECT_EQ(Decide(0, 0, limits), Admission::kAdmit);
  EXPECT_EQ(Decide(1, 4, limits), Admission::kAdmit);
  EXPECT_EQ(Decide(2, 2, limits), Admission::kOverSource);
  EXPECT_EQ(Decide(0, 5, limits), Admission::kOverTotal);
  EXPECT_EQ(Decide(100, 100, GuardLimits{0, 0}), Admission::kAdmit);  // 0: no cap
}

TEST(ConnectionGuardDecide, TotalCapLeavesRoomBelowTheDescriptorLimit) {
  EXPECT_EQ(TotalCapFor(65536), 65280);
  EXPECT_EQ(TotalCapFor(1024), 768);
  EXPECT_EQ(TotalCapFor(300), 150);
  EXPECT_EQ(TotalCapFor(RLIM_INFINITY), 1 << 20);
}

}  // namespace
}  // namespace bnfc::channel
