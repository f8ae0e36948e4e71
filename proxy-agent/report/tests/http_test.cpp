// The HTTP endpoint over 127.0.0.1 with a real HTTP client, a real Prometheus server scraping it,
// and, in a private network namespace, proof that the default listen address is loopback only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bnfc/report/http.h"
#include "bnfc/report/metrics.h"
#include "process_util.h"
#include "report_fixtures.h"

namespace bnfc::report {
namespace {

using testing::Background;
using testing::FindExecutable;
using testing::TempDir;
using testing::WriteAll;

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
};

Reply Fetch(uint16_t port, const std::string& path, const std::string& method = "GET") {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(req);
  Poco::Net::HTTPResponse res;
  std::istream& in = session.receiveResponse(res);
  Reply r;
  r.status = static_cast<int>(res.getStatus());
  r.content_type = res.getContentType();
  std::ostringstream body;
  Poco::StreamCopier::copyStream(in, body);
  r.body = body.str();
  return r;
}

struct Served {
  std::atomic<int> metrics_calls{0};
  std::atomic<bool> healthy{true};
  Report report = testing::SampleReport();

  HttpContent Content() {
    HttpContent c;
    c.metrics = [this] {
      ++metrics_calls;
      MetricsSnapshot s;
      FillFromReport(report, s);
      s.reports_received = 7;
      return RenderPrometheus(s);
    };
    c.report_json = [this] { return RenderJson(report); };
    c.report_html = [this] { return RenderHtml(report); };
    c.health = [this]() -> Status {
      if (healthy) {
        return OkStatus();
      }
      return Unexpected(ErrorCode::kUnavailable, "netlink socket closed");
    };
    return c;
  }
};

HttpListen AnyLoopbackPort() {
  HttpListen l;
  l.port = 0;
  return l;
}

TEST(HttpListenParse, Forms) {
  auto a = ParseHttpListen("127.0.0.1:9903");
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  EXPECT_EQ(a->address, "127.0.0.1");
  EXPECT_EQ(a->port, 9903);
  auto b = ParseHttpListen("[::1]:8080");
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  EXPECT_EQ(b->address, "::1");
  EXPECT_EQ(b->port, 8080);
  auto c = ParseHttpListen(":9100");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->address, "127.0.0.1");
  EXPECT_EQ(HttpListen{}.address, "127.0.0.1");  // loopback by default
}

TEST(HttpListenParse, PreciseErrors) {
  auto no_port = ParseHttpListen("127.0.0.1");
  ASSERT_FALSE(no_port.ok());
  EXPECT_NE(no_port.error().message.find("ADDRESS:PORT"), std::string::npos);
  auto bad_port = ParseHttpListen("127.0.0.1:99999");
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.error().message.find("0 to 65535"), std::string::npos);
  auto bad_addr = ParseHttpListen("localhost:80");
  ASSERT_FALSE(bad_addr.ok());
  EXPECT_NE(bad_addr.error().message.find("not an IP address"), std::string::npos);
}

