// The observe seam: everything the proxy reads from the network to check a pair (route lookups,
// neighbor entries, ARP probes, TCP connects, the socket table) goes through one interface, so the
// pipeline's stages are unit-tested with a fake and the lab proves the real one.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/net.h"
#include "df_probe.h"
#include "kernel.h"
#include "probes.h"

namespace bnfc::proxyd {

class Observer {
 public:
  virtual ~Observer() = default;
  // The general path towards `destination` (no port: not the TCP/902 rule carrying the pins).
  virtual Expected<pin::RouteLookup> RouteTo(const net::IpAddress& destination) = 0;
  // MAC of the neighbor entry for `address` on `ifindex`; empty when none or incomplete.
  virtual Expected<std::string> NeighborMac(int ifindex, const net::IpAddress& address) = 0;
  // RFC 5227 ARP probes out of `ifindex` (see pin::Kernel::ArpProbe).
  virtual Expected<std::vector<pin::ArpAnswer>> ArpProbe(int ifindex, const std::string& own_mac,
                                                         const std::vector<net::IpAddress>& targets,
                                                         int timeout_ms) = 0;
  // TCP connects, all at once, sharing one timeout; one result per target, in order.
  virtual std::vector<Status> Connect(const std::vector<pin::ConnectTarget>& targets, int port,
                                      int timeout_ms) = 0;
  // TCP sockets towards `dport` with the interface the kernel's route for each takes now.
  virtual Expected<std::vector<pin::Flow>> Flows(int dport) = 0;
  // One ICMP echo of exactly the MTU with "don't fragment" (see dfprobe::DfProbe).
  virtual dfprobe::DfProbeResult DfProbe(const dfprobe::DfProbeRequest& request) = 0;
};

// The real observer: netlink through pin::Kernel, connects through real sockets.
class KernelObserver final : public Observer {
 public:
  explicit KernelObserver(pin::Kernel& kernel) : kernel_(kernel) {}
  Expected<pin::RouteLookup> RouteTo(const net::IpAddress& destination) override {
    return kernel_.RouteGet(std::nullopt, destination, 0);
  }
  Expected<std::string> NeighborMac(int ifindex, const net::IpAddress& address) override {
    return kernel_.NeighborMac(ifindex, address);
  }
  Expected<std::vector<pin::ArpAnswer>> ArpProbe(int ifindex, const std::string& own_mac,
                                                 const std::vector<net::IpAddress>& targets,
                                                 int timeout_ms) override {
    return kernel_.ArpProbe(ifindex, own_mac, targets, timeout_ms);
  }
  std::vector<Status> Connect(const std::vector<pin::ConnectTarget>& targets, int port,
                              int timeout_ms) override {
    return pin::ConnectProbes(targets, port, timeout_ms);
  }
  Expected<std::vector<pin::Flow>> Flows(int dport) override { return kernel_.Flows(dport); }
  dfprobe::DfProbeResult DfProbe(const dfprobe::DfProbeRequest& request) override {
    return dfprobe::DfProbe(request);
  }

 private:
  pin::Kernel& kernel_;
};

}  // namespace bnfc::proxyd
