// Observe: what the proxy sees of each mapped pair after pinning: whether the backup segment is
// the management segment (ARP), whether NFC:902 answers from the backup address (TCP connect),
// which neighbor entry the kernel holds for the NFC address, and where TCP/902 flows go. All of it
// through the Observer seam.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bnfc/report/verdict.h"
#include "ensure.h"
#include "host_facts.h"
#include "lifetimes.h"
#include "map_stage.h"
#include "observer.h"

namespace bnfc::proxyd {

struct ObserveOptions {
  int nfc_port = 902;
  bool tcp_check = true;
  int connect_timeout_ms = 1000;
  int arp_timeout_ms = 300;
  int df_timeout_ms = 1000;
};

struct Observations {
  std::map<std::string, report::NeighborFacts> neighbor;  // mapped hosts
  std::map<std::string, report::ConnectFacts> connect;    // fresh, mapped hosts (tcp_check on)
  std::map<std::string, report::FlowFacts> flows;         // every host, when the table was read
  // Proxy-side DF probes at the vmknic's MTU, for mapped hosts whose source cannot probe from the
  // host end (the vSphere API); an agent's own vmkping decides for agent hosts.
  std::map<std::string, report::ProxyDfFacts> df;
};

// ARP probes, one batch per backup interface, for the management next hops of the hosts mapped
// onto it; the answers go into each host's PathFacts.
void ProbeBackupSegments(Observer& observer, const std::vector<pin::LocalAddress>& local,
                         int timeout_ms, HostMappings& maps);

// Connects, neighbor entries and flows for every host (the ARP probes excepted).
Observations Observe(Observer& observer, const ObserveOptions& options, const Lifetimes& lifetimes,
                     const HostFactsTable& hosts, const HostMappings& maps,
                     const std::vector<pin::LocalAddress>& local, int64_t now_ms);

// The proofs `tag_policy = ensure` through the API needs (vsphere::PlanApiTagChanges), per host
// read through the API under ensure: this cycle's DF probe of its NFC address (from `seen`) and,
// when the source names a backup vmknic that is not the one handed out, a DF probe of that
// vmknic's address at its MTU, mapped like an NFC address (management interfaces excluded).
// Agent hosts and observe get none: their tag is never changed through the API.
std::map<std::string, std::vector<vsphere::DfProof>> EnsureProofs(
    Observer& observer, const ObserveOptions& options, const MappingRules& rules,
    const HostFactsTable& hosts, const HostMappings& maps,
    const std::vector<pin::LocalAddress>& local, const Observations& seen);

}  // namespace bnfc::proxyd