TEST(HttpEndpoint, ServesEveryPath) {
  Served s;
  auto ep = HttpEndpoint::Start(AnyLoopbackPort(), s.Content());
  ASSERT_TRUE(ep.ok()) << ep.error().ToString();
  const uint16_t port = (*ep)->port();
  ASSERT_NE(port, 0);
  EXPECT_EQ((*ep)->address(), "127.0.0.1");

  Reply m = Fetch(port, "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, kPrometheusContentType);
  EXPECT_NE(m.body.find("bnfc_reports_received_total 7\n"), std::string::npos) << m.body;

  Reply j = Fetch(port, "/report.json");
  EXPECT_EQ(j.status, 200);
  EXPECT_EQ(j.content_type, "application/json");
  auto doc = nlohmann::json::parse(j.body);
  EXPECT_EQ(doc["proxy"], "proxy01");
  EXPECT_EQ(doc["pairs"].size(), 5u);

  Reply h = Fetch(port, "/report");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(h.body.rfind("<!DOCTYPE html>", 0), 0u);

  Reply ok = Fetch(port, "/healthz");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "ok\n");
  s.healthy = false;
  Reply bad = Fetch(port, "/healthz");
  EXPECT_EQ(bad.status, 503);
  EXPECT_EQ(bad.body, "netlink socket closed\n");

  EXPECT_EQ(Fetch(port, "/nope").status, 404);
  EXPECT_EQ(Fetch(port, "/metrics?x=1").status, 200);
  EXPECT_EQ(Fetch(port, "/metrics", "POST").status, 405);
  Reply head = Fetch(port, "/report.json", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  (*ep)->Stop();
  (*ep)->Stop();  // idempotent
}

TEST(HttpEndpoint, FailingCallbackGives500AndKeepsServing) {
  HttpContent c;
  c.metrics = []() -> std::string { throw std::runtime_error("snapshot failed"); };
  c.report_json = [] { return std::string("{}"); };
  auto ep = HttpEndpoint::Start(AnyLoopbackPort(), c);
  ASSERT_TRUE(ep.ok()) << ep.error().ToString();
  Reply r = Fetch((*ep)->port(), "/metrics");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("snapshot failed"), std::string::npos);
  EXPECT_EQ(Fetch((*ep)->port(), "/report.json").status, 200);
  EXPECT_EQ(Fetch((*ep)->port(), "/report").status, 404);  // no HTML callback given
}

TEST(HttpEndpoint, PortInUseIsAPreciseError) {
  Served s;
  auto first = HttpEndpoint::Start(AnyLoopbackPort(), s.Content());
  ASSERT_TRUE(first.ok());
  HttpListen same;
  same.port = (*first)->port();
  auto second = HttpEndpoint::Start(same, s.Content());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("127.0.0.1:" + std::to_string(same.port)),
            std::string::npos)
      << second.error().message;
}

// TCP connect from `source` to `destination`:`port` inside the current network namespace; 0 on
// success, else the errno of the failure.
int ConnectFrom(const char* source, const char* destination, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return errno;
  }
  sockaddr_in src{}, dst{};
  src.sin_family = AF_INET;
  dst.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &src.sin_addr);
  ::inet_pton(AF_INET, destination, &dst.sin_addr);
  dst.sin_port = htons(port);
  int err = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    err = errno;
  }
  ::close(fd);
  return err;
}

// The failure is printed on the child's stderr; the parent sees a non-zero exit status.
#define NS_CHECK(cond)                                                        \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                               \
    }                                                                         \
  } while (0)

// In a network namespace of its own (forked child): a veth pair with 10.99.7.1 and 10.99.7.2 next
// to loopback. The endpoint with the default listen address must answer on 127.0.0.1 only; one
// explicitly bound to 0.0.0.0 shows that the non-loopback path would otherwise connect.
int DefaultListenIsLoopbackOnlyInPrivateNetns() {
  if (std::system("ip link set lo up && ip link add bnfct0 type veth peer name bnfct1 && "
                  "ip addr add 10.99.7.1/24 dev bnfct0 && ip addr add 10.99.7.2/24 dev bnfct1 && "
                  "ip link set bnfct0 up && ip link set bnfct1 up") != 0) {
    std::fprintf(stderr, "cannot set up the namespace's links\n");
    return 1;
  }
  Served s;
  auto defaults = ParseHttpListen(":" + std::to_string(HttpListen{}.port));
  NS_CHECK(defaults.ok());
  auto ep = HttpEndpoint::Start(HttpListen{}, s.Content());  // 127.0.0.1:9903, the default
  NS_CHECK(ep.ok());
  NS_CHECK((*ep)->address() == "127.0.0.1" && (*ep)->port() == 9903);
  NS_CHECK(defaults->address == (*ep)->address());
  NS_CHECK(ConnectFrom("10.99.7.2", "10.99.7.1", 9903) == ECONNREFUSED);
  NS_CHECK(ConnectFrom("10.99.7.1", "10.99.7.1", 9903) == ECONNREFUSED);
  NS_CHECK(ConnectFrom("127.0.0.1", "127.0.0.1", 9903) == 0);
  NS_CHECK(Fetch(9903, "/healthz").status == 200);
  auto all = ParseHttpListen("0.0.0.0:9904");
  NS_CHECK(all.ok());
  auto wide = HttpEndpoint::Start(*all, s.Content());
  NS_CHECK(wide.ok());
  NS_CHECK(ConnectFrom("10.99.7.2", "10.99.7.1", 9904) == 0);
  (*wide)->Stop();
  (*ep)->Stop();
  return 0;
}

