// Small builders shared by the pipeline's stage tests.
#pragma once

#include <string>

#include "host_facts.h"
#include "kernel.h"

namespace bnfc::proxyd::testing {

inline net::IpAddress Ip(const std::string& s) {
  return *net::IpAddress::Parse(s);
}

inline pin::LocalAddress Local(const std::string& name, int ifindex, const std::string& prefix,
                               const std::string& mac, bool up = true) {
  pin::LocalAddress a;
  a.interface = name;
  a.ifindex = ifindex;
  a.prefix = *net::Prefix::Parse(prefix);
  a.mac = mac;
  a.mtu = 9000;
  a.up = up;
  return a;
}

// A host as a source other than the agent could state it: no host-side checks.
inline HostFacts Facts(const std::string& id, const std::string& nfc, const std::string& management,
                       int64_t received_ms) {
  HostFacts h;
  h.host_id = id;
  h.source = FactsSource::kVsphere;
  h.received_ms = received_ms;
  h.nfc = AddressFact::Of(nfc);
  h.management = AddressFact::Of(management);
  h.backup = h.nfc;
  h.host.nfc_address = nfc;
  h.host.management_address = management;
  return h;
}

}  // namespace bnfc::proxyd::testing
