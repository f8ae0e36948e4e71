#include "bnfc/report/http.h"

#include <exception>
#include <ostream>
#include <utility>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>

#include "bnfc/report/metrics.h"

namespace bnfc::report {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void Send(HTTPServerResponse& res, bool head, HTTPResponse::HTTPStatus status,
          const std::string& type, const std::string& body) {
  res.setStatusAndReason(status);  // setStatus alone leaves the reason "OK" (404 OK)
  res.setContentType(type);
  res.setContentLength(static_cast<std::streamsize>(body.size()));
  res.set("Cache-Control", "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  std::ostream& out = res.send();
  if (!head) {
    out << body;
  }
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(const HttpContent& content) : content_(content) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& res) override {
    const std::string& method = req.getMethod();
    const bool head = method == "HEAD";
    if (method != "GET" && !head) {
      res.set("Allow", "GET, HEAD");
      Send(res, false, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
           "only GET and HEAD are served\n");
      return;
    }
    std::string path = req.getURI();
    if (auto q = path.find('?'); q != std::string::npos) {
      path.resize(q);
    }
    try {
      if (path == "/metrics" && content_.metrics) {
        Send(res, head, HTTPResponse::HTTP_OK, kPrometheusContentType, content_.metrics());
      } else if (path == "/report.json" && content_.report_json) {
        Send(res, head, HTTPResponse::HTTP_OK, "application/json", content_.report_json());
      } else if ((path == "/report" || path == "/report.html") && content_.report_html) {
        Send(res, head, HTTPResponse::HTTP_OK, "text/html; charset=utf-8", content_.report_html());
      } else if (path == "/healthz") {
        Status st = content_.health ? content_.health() : OkStatus();
        if (st.ok()) {
          Send(res, head, HTTPResponse::HTTP_OK, "text/plain; charset=utf-8", "ok\n");
        } else {
          Send(res, head, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
               st.error().message + "\n");
        }
      } else if (path == "/") {
        Send(res, head, HTTPResponse::HTTP_OK, "text/plain; charset=utf-8",
             "bnfc-proxyd: /metrics /report /report.json /healthz\n");
      } else {
        Send(res, head, HTTPResponse::HTTP_NOT_FOUND, "text/plain; charset=utf-8",
             "not found; try /metrics /report /report.json /healthz\n");
      }
    } catch (const std::exception& e) {
      // A content callback failed: say so instead of dropping the connection.
      if (!res.sent()) {
        Send(res, head, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
             std::string("internal error: ") + e.what() + "\n");
      }
    }
  }

 private:
  const HttpContent& content_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(const HttpContent& content) : content_(content) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(content_);
  }

 private:
  const HttpContent& content_;
};

}  // namespace

struct HttpEndpoint::Impl {
  HttpContent content;
  std::string address;
  uint16_t port = 0;
  // Our own pool (declared before the server, so it outlives it): Poco's default pool holds 16
  // threads for the whole process, fewer than the workers plus the dispatcher.
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  bool stopped = false;
};

Expected<HttpListen> ParseHttpListen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "http_listen '" + text + "': expected ADDRESS:PORT, e.g. 127.0.0.1:9903");
  }
  HttpListen l;
  std::string host = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  l.address = host.empty() ? "127.0.0.1" : host;
  Poco::Net::IPAddress ip;
  if (!Poco::Net::IPAddress::tryParse(l.address, ip)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "http_listen '" + text + "': '" + l.address + "' is not an IP address");
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "http_listen '" + text + "': port must be a number from 0 to 65535");
  }
  l.port = static_cast<uint16_t>(std::stoul(port));
  return l;
}

HttpEndpoint::HttpEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpEndpoint::~HttpEndpoint() {
  Stop();
}

Expected<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(const HttpListen& listen,
                                                            HttpContent content, int threads) {
  auto impl = std::make_unique<Impl>();
  impl->content = std::move(content);
  try {
    Poco::Net::SocketAddress sa(listen.address, listen.port);
    Poco::Net::ServerSocket socket;
    // SO_REUSEADDR for quick restarts, never SO_REUSEPORT: a second daemon must fail to bind.
    socket.bind(sa, /*reuseAddress=*/true, /*reusePort=*/false);
    socket.listen(64);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(threads < 1 ? 1 : threads);
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    // Each worker serves one connection at a time: a client that sends nothing for this long
    // (request line, headers, or the next keep-alive request) loses its worker.
    params->setTimeout(Poco::Timespan(kIdleTimeoutSeconds, 0));
    params->setKeepAliveTimeout(Poco::Timespan(kIdleTimeoutSeconds, 0));
    params->setMaxKeepAliveRequests(100);
    impl->address = listen.address;
    impl->port = socket.address().port();
    const int workers = threads < 1 ? 1 : threads;
    impl->pool = std::make_unique<Poco::ThreadPool>(2, workers + 2, 60);
    impl->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(impl->content), *impl->pool,
                                                           socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return Unexpected(ErrorCode::kUnavailable, "cannot serve HTTP on " + listen.address + ":" +
                                                   std::to_string(listen.port) + ": " +
                                                   e.displayText());
  } catch (const std::exception& e) {
    return Unexpected(ErrorCode::kUnavailable, "cannot serve HTTP on " + listen.address + ":" +
                                                   std::to_string(listen.port) + ": " + e.what());
  }
  return std::unique_ptr<HttpEndpoint>(new HttpEndpoint(std::move(impl)));
}

uint16_t HttpEndpoint::port() const {
  return impl_->port;
}

const std::string& HttpEndpoint::address() const {
  return impl_->address;
}

void HttpEndpoint::Stop() {
  if (impl_ && impl_->server && !impl_->stopped) {
    impl_->stopped = true;
    impl_->server->stopAll(true);
  }
}

}  // namespace bnfc::report
