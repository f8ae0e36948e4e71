// Report ingest over the secure channel: many enrolled hosts (distinct CURVE keys) send
// HostReports to one SecureServer on 127.0.0.1. Printed side by side with two baselines measured
// in the same run, both plain libzmq with CURVE and the same message size and count, no
// validation: the same fan-in (as many CURVE DEALERs as hosts into one ROUTER whose ZAP handler
// accepts every key) and a single DEALER->ROUTER connection. The same-fan-in one is the fair
// comparison; the single connection shows what fan-in itself costs libzmq.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bnfc/channel.h"
#include "bnfc/clock.h"
#include "bnfc/log.h"

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

// CPU seconds of the whole process (every thread: the receiver, the sender, libzmq's I/O threads).
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
double g_cpu_us_per_msg = 0;  // of the last measurement

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
  // Reports are built and stamped before timing, as the baselines' frames are: the figure is the
  // server's ingest, not how fast one bench thread can build 20,000 protobuf messages. Each send
  // still encodes its envelope (SecureClient::Send).
  std::vector<proto::Envelope> reports;
  reports.reserve(static_cast<size_t>(total));
  for (int round = 0; round < per_host; ++round) {
    for (int i = 0; i < hosts; ++i) {
      reports.push_back(SampleReport("esx" + std::to_string(i)));
      stampers[i]->Stamp(&reports.back());
    }
  }
  std::thread sender([&] {
    for (int round = 0; round < per_host; ++round) {
      for (int i = 0; i < hosts; ++i) {
        const proto::Envelope& e = reports[static_cast<size_t>(round * hosts + i)];
        while (!clients[i]->Send(e).ok()) {
          std::this_thread::yield();
        }
      }
    }
  });
  auto start = Clock::now();
  const double cpu0 = CpuSeconds();
  for (int got = 0; got < total;) {
    auto in = server->Receive(std::chrono::seconds(30));
    if (!in.ok() || !in->has_value()) {
      std::fprintf(stderr, "ingest stalled after %d of %d\n", got, total);
      std::abort();
    }
    ++got;
  }
  double secs = Seconds(start);
  g_cpu_us_per_msg = (CpuSeconds() - cpu0) * 1e6 / total;
  sender.join();
  return total / secs;
}

// Answers every ZAP request with 200: libzmq then runs the full CURVE + ZAP handshake for each
// connection, as for ours, but nothing is looked up or recorded.
class AcceptAllZap {
 public:
  explicit AcceptAllZap(zmq::context_t& context) : socket_(context, zmq::socket_type::rep) {
    // Bound before any CURVE socket exists, so that libzmq consults it for every handshake.
    socket_.bind("inproc://zeromq.zap.01");
    thread_ = std::thread([this] { Serve(); });
  }
  ~AcceptAllZap() {
    stop_ = true;
    thread_.join();
  }

 private:
  void Serve() {
    while (!stop_) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      if (!(item.revents & ZMQ_POLLIN))
        continue;
      std::vector<zmq::message_t> request;
      do {
        request.emplace_back();
        (void)socket_.recv(request.back());
      } while (request.back().more());
      // Request: version, request id, domain, address, identity, mechanism, credentials...
      const std::string request_id = request.size() > 1 ? request[1].to_string() : "";
      socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
      socket_.send(zmq::str_buffer("200"), zmq::send_flags::sndmore);
      socket_.send(zmq::str_buffer("OK"), zmq::send_flags::sndmore);
      socket_.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
      socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
    }
  }

  zmq::socket_t socket_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Same-fan-in baseline: `hosts` CURVE DEALERs, each with its own key, into one plain ROUTER with
// an accept-all ZAP handler; the same sending pattern as ours (one thread, round robin), the same
// frame size; the receiver takes routing id and body and looks at nothing.
double MeasureFanInCurve(int hosts, int per_host, size_t size) {
  zmq::context_t context(2);
  AcceptAllZap zap(context);
  auto server_keys = *keys::Generate();
  zmq::socket_t router(context, zmq::socket_type::router);
  router.set(zmq::sockopt::curve_server, 1);
  router.set(zmq::sockopt::curve_secretkey, server_keys.secret_z85);
  router.set(zmq::sockopt::zap_domain, "bench");
  router.bind("tcp://127.0.0.1:*");
  const std::string endpoint = router.get(zmq::sockopt::last_endpoint);
  std::vector<zmq::socket_t> dealers;
  for (int i = 0; i < hosts; ++i) {
    auto k = *keys::Generate();
    dealers.emplace_back(context, zmq::socket_type::dealer);
    dealers.back().set(zmq::sockopt::curve_serverkey, server_keys.public_z85);
    dealers.back().set(zmq::sockopt::curve_publickey, k.public_z85);
    dealers.back().set(zmq::sockopt::curve_secretkey, k.secret_z85);
    dealers.back().set(zmq::sockopt::sndhwm, per_host + 1);
    dealers.back().set(zmq::sockopt::linger, 0);
    dealers.back().connect(endpoint);
  }
  std::string payload(size, 'x');
  zmq::message_t id, body;
  // Warm-up as for ours: one frame per connection completes every handshake before timing.
  for (auto& d : dealers)
    d.send(zmq::buffer(payload));
  for (int i = 0; i < hosts; ++i) {
    (void)router.recv(id);
    (void)router.recv(body);
  }
  const int total = hosts * per_host;
  std::thread sender([&] {
    for (int round = 0; round < per_host; ++round) {
      for (auto& d : dealers) {
        while (!d.send(zmq::buffer(payload), zmq::send_flags::dontwait)) {
          std::this_thread::yield();
        }
      }
    }
  });
  auto start = Clock::now();
  const double cpu0 = CpuSeconds();
  for (int i = 0; i < total; ++i) {
    (void)router.recv(id);
    (void)router.recv(body);
  }
  double secs = Seconds(start);
  g_cpu_us_per_msg = (CpuSeconds() - cpu0) * 1e6 / total;
  sender.join();
  return total / secs;
}

