// A scripted Observer for the pipeline's stage tests: routes, neighbor entries, ARP answers,
// connect results and flows are set by the test; every call is counted.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "observer.h"

namespace bnfc::proxyd::testing {

class FakeObserver : public Observer {
 public:
  Expected<pin::RouteLookup> RouteTo(const net::IpAddress& destination) override {
    ++route_lookups;
    auto it = routes.find(destination.ToString());
    if (it == routes.end())
      return Unexpected(ErrorCode::kNotFound, "no route to " + destination.ToString());
    return it->second;
  }
  Expected<std::string> NeighborMac(int ifindex, const net::IpAddress& address) override {
    ++neighbor_reads;
    if (fail_neighbors)
      return Unexpected(ErrorCode::kIo, "fake neighbor failure");
    auto it = neighbors.find({ifindex, address.ToString()});
    return it == neighbors.end() ? std::string() : it->second;
  }
  Expected<std::vector<pin::ArpAnswer>> ArpProbe(int ifindex, const std::string&,
                                                 const std::vector<net::IpAddress>& targets,
                                                 int) override {
    ++arp_probes;
    std::vector<pin::ArpAnswer> out;
    for (const auto& [key, mac] : arp) {
      if (key.first != ifindex)
        continue;
      for (const auto& t : targets) {
        if (t.ToString() == key.second)
          out.push_back({t, mac});
      }
    }
    return out;
  }
  std::vector<Status> Connect(const std::vector<pin::ConnectTarget>& targets, int port,
                              int) override {
    std::vector<Status> out;
    for (const auto& t : targets) {
      connects.push_back(t.destination.ToString() + ":" + std::to_string(port));
      if (refuse.count(t.destination.ToString()))
        out.push_back(Unexpected(ErrorCode::kUnavailable, "connection refused"));
      else
        out.push_back(OkStatus());
    }
    return out;
  }
  Expected<std::vector<pin::Flow>> Flows(int) override {
    if (fail_flows)
      return Unexpected(ErrorCode::kIo, "fake sock_diag failure");
    return flows;
  }

  dfprobe::DfProbeResult DfProbe(const dfprobe::DfProbeRequest& request) override {
    df_probes.push_back(request.interface + " " + request.source.ToString() + " -> " +
                        request.destination.ToString() + " mtu " + std::to_string(request.mtu));
    auto it = df.find(request.destination.ToString());
    if (it == df.end())
      return {dfprobe::DfOutcome::kNoReply, "fake: no reply"};
    return it->second;
  }

  std::map<std::string, pin::RouteLookup> routes;                // destination -> lookup
  std::map<std::pair<int, std::string>, std::string> neighbors;  // (ifindex, address) -> MAC
  std::map<std::pair<int, std::string>, std::string> arp;        // (ifindex, target) -> MAC
  std::map<std::string, bool> refuse;                            // destinations that refuse
  std::vector<pin::Flow> flows;
  bool fail_neighbors = false;
  bool fail_flows = false;
  size_t route_lookups = 0, neighbor_reads = 0, arp_probes = 0;
  std::vector<std::string> connects;                 // "destination:port", in order
  std::map<std::string, dfprobe::DfProbeResult> df;  // destination -> result (default no reply)
  std::vector<std::string> df_probes;                // "iface source -> destination mtu N"
};

}  // namespace bnfc::proxyd::testing
