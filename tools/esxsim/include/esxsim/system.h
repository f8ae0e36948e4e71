// Side effects of the simulator behind small interfaces: the kernel's interfaces and neighbor
// table (live mode), ICMP echo, and sleeping. LinuxSystem is the real implementation; tests use
// doubles or run the real one inside a private network namespace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "esxsim/state.h"

namespace esxsim {

struct KernelInterface {
  std::string name;
  std::string mac;
  int64_t mtu = 0;
  bool up = false;
  std::string ipv4;  // first IPv4 address, empty if none
  std::string netmask;
  std::vector<Ipv6Address> ipv6;
};

struct KernelNeighbor {
  std::string ip;
  std::string mac;
  std::string ifname;
  int64_t updated_age_s = 0;
  bool permanent = false;
  bool ipv6 = false;
};

struct PingRequest {
  std::string target;
  std::string ifname;  // -I; empty: routing decides
  int count = 3;
  double interval_s = 1.0;
  double wait_s = 1.0;  // per probe
  int size = 56;
  bool df = false;
  int ttl = 0;  // 0: kernel default
};

struct EchoResult {
  enum class Kind { kReply, kTimeout, kSendError };
  Kind kind = Kind::kTimeout;
  int bytes = 0;
  int ttl = 0;
  int64_t rtt_us = 0;
  std::string from;
  std::string error;  // kSendError: strerror text ("Message too long")
};

// Sends one echo request after another for one ping run.
class Echoer {
 public:
  virtual ~Echoer() = default;
  virtual EchoResult Echo(int seq) = 0;
  // Waits until the next probe is due (real: the rest of the interval; doubles: nothing).
  virtual void Pause() = 0;
};

class System {
 public:
  virtual ~System() = default;
  virtual bnfc::Expected<std::vector<KernelInterface>> Interfaces() = 0;
  virtual bnfc::Expected<std::vector<KernelNeighbor>> Neighbors() = 0;
  virtual bnfc::Expected<std::unique_ptr<Echoer>> OpenEchoer(const PingRequest& req) = 0;
  virtual void SleepMs(int64_t ms) = 0;
};

// getifaddrs/ioctl, rtnetlink neighbor dump (libmnl), raw ICMP sockets bound to the interface.
std::unique_ptr<System> MakeLinuxSystem();

// Static mode: answers from the state file (ping_targets, neighbors, vmknic MTU).
std::unique_ptr<Echoer> MakeStaticEchoer(const State& st, const PingRequest& req);

// The ping engine: prints ESXi's vmkping text for the results `echo` produces. Returns the exit
// status: 0 when at least one reply came back, 2 otherwise.
int RunPing(const PingRequest& req, Echoer& echo, std::string* out);

}  // namespace esxsim