// Single-connection baseline: one CURVE DEALER -> ROUTER pair moving the same bytes; no ZAP, decode
// or replay work.
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
  const double cpu0 = CpuSeconds();
  for (int i = 0; i < messages; ++i) {
    (void)router.recv(id);
    (void)router.recv(body);
  }
  double secs = Seconds(start);
  g_cpu_us_per_msg = (CpuSeconds() - cpu0) * 1e6 / messages;
  sender.join();
  return messages / secs;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

}  // namespace

// ingest_bench [HOSTS] [REPORTS] [ROUNDS] [ours|fan-in]: ROUNDS interleaved rounds of the three
// measurements (ours, same fan-in, single connection), medians printed; the machine's load
// changes during a run, and interleaving spreads it over all three. Each also prints the CPU time
// per message of the whole process, which a loaded machine disturbs less than msg/s. `ours` or
// `fan-in` measures only that one, once, for a profiler (perf record, perf stat, perf trace).
int main(int argc, char** argv) {
  int hosts = argc > 1 ? std::atoi(argv[1]) : 1000;
  int per_host = argc > 2 ? std::atoi(argv[2]) : 20;
  int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  const std::string only = argc > 4 ? argv[4] : "";
  const bool ours_only = only == "ours";
  const bool fan_in_only = only == "fan-in";
  RaiseFdLimit();
  bnfc::log::Options quiet;
  quiet.ident = "ingest_bench";
  quiet.min_level = bnfc::log::Level::kError;
  bnfc::log::Init(quiet);
  size_t size = 0;
  if (ours_only) {
    std::printf("bnfc SecureServer: %.0f msg/s\n", MeasureSecureIngest(hosts, per_host, &size));
    return 0;
  }
  if (fan_in_only) {
    // The frame size ours measures with (its last host's stamped report).
    const FakeClock clock;
    channel::EnvelopeStamper stamper("esx" + std::to_string(hosts - 1), clock);
    auto e = SampleReport("esx" + std::to_string(hosts - 1));
    stamper.Stamp(&e);
    size = protocol::Encode(e).size();
    std::printf("libzmq same fan-in: %.0f msg/s\n", MeasureFanInCurve(hosts, per_host, size));
    return 0;
  }
  std::vector<double> ours, fan_in, single, ours_cpu, fan_in_cpu, single_cpu;
  for (int r = 0; r < rounds; ++r) {
    ours.push_back(MeasureSecureIngest(hosts, per_host, &size));
    ours_cpu.push_back(g_cpu_us_per_msg);
    fan_in.push_back(MeasureFanInCurve(hosts, per_host, size));
    fan_in_cpu.push_back(g_cpu_us_per_msg);
    single.push_back(MeasureRawCurve(hosts * per_host, size));
    single_cpu.push_back(g_cpu_us_per_msg);
    std::printf(
        "  round %d: ours %.0f msg/s (%.1f us CPU/msg), same fan-in %.0f (%.1f), single "
        "connection %.0f (%.1f)\n",
        r + 1, ours.back(), ours_cpu.back(), fan_in.back(), fan_in_cpu.back(), single.back(),
        single_cpu.back());
  }
  const double o = Median(ours), f = Median(fan_in), s = Median(single);
  std::printf(
      "report ingest (%d hosts x %d reports, %zu-byte envelopes, CURVE, 127.0.0.1, median of "
      "%d)\n",
      hosts, per_host, size, rounds);
  std::printf("  %-52s %12.0f msg/s\n", "bnfc SecureServer (ZAP, decode, identity, replay)", o);
  std::printf(
      "  %-52s %12.0f msg/s\n",
      ("libzmq, same fan-in: " + std::to_string(hosts) + " CURVE DEALERs -> ROUTER, ZAP").c_str(),
      f);
  std::printf("  %-52s %12.0f msg/s\n", "libzmq, one CURVE DEALER -> ROUTER", s);
  std::printf("  ratio ours/same-fan-in: %.2f (goal >= 0.8)\n", o / f);
  std::printf("  ratio ours/single-connection: %.2f\n", o / s);
  // CPU per message, inverted so that 1.0 is "as cheap as libzmq at the same fan-in".
  std::printf("  CPU per message: ours %.1f us, same fan-in %.1f us, ratio same-fan-in/ours %.2f\n",
              Median(ours_cpu), Median(fan_in_cpu), Median(fan_in_cpu) / Median(ours_cpu));
  return 0;
}
