// Report ingest over the secure channel: many enrolled hosts (distinct CURVE keys) send
// HostReports to one SecureServer on 127.0.0.1. Printed side by side with a baseline measured in
// the same run: plain libzmq DEALER->ROUTER with CURVE and the same message size, no validation.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bnfc/channel.h"
#include "bnfc/log.h"
#include "bnfc/testing/fake_clock.h"

namespace {

using namespace bnfc;
using Clock = std::chrono::steady_clock;

proto::Envelope SampleReport(const std::string& host) {
  proto::Envelope e;
  auto* r = e.mutable_host_report();
  r->mutable_host()->set_product("VMware ESXi");
  r->mutable_host()->set_version("8.0.3");
  for (int i = 0; i < 3; ++i) {
    auto* v = r->add_vmknics();
    v->set_name("vmk" + std::to_string(i));
    v->set_mtu(9000);
    v->set_mac("00:50:56:aa:00:0" + std::to_string(i));
    v->mutable_ipv4()->set_address("10.99.0." + std::to_string(10 + i));
  }
  r->set_nfc_address("10.99.0.11");
  e.set_host_id(host);
  return e;
}

void RaiseFdLimit() {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Ours: N hosts, each with its own key and stamper, every report validated by SecureServer.
double MeasureSecureIngest(int hosts, int per_host, size_t* message_size) {
  zmq::context_t context(2);
  auto server_keys = *keys::Generate();
  auto allow = std::make_shared<channel::AllowList>();
  auto zap = std::make_shared<channel::ZapHandler>(context, allow);
  if (!zap->Start().ok())
    std::abort();
  channel::ServerOptions options{"tcp://127.0.0.1:*", server_keys};
  options.guard.max_per_source = 0;  // every host connects from 127.0.0.1 here
  auto server = std::move(*channel::SecureServer::Create(context, zap, options));
  std::vector<std::unique_ptr<channel::SecureClient>> clients;
  std::vector<std::unique_ptr<channel::EnvelopeStamper>> stampers;
  const FakeClock clock;
  for (int i = 0; i < hosts; ++i) {
    auto k = *keys::Generate();
    std::string id = "esx" + std::to_string(i);
    if (!allow->Add(k.public_z85, {id, {*net::Prefix::Parse("127.0.0.0/8")}}).ok())
      std::abort();
    clients.push_back(std::move(*channel::SecureClient::Create(
        context, {server->endpoint(), server_keys.public_z85, k, per_host + 1})));
    stampers.push_back(std::make_unique<channel::EnvelopeStamper>(id, clock));
  }
  // Warm-up: one report per host completes every handshake before timing starts.
  for (int i = 0; i < hosts; ++i) {
    auto e = SampleReport("esx" + std::to_string(i));
    stampers[i]->Stamp(&e);
    *message_size = protocol::Encode(e).size();
    (void)clients[i]->Send(e);
  }
  for (int got = 0; got < hosts;) {
    auto in = server->Receive(std::chrono::seconds(30));
    if (!in.ok() || !in->has_value())
      std::abort();
    ++got;
  }
  const int total = hosts * per_host;
  std::thread sender([&] {
    for (int round = 0; round < per_host; ++round) {
      for (int i = 0; i < hosts; ++i) {
        auto e = SampleReport("esx" + std::to_string(i));
        stampers[i]->Stamp(&e);
        while (!clients[i]->Send(e).ok()) {
          std::this_thread::yield();
        }
      }
    }
  });
  auto start = Clock::now();
  for (int got = 0; got < total;) {
    auto in = server->Receive(std::chrono::seconds(30));
    if (!in.ok() || !in->has_value()) {
      std::fprintf(stderr, "ingest stalled after %d of %d\n", got, total);
      std::abort();
    }
    ++got;
  }
  double secs = Seconds(start);
  sender.join();
  return total / secs;
}

// Baseline: one CURVE DEALER -> ROUTER pair moving the same bytes; no ZAP, decode or replay work.
double MeasureRawCurve(int messages, size_t size) {
  zmq::context_t context(2);
  auto server_keys = *keys::Generate();
  auto client_keys = *keys::Generate();
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::curve_server, 1);
  router.set(zmq::sockopt::curve_secretkey, server_keys.secret_z85);
  router.set(zmq::sockopt::rcvhwm, 100000);
  router.bind("tcp://127.0.0.1:*");
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::curve_serverkey, server_keys.public_z85);
  dealer.set(zmq::sockopt::curve_publickey, client_keys.public_z85);
  dealer.set(zmq::sockopt::curve_secretkey, client_keys.secret_z85);
  dealer.set(zmq::sockopt::sndhwm, 100000);
  dealer.connect(router.get(zmq::sockopt::last_endpoint));
  std::string payload(size, 'x');
  dealer.send(zmq::buffer(payload));
  zmq::message_t id, body;
  (void)router.recv(id);
  (void)router.recv(body);
  std::thread sender([&] {
    for (int i = 0; i < messages; ++i)
      dealer.send(zmq::buffer(payload));
  });
  auto start = Clock::now();
  for (int i = 0; i < messages; ++i) {
    (void)router.recv(id);
    (void)router.recv(body);
  }
  double secs = Seconds(start);
  sender.join();
  return messages / secs;
}

}  // namespace

int main(int argc, char** argv) {
  int hosts = argc > 1 ? std::atoi(argv[1]) : 1000;
  int per_host = argc > 2 ? std::atoi(argv[2]) : 20;
  RaiseFdLimit();
  bnfc::log::Options quiet;
  quiet.ident = "ingest_bench";
  quiet.min_level = bnfc::log::Level::kError;
  bnfc::log::Init(quiet);
  size_t size = 0;
  double ours = MeasureSecureIngest(hosts, per_host, &size);
  double raw = MeasureRawCurve(hosts * per_host, size);
  std::printf("report ingest (%d hosts x %d reports, %zu-byte envelopes, CURVE, 127.0.0.1)\n",
              hosts, per_host, size);
  std::printf("  %-44s %12.0f msg/s\n", "bnfc SecureServer (ZAP, decode, identity, replay)", ours);
  std::printf("  %-44s %12.0f msg/s\n", "libzmq DEALER->ROUTER, CURVE, same size", raw);
  std::printf("  ratio ours/libzmq: %.2f\n", ours / raw);
  return 0;
}
