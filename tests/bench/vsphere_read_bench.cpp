// Reads every host of a vSphere server (bnfc-vcsim --generate-hosts N) the way bnfc-proxyd does
// each interval, turns each into facts and evaluates a verdict per host; prints the time of one
// steady read (median of 5, session and view reused) and the process's peak RSS.
// Usage: vsphere_read_bench INFO_JSON  (the server's --info-file)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "bnfc/report/verdict.h"
#include "client.h"
#include "facts.h"
#include "https_transport.h"

int main(int argc, char** argv) {
  using namespace bnfc;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s INFO_JSON\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1]);
  auto info = nlohmann::json::parse(in, nullptr, false);
  if (info.is_discarded()) {
    std::fprintf(stderr, "cannot parse %s\n", argv[1]);
    return 2;
  }
  auto url = vsphere::ParseHttpsUrl(info["url"].get<std::string>());
  auto tp = vsphere::NormalizeThumbprint(info["thumbprint"].get<std::string>());
  if (!url || !tp) {
    std::fprintf(stderr, "bad url or thumbprint in %s\n", argv[1]);
    return 2;
  }
  vsphere::HttpsTransport transport(*url, vsphere::TlsPolicy{*tp, "", false},
                                    std::chrono::seconds(120));
  vsphere::Client client(transport,
                         {info["username"].get<std::string>(), info["password"].get<std::string>()},
                         vsphere::Scope{});
  auto clock = [] { return std::chrono::steady_clock::now(); };
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  size_t hosts = 0, verdicts = 0, pages = 0;
  auto cycle = [&]() -> bool {
    auto r = client.ReadHosts();
    if (!r) {
      std::fprintf(stderr, "read failed: %s\n", r.error().ToString().c_str());
      return false;
    }
    hosts = r->hosts.size();
    pages = r->pages;
    verdicts = 0;
    for (const auto& o : r->hosts) {
      auto h = vsphere::HostFromObject(o, "observe");
      if (!h) {
        std::fprintf(stderr, "facts: %s\n", h.error().ToString().c_str());
        return false;
      }
      report::PairFacts f;
      f.proxy_id = "bench";
      f.host_id = h->host_id;
      f.has_report = true;
      f.freshness_limit_ms = 90000;
      f.host = report::HostSideFromReport(h->report);
      f.host.source = "vsphere";
      verdicts += report::Evaluate(f).checks.size() == report::CheckIds().size();
    }
    return true;
  };
  auto t0 = clock();
  if (!cycle()) {
    return 1;
  }
  const double first = ms(clock() - t0);
  std::vector<double> steady;
  for (int i = 0; i < 5; ++i) {
    auto t = clock();
    if (!cycle()) {
      return 1;
    }
    steady.push_back(ms(clock() - t));
  }
  std::sort(steady.begin(), steady.end());
  client.Logout();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "bnfc vSphere source: %zu hosts in %zu page(s), %zu verdicts; first read (login, view) "
      "%.0f ms; steady read+facts+verdicts %.0f ms (median of 5); peak RSS %.1f MiB\n",
      hosts, pages, verdicts, first, steady[2], ru.ru_maxrss / 1024.0);
  std::printf("RESULT steady_ms=%.1f rss_mib=%.1f hosts=%zu\n", steady[2], ru.ru_maxrss / 1024.0,
              hosts);
  return verdicts == hosts ? 0 : 1;
}