TEST(HttpEndpoint, DefaultListenIsNotReachableFromANonLoopbackAddress) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::unshare(CLONE_NEWNET) != 0) {
      ::_exit(77);
    }
    int rc = DefaultListenIsLoopbackOnlyInPrivateNetns();
    std::fflush(nullptr);
    ::_exit(rc);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "the namespace child died";
  if (WEXITSTATUS(status) == 77) {
    GTEST_SKIP() << "needs root and permission to create network namespaces (unshare)";
  }
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the namespace child failed: see its stderr";
}

uint16_t FreeLoopbackPort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  uint16_t p = s.address().port();
  s.close();
  return p;
}

// Value of the first sample of an instant query, "" when there is none yet.
std::string QueryValue(uint16_t prom_port, const std::string& query) {
  std::string uri;
  Poco::URI::encode(query, "&=+{}\"", uri);
  Reply r = Fetch(prom_port, "/api/v1/query?query=" + uri);
  if (r.status != 200) {
    return "";
  }
  auto doc = nlohmann::json::parse(r.body, nullptr, false);
  if (doc.is_discarded() || doc.value("status", "") != "success") {
    return "";
  }
  const auto& result = doc["data"]["result"];
  if (!result.is_array() || result.empty()) {
    return "";
  }
  return result[0]["value"][1].get<std::string>();
}

TEST(HttpEndpoint, RealPrometheusScrapesIt) {
  const std::string prometheus = FindExecutable("prometheus");
  if (prometheus.empty()) {
    GTEST_SKIP() << "prometheus not installed (Debian package 'prometheus')";
  }
  Served s;
  auto ep = HttpEndpoint::Start(AnyLoopbackPort(), s.Content());
  ASSERT_TRUE(ep.ok()) << ep.error().ToString();

  TempDir dir;
  const uint16_t prom_port = FreeLoopbackPort();
  WriteAll(dir.File("prometheus.yml"),
           "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
           "scrape_configs:\n  - job_name: bnfc\n    static_configs:\n"
           "      - targets: ['127.0.0.1:" +
               std::to_string((*ep)->port()) + "']\n");
  Background prom(
      {prometheus, "--config.file=" + dir.File("prometheus.yml"),
       "--storage.tsdb.path=" + dir.File("data"),
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
      dir.File("prometheus.log"));
  ASSERT_TRUE(prom.started());

  // A deadline for a slow, shared machine, not a timing assertion.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::string up;
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(prom.Running()) << "prometheus exited:\n"
                                << testing::ReadAll(dir.File("prometheus.log"));
    try {
      up = QueryValue(prom_port, "up{job=\"bnfc\"}");
    } catch (const std::exception&) {
      up.clear();  // not listening yet
    }
    if (up == "1") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_EQ(up, "1") << "Prometheus never scraped the endpoint successfully:\n"
                     << testing::ReadAll(dir.File("prometheus.log"));
  EXPECT_GT(s.metrics_calls.load(), 0);
  // The scraped values are ours.
  EXPECT_EQ(QueryValue(prom_port, "bnfc_pairs{verdict=\"NOT_ISOLATED\"}"), "1");
  EXPECT_EQ(QueryValue(prom_port, "bnfc_reports_received_total"), "7");
  prom.Stop();
}

}  // namespace
}  // namespace bnfc::report
