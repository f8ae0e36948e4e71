// What the proxy's pipeline knows about one host, decoded once and typed, whatever told it: the
// host agent's report on the secure channel, or the vSphere API. Every later stage (map, pin,
// observe, facts builder, verdict) reads this struct only, never a HostReport, so a second source
// of host facts feeds the same stages.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bnfc/net.h"
#include "bnfc/report/report.h"
#include "bnfc/report/verdict.h"

namespace bnfc::proxyd {

enum class FactsSource {
  kAgent,    // bnfc-hostd's HostReport
  kVsphere,  // the vSphere API (no host-side checks: nothing runs on the host)
};
const char* FactsSourceName(FactsSource s);  // "agent" | "vsphere"

// An address as the source stated it, and parsed once. `ip` is empty when the text is empty or
// not an address; the text stays for evidence ("the host reported no usable NFC address ('x')").
struct AddressFact {
  std::string text;
  std::optional<net::IpAddress> ip;

  static AddressFact Of(const std::string& text);
  bool usable() const { return ip.has_value(); }
};

struct HostFacts {
  std::string host_id;
  FactsSource source = FactsSource::kAgent;
  int64_t received_ms = 0;  // when these facts arrived (unix ms): freshness and pin TTL

  AddressFact nfc;         // the address vCenter hands out for NBD: what gets pinned
  AddressFact management;  // the host's management address
  // Where the host's layer-2 checks start from: its backup vmknic's address (IPv4, else the first
  // IPv6), else the NFC address (see BackupAddressOf in host_table.h).
  AddressFact backup;
  // The MTU of the backup vmknic the source names (0 when none or unknown): the size of the DF
  // probe that must be answered before the proxy moves the tag there through the API.
  uint32_t backup_mtu = 0;
  // Source address of the connection the facts came over (the agent's control connection); empty
  // for a source that has none.
  AddressFact control_peer;

  // Host identity, vmknics, tag, failover and the host's own problems, as the verdict engine reads
  // them. `host.checks` is always empty here: the host's checks live in `l2_checks`.
  report::HostSide host;
  // The host's own layer-2 checks towards the proxy. nullopt when the source cannot run them (the
  // vSphere API): the verdict then reports those checks as not run, never as passed.
  std::optional<std::vector<report::HostL2Check>> l2_checks;
  // Non-empty when a second source for this host (the vSphere API beside the agent) names another
  // NFC address: the evidence of both (VSPHERE_DISAGREES).
  std::string source_disagreement;
  // The tag changes the agent made, from its last report; nullopt when the source does not say.
  std::optional<std::vector<report::AgentChange>> agent_changes;
};

// Host id -> facts: the input of one pipeline run.
using HostFactsTable = std::map<std::string, HostFacts>;

}  // namespace bnfc::proxyd
