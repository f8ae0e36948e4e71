// Proxy-side "don't fragment" probe: one ICMP/ICMPv6 echo of exactly the MTU the path must carry,
// sent with DF from the backup interface to the host's NFC address. It proves the jumbo path for
// hosts whose own agent cannot vmkping (API-only hosts), and is extra evidence for agent hosts.
#pragma once

#include <memory>
#include <string>

#include "bnfc/expected.h"
#include "bnfc/net.h"

namespace bnfc::dfprobe {

enum class DfOutcome {
  kReply,    // an echo reply of the full size came back: the path carries the MTU
  kNoReply,  // nothing (or an ICMP error) within the timeout: something on the path is smaller
  kTooLong,  // the local route's MTU is smaller than the packet: the kernel refused to send it
  kError,    // the probe could not be made (bad request, socket, bind); proves nothing
};
const char* DfOutcomeName(DfOutcome outcome);  // "reply", "no_reply", "too_long", "error"

struct DfProbeRequest {
  std::string interface;       // backup interface to send through ("" = routing decides)
  net::IpAddress source;       // its address (the probe is bound to it)
  net::IpAddress destination;  // the host's NFC address
  int mtu = 0;                 // the MTU the path must carry (the host vmknic's)
  int timeout_ms = 1000;
};

struct DfProbeResult {
  DfOutcome outcome = DfOutcome::kError;
  std::string evidence;  // one line: what was sent, through what, and what happened
};

// ICMP payload ("vmkping -s") for a packet of exactly `mtu` bytes: mtu - 28 (IPv4 + ICMP headers)
// or mtu - 48 (IPv6 + ICMPv6 headers). Error when the MTU is outside what the family allows.
Expected<int> PayloadSizeForMtu(net::Family family, int mtu);

// Checks a request before any socket is opened: families match, MTU valid, timeout positive.
Status ValidateRequest(const DfProbeRequest& request);

// The seam: the observe stage calls a prober; tests give it a fake.
class DfProber {
 public:
  virtual ~DfProber() = default;
  virtual DfProbeResult Probe(const DfProbeRequest& request) = 0;
};

// The real one: an unprivileged ICMP datagram socket (ping socket; needs the process's group in
// net.ipv4.ping_group_range), falling back to a raw socket (needs CAP_NET_RAW).
DfProbeResult DfProbe(const DfProbeRequest& request);
std::unique_ptr<DfProber> MakeSystemDfProber();

}  // namespace bnfc::dfprobe
