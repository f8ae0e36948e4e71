// The verdict engine: everything known about one (proxy, host) pair goes in as PairFacts; named
// checks (passed | failed | not_run, each with its evidence and time), a verdict and findings come
// out. ISOLATED is the conjunction of every check passing. Evaluate() is a pure function; it never
// does I/O and never guesses. A check that did not run can never yield ISOLATED (docs/report.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bnfc/findings.h"

namespace bnfc::proto {
class HostReport;
}

namespace bnfc::report {

// Ascending severity: when several findings apply, the pair gets the most severe verdict among
// them (NOT_ISOLATED > UNREACHABLE > UNKNOWN > DEGRADED > ISOLATED).
enum class Verdict {
  kIsolated = 0,
  kDegraded = 1,
  kUnknown = 2,
  kUnreachable = 3,
  kNotIsolated = 4
};
inline constexpr int kVerdictCount = 5;

const char* VerdictName(Verdict v);  // "ISOLATED", "DEGRADED", ...
// All verdicts, most severe first (the order used by summaries and renderers).
const std::vector<Verdict>& VerdictsBySeverity();

// Finding codes: codes::k<Id> (strings) and findings::Code, both from protocol/findings.def, the
// one table of codes with their severity (docs/report.md explains each one and what to do).
namespace codes = ::bnfc::codes;

// The verdict a finding of this severity implies on its own; ADVISORY implies ISOLATED.
constexpr Verdict ImpactOf(findings::Severity s) {
  switch (s) {
    case findings::Severity::kAdvisory:
      return Verdict::kIsolated;
    case findings::Severity::kDegraded:
      return Verdict::kDegraded;
    case findings::Severity::kUnknown:
      return Verdict::kUnknown;
    case findings::Severity::kUnreachable:
      return Verdict::kUnreachable;
    case findings::Severity::kNotIsolated:
      return Verdict::kNotIsolated;
  }
  return Verdict::kUnknown;
}

// Check ids, in report order. ISOLATED requires every one of them to have passed.
namespace checks {
inline constexpr const char* kReportFresh = "report_fresh";
inline constexpr const char* kTag = "tag";
inline constexpr const char* kOwnSubnet = "own_subnet";
inline constexpr const char* kOwnL2 = "own_l2";
inline constexpr const char* kMapping = "mapping";
inline constexpr const char* kDisjointPath = "disjoint_path";
inline constexpr const char* kAdjacency = "adjacency";
inline constexpr const char* kMtu = "mtu";
inline constexpr const char* kPin = "pin";
inline constexpr const char* kFlows = "flows";
}  // namespace checks
const std::vector<std::string>& CheckIds();     // the ids above, in report order
const char* CheckTitle(const std::string& id);  // "Fresh host report", ... ("" if unknown)

enum class CheckStatus { kPassed, kFailed, kNotRun };
const char* CheckStatusName(CheckStatus s);  // "passed" | "failed" | "not_run"

struct Check {
  std::string id;    // one of checks::
  std::string name;  // CheckTitle(id)
  CheckStatus status = CheckStatus::kNotRun;
  std::string evidence;    // what was seen (passed/failed) or why it could not run
  int64_t at_unix_ms = 0;  // when the facts behind it were taken
};

// ---- Facts reported by the host agent (extracted from its HostReport) ----

struct HostL2Check {
  std::string proxy_address;  // the proxy backup address the host checked
  std::string vmknic;         // the vmknic it checked from
  bool ran = false;
  bool in_subnet = false;
  uint32_t ping_sent = 0;
  uint32_t ping_received = 0;
  uint32_t expected_mtu = 0;
  uint32_t largest_df_payload = 0;
  bool df_at_mtu_ok = false;
  std::string neighbor_mac;  // host's neighbor entry for the proxy address, "" if none
  std::string evidence;
};

struct HostProblem {
  std::string code;
  std::string detail;
  std::string evidence;
};

// One vmknic of the host as reported (for the tag, own-subnet and own-layer-2 checks).
struct HostVmknic {
  std::string name;
  std::string portgroup;
  std::string netstack;  // "" when unknown
  std::string ipv4;      // "" when none
  uint32_t ipv4_prefix = 0;
  std::vector<std::string> tags;
  std::string switch_name;  // "" when unknown (an agent older than the field)
  bool on_vds = false;
  bool vlan_known = false;
  uint32_t vlan_id = 0;  // 0 untagged, 4095 all VLANs
};

struct HostSide {
  // Who stated these facts: "agent" (bnfc-hostd) or "vsphere" (the vSphere API, which cannot run
  // the host-side checks: adjacency then rests on the proxy end alone, and mtu on the proxy's
  // DF probe, PairFacts::proxy_df).
  std::string source = "agent";
  std::string hostname;
  std::string esxi_version;   // "8.0.3 (Releasebuild-24677879)"
  std::string agent_version;  // bnfc-hostd version
  std::string tag_policy;     // ensure | observe
  std::string nfc_vmknic;     // vmknic carrying vSphereBackupNFC; "" when none does
  std::string nfc_address;    // the address vCenter hands out for NBD
  std::string nfc_netstack;   // netstack of nfc_vmknic; "" when unknown
  std::string nfc_vmknic_mac;
  uint32_t nfc_vmknic_mtu = 0;  // 0 when unknown
  bool nfc_is_management = false;
  std::string management_vmknic;
  std::string management_address;
  std::vector<HostVmknic> vmknics;  // every vmknic, as reported
  std::vector<HostL2Check> checks;
  std::vector<HostProblem> problems;
  bool failover_active = false;
  bool hostd_available = true;
};

// Pulls the facts the verdict needs out of a HostReport (pure).
HostSide HostSideFromReport(const proto::HostReport& report);

// ---- Facts observed on the proxy ----

// Every proxy-side check records whether it ran; `evidence` says what was seen (or why not).
struct MappingFacts {
  bool ran = false;
  // "" when mapped; else NO_MAPPING, AMBIGUOUS_MAPPING, NOT_L2_ADJACENT or INTERFACE_DOWN.
  std::string finding;
  // NO_MAPPING because the only interface on the NFC address's subnet carries the management
  // path to the host (automatic mapping never picks it).
  bool management_excluded = false;
  std::string detail;
  std::string interface;
  std::string source_address;  // the proxy's backup address on that interface
  std::string interface_mac;   // the proxy interface's MAC (the host's neighbor entry must match)
  uint32_t interface_mtu = 0;  // 0 when unknown
  bool l2_adjacent = false;
  std::string via;  // gateway when the mapping is routed
};

// Paths the proxy itself uses towards the host's management side, read from the kernel (route
// lookup, then the neighbor table for the next hop). The pin must share none of them.
struct PathFacts {
  bool ran = false;                     // the route lookups were made
  std::string evidence;                 // why not, when !ran
  std::string management_address;       // the host's management address looked up
  std::string management_interface;     // "" when the lookup failed
  std::string management_next_hop;      // the gateway, or the address itself when on-link
  std::string management_next_hop_mac;  // "" when the neighbor entry is missing
  std::string control_peer;             // source address of the host's control connection
  std::string control_interface;  // the interface a route lookup back to it takes; "" if unknown
  // An ARP probe for the management next hop sent out of the pin's interface: an answer from the
  // management next hop's own MAC proves the backup segment is the management segment, whatever
  // the host says about its VLANs.
  bool backup_probe_ran = false;
  bool backup_probe_applicable = true;         // false for an IPv6 next hop (only ARP is probed)
  std::vector<std::string> backup_probe_macs;  // MACs that answered on the pin's interface
  std::string backup_probe_evidence;
};

struct PinFacts {
  bool ran = false;  // the kernel's table was read after the last reconcile
  bool installed = false;
  std::string evidence;
};

struct NeighborFacts {
  bool ran = false;
  std::string mac;  // proxy's neighbor entry for the NFC address on the mapped interface
  std::string evidence;
};

struct ConnectFacts {
  bool enabled = false;  // optional check: when disabled it is neither required nor reported
  bool ran = false;
  bool ok = false;
  std::string evidence;
};

// The proxy's own DF probe to the NFC address at the vmknic's MTU, from the mapped interface
// (proxy-agent/dfprobe). It decides the mtu check for pairs the vSphere API states (the API cannot
// send DF packets from the vmknic); for agent pairs it is extra evidence beside the host's result.
struct ProxyDfFacts {
  bool ran = false;     // a probe was made this cycle
  std::string outcome;  // "reply" | "no_reply" | "too_long" | "error" (dfprobe::DfOutcomeName)
  uint32_t mtu = 0;     // the packet size probed
  std::string evidence;
};

struct FlowFacts {
  bool ran = false;
  uint32_t on_backup = 0;
  uint32_t off_backup = 0;
  std::string evidence;  // the off-backup flows: source, destination, interface
};

struct PairFacts {
  std::string proxy_id;
  std::string host_id;
  bool has_report = false;
  int64_t report_age_ms = 0;
  int64_t freshness_limit_ms = 0;
  // When the proxy-side facts were read; the host's facts date from observed - report_age.
  int64_t observed_unix_ms = 0;
  HostSide host;
  MappingFacts mapping;
  PathFacts path;
  PinFacts pin;
  NeighborFacts neighbor;
  ConnectFacts connect;
  ProxyDfFacts proxy_df;
  FlowFacts flows;
  std::vector<std::string> duplicate_hosts;  // other hosts reporting the same NFC address
  bool allow_public_plaintext = false;
  // Non-empty when a second source for the same host (the vSphere API beside the agent) names
  // another NFC address: the evidence of both. Blocks ISOLATED (VSPHERE_DISAGREES).
  std::string source_disagreement;
};

struct Finding {
  std::string code;
  // The verdict this finding alone implies; kIsolated marks an advisory finding (a
  // recommendation that does not change where NBD traffic goes).
  Verdict impact = Verdict::kUnknown;
  std::string detail;  // one plain sentence: what is wrong and what to do
  std::string evidence;
};

struct PairVerdict {
  std::string source = "agent";  // HostSide::source of the facts behind it
  std::string proxy_id;
  std::string host_id;
  std::string nfc_address;
  std::string nfc_vmknic;
  std::string interface;
  std::string source_address;
  Verdict verdict = Verdict::kUnknown;
  std::vector<Check> checks;      // one per CheckIds() entry, in that order
  std::vector<Finding> findings;  // most severe first; see SortFindings
  bool nbdssl_recommended = false;
  bool has_report = false;
  int64_t report_age_ms = 0;
  std::string esxi_version;
  std::string agent_version;
};

// A finding of `code` with the impact its severity in the table implies.
Finding MakeFinding(findings::Code code, std::string detail, std::string evidence = "");

// The verdict for one pair. Pure and deterministic.
PairVerdict Evaluate(const PairFacts& facts);

// An independent statement of the ISOLATED conditions, written without reference to the finding
// rules. Evaluate() never returns ISOLATED unless this holds (it is checked as a last guard).
bool AllConditionsHold(const PairFacts& facts);

// Deterministic order: impact (most severe first), then the code's row in protocol/findings.def
// (codes only the host emits, and unknown ones, after the proxy's own), then code, detail and
// evidence.
void SortFindings(std::vector<Finding>& findings);

// True for addresses that should not carry plaintext NBD: outside RFC 1918 / fc00::/7, and not
// loopback or link-local. Unparseable text counts as false (reported as BAD_ADDRESS elsewhere).
bool NeedsEncryption(std::string_view address);

}  // namespace bnfc::report
