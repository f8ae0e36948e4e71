// The proxy's HTTP endpoint: /metrics, /report.json, /report (HTML), /healthz. Bound to
// 127.0.0.1 by default; content comes from callbacks the daemon provides, so the endpoint holds
// no state of its own and is tested standalone. GET and HEAD only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bnfc/expected.h"

namespace bnfc::report {

struct HttpListen {
  std::string address = "127.0.0.1";
  uint16_t port = 9903;  // 0: any free port (see HttpEndpoint::port())
};

// "127.0.0.1:9903", "[::1]:9903", ":9903" (loopback) -> address and port; precise errors.
Expected<HttpListen> ParseHttpListen(const std::string& text);

struct HttpContent {
  std::function<std::string()> metrics;      // Prometheus text exposition
  std::function<std::string()> report_json;  // report.json
  std::function<std::string()> report_html;  // the HTML report
  std::function<Status()> health;            // error: 503 with the message
};

// Seconds a connection may stay silent before its worker drops it.
inline constexpr int kIdleTimeoutSeconds = 3;
// Workers: a scraper, a browser and an operator's curl at once, with room for slow or stalled
// clients (each holds a worker until kIdleTimeoutSeconds of silence).
inline constexpr int kHttpWorkers = 16;

class HttpEndpoint {
 public:
  // Binds and starts serving; fails with the reason (address in use, bad address, ...).
  static Expected<std::unique_ptr<HttpEndpoint>> Start(const HttpListen& listen,
                                                       HttpContent content,
                                                       int threads = kHttpWorkers);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  uint16_t port() const;  // the bound port (useful with port 0)
  const std::string& address() const;
  void Stop();  // idempotent; waits for in-flight requests

  struct Impl;

 private:
  explicit HttpEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bnfc::report
