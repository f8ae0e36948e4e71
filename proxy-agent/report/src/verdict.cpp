#include "bnfc/report/verdict.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <tuple>

#include "bnfc.pb.h"
#include "bnfc/net.h"

namespace bnfc::report {

namespace {

constexpr const char* kDefaultNetstack = "defaultTcpipStack";

// Finding codes in their tie-break order (within the same impact).
constexpr std::array<const char*, 23> kCodeOrder = {codes::kNoReport,
                                                    codes::kHostStale,
                                                    codes::kTagMissing,
                                                    codes::kTagOnManagement,
                                                    codes::kWrongNetstack,
                                                    codes::kFlowOffBackup,
                                                    codes::kNoMapping,
                                                    codes::kNotL2Adjacent,
                                                    codes::kMacMismatch,
                                                    codes::kHostdDown,
                                                    codes::kInterfaceDown,
                                                    codes::kPingFailed,
                                                    codes::kTcpConnectFailed,
                                                    codes::kDuplicateNfcAddress,
                                                    codes::kAmbiguousMapping,
                                                    codes::kBadAddress,
                                                    codes::kNeighborMissing,
                                                    codes::kCheckNotRun,
                                                    codes::kMtuMismatch,
                                                    codes::kPacketLoss,
                                                    codes::kFailoverActive,
                                                    codes::kPinMissing,
                                                    codes::kPublicAddressPlaintext};

size_t CodeRank(const std::string& code) {
  for (size_t i = 0; i < kCodeOrder.size(); ++i) {
    if (code == kCodeOrder[i]) {
      return i;
    }
  }
  return kCodeOrder.size();  // codes passed through from the host: after ours, alphabetically
}

// Host problem codes that concern one proxy address (the host checks every proxy): the verdict
// derives them per pair from the L2 check for this proxy's address instead.
bool IsPerProxyHostCode(const std::string& code) {
  static const char* const kCodes[] = {"NOT_L2_ADJACENT", "MTU_MISMATCH", "PROXY_UNREACHABLE",
                                       "NEIGHBOR_MISSING", "NO_PROXY_ADDRESS"};
  return std::any_of(std::begin(kCodes), std::end(kCodes),
                     [&](const char* c) { return code == c; });
}

// The verdict a host-reported problem implies. Unknown codes are never ignored.
Verdict HostProblemImpact(const std::string& code) {
  if (code == "HOSTD_DOWN") {
    return Verdict::kUnreachable;
  }
  if (code == "TAG_MISSING" || code == "TAG_ON_MANAGEMENT" || code == "WRONG_NETSTACK") {
    return Verdict::kNotIsolated;
  }
  static const char* const kDegraded[] = {
      "FAILOVER_ACTIVE",     "TAG_CHANGE_FAILED",        "TAG_VERIFY_FAILED",
      "TAG_ON_OTHER_VMKNIC", "BACKUP_VMK_NOT_FOUND",     "BACKUP_VMK_AMBIGUOUS",
      "BACKUP_VMK_IS_VMK0",  "BACKUP_VMK_IS_MANAGEMENT", "BACKUP_VMK_DISABLED",
      "BACKUP_VMK_NO_IPV4",  "FAILOVER_TARGET_INVALID"};
  if (std::any_of(std::begin(kDegraded), std::end(kDegraded),
                  [&](const char* c) { return code == c; })) {
    return Verdict::kDegraded;
  }
  return Verdict::kUnknown;  // COMMAND_FAILED, PARSE_ERROR, FILE_MISSING, anything new
}

std::optional<net::IpAddress> Ip(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  auto a = net::IpAddress::Parse(text);
  if (!a) {
    return std::nullopt;
  }
  return *a;
}

std::optional<net::MacAddress> Mac(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  auto m = net::MacAddress::Parse(text);
  if (!m || m->IsZero()) {
    return std::nullopt;
  }
  return *m;
}

bool SameIp(const std::string& a, const std::string& b) {
  auto x = Ip(a);
  auto y = Ip(b);
  return x && y && *x == *y;
}

bool IsFresh(const PairFacts& f) {
  return f.has_report && f.report_age_ms >= 0 && f.report_age_ms <= f.freshness_limit_ms;
}

const HostL2Check* FindCheck(const HostSide& h, const std::string& proxy_address) {
  for (const HostL2Check& c : h.checks) {
    if (SameIp(c.proxy_address, proxy_address)) {
      return &c;
    }
  }
  return nullptr;
}

bool MappingOk(const MappingFacts& m) {
  return m.ran && m.finding.empty() && m.l2_adjacent && m.via.empty() && !m.interface.empty() &&
         Ip(m.source_address).has_value();
}

std::string Seconds(int64_t ms) {
  return std::to_string(ms / 1000) + " s";
}

class Builder {
 public:
  void Add(const char* code, Verdict impact, std::string detail, std::string evidence = "") {
    out_.push_back(Finding{code, impact, std::move(detail), std::move(evidence)});
  }
  void AddRaw(Finding f) { out_.push_back(std::move(f)); }
  bool Has(const std::string& code) const {
    return std::any_of(out_.begin(), out_.end(), [&](const Finding& f) { return f.code == code; });
  }
  void NotRun(const std::string& check, std::string why, std::string evidence = "") {
    Add(codes::kCheckNotRun, Verdict::kUnknown,
        "The " + check + " check did not run (" + why +
            "), so isolation cannot be proven; fix the cause so the check can run.",
        std::move(evidence));
  }
  std::vector<Finding>& findings() { return out_; }

 private:
  std::vector<Finding> out_;
};

void HostTagFindings(const PairFacts& f, Builder& b) {
  const HostSide& h = f.host;
  if (!h.hostd_available) {
    b.Add(codes::kHostdDown, Verdict::kUnreachable,
          "hostd is not running on " + f.host_id +
              ", so its NFC service cannot serve NBD; restart the management agents "
              "(/etc/init.d/hostd restart).");
  }
  if (h.nfc_vmknic.empty()) {
    b.Add(codes::kTagMissing, Verdict::kNotIsolated,
          "No vmknic on " + f.host_id +
              " carries vSphereBackupNFC, so vCenter hands out the management address; tag the "
              "backup vmknic (esxcli network ip interface tag add -t vSphereBackupNFC -i vmkN).",
          "handed-out address: " + (h.nfc_address.empty() ? "(none)" : h.nfc_address) +
              "; management vmknic: " + h.management_vmknic);
    return;
  }
  const bool same_as_mgmt_address =
      !h.management_address.empty() && SameIp(h.nfc_address, h.management_address);
  if (h.nfc_is_management || same_as_mgmt_address) {
    b.Add(codes::kTagOnManagement, Verdict::kNotIsolated,
          "vSphereBackupNFC is on the management vmknic " + h.nfc_vmknic + " of " + f.host_id +
              ", so NBD crosses the management network; move the tag to the backup vmknic.",
          "tagged vmknic: " + h.nfc_vmknic + " (" + h.nfc_address +
              "); management: " + h.management_vmknic + " (" + h.management_address + ")");
    if (h.failover_active) {
      b.Add(codes::kFailoverActive, Verdict::kDegraded,
            "The host agent's failover moved the tag to management after the backup path "
            "failed; repair the backup path and the agent moves it back.",
            "tag_policy: " + h.tag_policy);
    }
  } else if (h.failover_active) {
    b.Add(codes::kFailoverActive, Verdict::kDegraded,
          "The host agent reports failover as active; check the host agent's log and the "
          "backup path.",
          "tag_policy: " + h.tag_policy);
  }
  if (h.nfc_netstack.empty()) {
    b.NotRun("netstack", "the host did not report the netstack of " + h.nfc_vmknic);
  } else if (h.nfc_netstack != kDefaultNetstack) {
    b.Add(codes::kWrongNetstack, Verdict::kNotIsolated,
          "The tagged vmknic " + h.nfc_vmknic + " is on netstack " + h.nfc_netstack +
              ", where NFC does not serve; use a vmknic on defaultTcpipStack.",
          "netstack: " + h.nfc_netstack);
  }
}

void HostProblemFindings(const PairFacts& f, Builder& b) {
  for (const HostProblem& p : f.host.problems) {
    if (IsPerProxyHostCode(p.code) || b.Has(p.code)) {
      continue;
    }
    b.AddRaw(Finding{p.code.empty() ? "HOST_PROBLEM" : p.code, HostProblemImpact(p.code),
                     "Host " + f.host_id + " reports: " + p.detail, p.evidence});
  }
}

void MappingFindings(const PairFacts& f, Builder& b) {
  const MappingFacts& m = f.mapping;
  const std::string& nfc = f.host.nfc_address;
  if (!m.ran) {
    b.NotRun("network mapping", "the proxy has not mapped " + nfc + " to an interface yet");
    return;
  }
  const std::string ev = m.detail.empty() ? std::string() : m.detail;
  if (m.finding == codes::kNoMapping) {
    b.Add(codes::kNoMapping, Verdict::kNotIsolated,
          "No proxy interface holds " + nfc +
              ", so traffic to it follows the default route; add an interface on that subnet "
              "or a mapping entry.",
          ev);
  } else if (m.finding == codes::kAmbiguousMapping) {
    b.Add(codes::kAmbiguousMapping, Verdict::kUnknown,
          "More than one proxy interface holds " + nfc +
              "; add a manual mapping entry that names the backup interface.",
          ev);
  } else if (m.finding == codes::kNotL2Adjacent || (m.finding.empty() && !m.via.empty())) {
    b.Add(codes::kNotL2Adjacent, Verdict::kNotIsolated,
          "The proxy reaches " + nfc + " via gateway " + (m.via.empty() ? "?" : m.via) +
              ", not on the backup segment; put a proxy interface on the host's backup subnet.",
          ev);
  } else if (m.finding == codes::kInterfaceDown) {
    b.Add(codes::kInterfaceDown, Verdict::kUnreachable,
          "The proxy interface " + m.interface + " for " + nfc +
              " is down; bring it up (ip link set " + m.interface + " up) and check the cable.",
          ev);
  } else if (!m.finding.empty()) {
    b.AddRaw(Finding{m.finding, Verdict::kUnknown,
                     "The proxy could not map " + nfc + ": " + m.detail, ev});
  } else if (!m.l2_adjacent) {
    b.Add(codes::kNotL2Adjacent, Verdict::kNotIsolated,
          "The proxy's path to " + nfc + " through " + m.interface +
              " is not on one layer-2 segment; put a proxy interface on the host's backup subnet.",
          ev);
  } else if (m.interface.empty() || !Ip(m.source_address)) {
    b.NotRun("network mapping", "the mapping names no interface or source address", ev);
  }
}

void HostL2Findings(const PairFacts& f, Builder& b) {
  const HostSide& h = f.host;
  const MappingFacts& m = f.mapping;
  const HostL2Check* c = FindCheck(h, m.source_address);
  if (c == nullptr) {
    b.NotRun("host-side layer-2",
             "the host has not reported a check of the proxy address " + m.source_address);
    return;
  }
  if (!h.nfc_vmknic.empty() && c->vmknic != h.nfc_vmknic) {
    b.NotRun("host-side layer-2",
             "the host checked from " + c->vmknic + " but the tag is on " + h.nfc_vmknic,
             c->evidence);
    return;
  }
  if (!c->ran) {
    b.NotRun("host-side layer-2", "the host could not run it", c->evidence);
    return;
  }
  if (!c->in_subnet) {
    b.Add(codes::kNotL2Adjacent, Verdict::kNotIsolated,
          "The proxy address " + m.source_address + " is outside the subnet of " + c->vmknic +
              " on " + f.host_id +
              ", so the host's replies leave through its default gateway; use one subnet for "
              "both ends.",
          c->evidence);
  }
  if (c->ping_sent == 0) {
    b.NotRun("host-side ping", "no vmkping was sent", c->evidence);
    return;
  }
  if (c->ping_received == 0) {
    b.Add(codes::kPingFailed, Verdict::kUnreachable,
          "vmkping from " + c->vmknic + " to " + m.source_address +
              " got no reply; check VLAN, cabling and firewall on the backup segment.",
          "sent " + std::to_string(c->ping_sent) + ", received 0\n" + c->evidence);
    return;
  }
  if (c->ping_received < c->ping_sent) {
    b.Add(codes::kPacketLoss, Verdict::kDegraded,
          "vmkping from " + c->vmknic + " to " + m.source_address +
              " lost packets; check the backup segment's links for errors.",
          "sent " + std::to_string(c->ping_sent) + ", received " +
              std::to_string(c->ping_received) + "\n" + c->evidence);
  }
  if (!c->df_at_mtu_ok) {
    b.Add(codes::kMtuMismatch, Verdict::kDegraded,
          "Unfragmented packets at MTU " + std::to_string(c->expected_mtu) + " do not pass from " +
              c->vmknic + " to " + m.source_address +
              "; set the same MTU on the vmknic, the switches and the proxy interface.",
          "largest DF payload that passed: " + std::to_string(c->largest_df_payload) + "\n" +
              c->evidence);
  }
  if (c->neighbor_mac.empty()) {
    b.Add(codes::kNeighborMissing, Verdict::kUnknown,
          "The host has no neighbor entry for " + m.source_address + " on " + c->vmknic +
              " after the ping, so adjacency is unproven; check for proxy ARP or a routed hop.",
          c->evidence);
    return;
  }
  auto theirs = Mac(c->neighbor_mac);
  auto ours = Mac(m.interface_mac);
  if (!ours) {
    b.NotRun("host-side MAC comparison",
             "the proxy interface " + m.interface + " has no known MAC address");
  } else if (!theirs || *theirs != *ours) {
    b.Add(codes::kMacMismatch, Verdict::kNotIsolated,
          "The host sees " + m.source_address + " at " + c->neighbor_mac + ", not at " +
              m.interface + "'s MAC " + ours->ToString() +
              "; another device answers for the proxy address (duplicate address or proxy ARP).",
          c->evidence);
  }
}

void MtuConfigFindings(const PairFacts& f, Builder& b) {
  const uint32_t vmk = f.host.nfc_vmknic_mtu;
  const uint32_t ifc = f.mapping.interface_mtu;
  if (vmk != 0 && ifc != 0 && vmk != ifc) {
    b.Add(codes::kMtuMismatch, Verdict::kDegraded,
          "The tagged vmknic " + f.host.nfc_vmknic + " has MTU " + std::to_string(vmk) +
              " but the proxy interface " + f.mapping.interface + " has MTU " +
              std::to_string(ifc) + "; set the same MTU on both ends and the switches.",
          "vmknic MTU " + std::to_string(vmk) + ", proxy MTU " + std::to_string(ifc));
  }
}

void ProxyNeighborFindings(const PairFacts& f, bool fresh, Builder& b) {
  const NeighborFacts& n = f.neighbor;
  const std::string& nfc = f.host.nfc_address;
  if (!n.ran) {
    b.NotRun("proxy neighbor", "the proxy has not read its neighbor entry for " + nfc, n.evidence);
    return;
  }
  if (!fresh) {
    return;  // comparing with a stale host MAC proves nothing
  }
  if (n.mac.empty()) {
    b.Add(codes::kNeighborMissing, Verdict::kUnknown,
          "The proxy has no neighbor entry for " + nfc + " on " + f.mapping.interface +
              ", so adjacency is unproven; check that the host answers ARP on the backup segment.",
          n.evidence);
    return;
  }
  auto host_mac = Mac(f.host.nfc_vmknic_mac);
  if (!host_mac) {
    b.NotRun("proxy-side MAC comparison", "the host reported no MAC for " + f.host.nfc_vmknic,
             n.evidence);
    return;
  }
  auto seen = Mac(n.mac);
  if (!seen || *seen != *host_mac) {
    b.Add(codes::kMacMismatch, Verdict::kNotIsolated,
          "The proxy sees " + nfc + " at " + n.mac + ", but " + f.host_id + " reports " +
              f.host.nfc_vmknic + " has " + host_mac->ToString() +
              "; another device answers for the NFC address (duplicate address or proxy ARP).",
          n.evidence);
  }
}

void EncryptionFinding(const PairFacts& f, PairVerdict& pv, Builder& b) {
  if (f.allow_public_plaintext) {
    return;
  }
  std::string which;
  if (NeedsEncryption(f.host.nfc_address)) {
    which = f.host.nfc_address;
  }
  if (NeedsEncryption(f.mapping.source_address)) {
    which += (which.empty() ? "" : ", ") + f.mapping.source_address;
  }
  if (which.empty()) {
    return;
  }
  pv.nbdssl_recommended = true;
  b.Add(codes::kPublicAddressPlaintext, Verdict::kIsolated,
        "NBD between " + f.mapping.source_address + " and " + f.host.nfc_address +
            " uses an address outside private space; use NBDSSL transport (or set "
            "allow_public_plaintext if the segment is trusted).",
        "public: " + which);
}

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kIsolated:
      return "ISOLATED";
    case Verdict::kDegraded:
      return "DEGRADED";
    case Verdict::kUnknown:
      return "UNKNOWN";
    case Verdict::kUnreachable:
      return "UNREACHABLE";
    case Verdict::kNotIsolated:
      return "NOT_ISOLATED";
  }
  return "UNKNOWN";
}

const std::vector<Verdict>& VerdictsBySeverity() {
  static const std::vector<Verdict> kAll = {Verdict::kNotIsolated, Verdict::kUnreachable,
                                            Verdict::kUnknown, Verdict::kDegraded,
                                            Verdict::kIsolated};
  return kAll;
}

bool NeedsEncryption(std::string_view address) {
  if (address.empty()) {
    return false;
  }
  auto a = net::IpAddress::Parse(address);
  if (!a) {
    return false;
  }
  return !net::IsPrivate(*a) && !net::IsLoopback(*a) && !net::IsLinkLocal(*a);
}

void SortFindings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    const size_t ra = CodeRank(a.code);
    const size_t rb = CodeRank(b.code);
    return std::make_tuple(-static_cast<int>(a.impact), ra, std::cref(a.code), std::cref(a.detail),
                           std::cref(a.evidence)) <
           std::make_tuple(-static_cast<int>(b.impact), rb, std::cref(b.code), std::cref(b.detail),
                           std::cref(b.evidence));
  });
}

HostSide HostSideFromReport(const proto::HostReport& r) {
  HostSide h;
  h.hostname = r.host().hostname();
  h.esxi_version = r.host().version();
  if (!r.host().build().empty()) {
    h.esxi_version += (h.esxi_version.empty() ? "" : " ") + ("(" + r.host().build() + ")");
  }
  h.agent_version = r.agent_version();
  h.tag_policy = r.tag_policy();
  h.nfc_vmknic = r.nfc_vmknic();
  h.nfc_address = r.nfc_address();
  h.management_vmknic = r.management_vmknic();
  h.management_address = r.management_address();
  h.failover_active = r.failover_active();
  h.hostd_available = r.hostd_available();
  for (const proto::Vmknic& v : r.vmknics()) {
    if (v.name() != h.nfc_vmknic || h.nfc_vmknic.empty()) {
      continue;
    }
    h.nfc_netstack = v.netstack();
    h.nfc_vmknic_mac = v.mac();
    h.nfc_vmknic_mtu = v.mtu();
    const bool tagged_mgmt =
        std::find(v.tags().begin(), v.tags().end(), "Management") != v.tags().end();
    const bool is_mgmt_name =
        !h.management_vmknic.empty() ? v.name() == h.management_vmknic : v.name() == "vmk0";
    h.nfc_is_management = tagged_mgmt || is_mgmt_name;
  }
  for (const proto::L2Check& c : r.checks()) {
    HostL2Check o;
    o.proxy_address = c.proxy_address();
    o.vmknic = c.vmknic();
    o.ran = c.ran();
    o.in_subnet = c.in_subnet();
    o.ping_sent = c.ping_sent();
    o.ping_received = c.ping_received();
    o.expected_mtu = c.expected_mtu();
    o.largest_df_payload = c.largest_df_payload();
    o.df_at_mtu_ok = c.df_at_mtu_ok();
    o.neighbor_mac = c.neighbor_mac();
    o.evidence = c.evidence();
    h.checks.push_back(std::move(o));
  }
  for (const proto::Problem& p : r.problems()) {
    h.problems.push_back(HostProblem{p.code(), p.detail(), p.evidence()});
  }
  return h;
}

PairVerdict Evaluate(const PairFacts& f) {
  PairVerdict pv;
  pv.proxy_id = f.proxy_id;
  pv.host_id = f.host_id;
  pv.has_report = f.has_report;
  pv.report_age_ms = f.report_age_ms;
  if (f.has_report) {
    pv.nfc_address = f.host.nfc_address;
    pv.nfc_vmknic = f.host.nfc_vmknic;
    pv.esxi_version = f.host.esxi_version;
    pv.agent_version = f.host.agent_version;
  }
  pv.interface = f.mapping.interface;
  pv.source_address = f.mapping.source_address;

  Builder b;
  const bool fresh = IsFresh(f);
  if (!f.has_report) {
    b.Add(codes::kNoReport, Verdict::kUnknown,
          "No report has arrived from " + f.host_id +
              " since the proxy started; check that bnfc-hostd runs on the host and its key is "
              "enrolled (bnfc-proxyd keys list).");
    if (f.flows.ran && f.flows.off_backup > 0) {
      b.Add(codes::kFlowOffBackup, Verdict::kNotIsolated,
            std::to_string(f.flows.off_backup) + " TCP/902 flow(s) to " + f.host_id +
                " use a non-backup path; tag the host's backup vmknic and restart the backup job.",
            f.flows.evidence);
    }
  } else {
    if (!fresh) {
      b.Add(codes::kHostStale, Verdict::kUnknown,
            "The last report from " + f.host_id + " is " + Seconds(f.report_age_ms) +
                " old (limit " + Seconds(f.freshness_limit_ms) +
                "); check bnfc-hostd on the host and the management path to the proxy.",
            "age " + std::to_string(f.report_age_ms) + " ms, limit " +
                std::to_string(f.freshness_limit_ms) + " ms");
    } else {
      HostTagFindings(f, b);
      HostProblemFindings(f, b);
    }
    const bool address_ok = Ip(f.host.nfc_address).has_value();
    if (!address_ok) {
      b.Add(codes::kBadAddress, Verdict::kUnknown,
            "The host reported no usable NFC address ('" + f.host.nfc_address +
                "'); check the tagged vmknic's IPv4 configuration.");
    } else {
      MappingFindings(f, b);
      if (MappingOk(f.mapping)) {
        if (fresh) {
          HostL2Findings(f, b);
          MtuConfigFindings(f, b);
        }
        ProxyNeighborFindings(f, fresh, b);
        if (!f.pin.ran) {
          b.NotRun("pin", "the proxy has not read its routing table yet", f.pin.evidence);
        } else if (!f.pin.installed) {
          b.Add(codes::kPinMissing, Verdict::kDegraded,
                "No pinned route for " + f.host.nfc_address + " via " + f.mapping.interface +
                    " is installed, so a route change could move NBD; check the proxy log "
                    "(bnfc-proxyd pins).",
                f.pin.evidence);
        }
      }
      if (f.connect.enabled) {
        if (!f.connect.ran) {
          b.NotRun("TCP 902 connect", "it is enabled but has not run", f.connect.evidence);
        } else if (!f.connect.ok) {
          b.Add(codes::kTcpConnectFailed, Verdict::kUnreachable,
                "TCP connect from " + f.mapping.source_address + " to " + f.host.nfc_address +
                    ":902 failed; check the ESXi firewall and that hostd serves NFC.",
                f.connect.evidence);
        }
      }
      EncryptionFinding(f, pv, b);
    }
    if (!f.flows.ran) {
      b.NotRun("flow audit", "the proxy has not read its TCP socket table yet", f.flows.evidence);
    } else if (f.flows.off_backup > 0) {
      b.Add(codes::kFlowOffBackup, Verdict::kNotIsolated,
            std::to_string(f.flows.off_backup) + " TCP/902 flow(s) to " + f.host_id +
                " left the proxy on a non-backup path (" + std::to_string(f.flows.on_backup) +
                " on backup); find why vCenter handed out that address and fix the path.",
            f.flows.evidence);
    }
    if (!f.duplicate_hosts.empty()) {
      std::string others;
      for (const std::string& o : f.duplicate_hosts) {
        others += (others.empty() ? "" : ", ") + o;
      }
      b.Add(codes::kDuplicateNfcAddress, Verdict::kUnreachable,
            "Hosts " + others + " report the same NFC address " + f.host.nfc_address + " as " +
                f.host_id + "; give every host its own backup address.",
            "also reported by: " + others);
    }
  }

  Verdict v = Verdict::kIsolated;
  for (const Finding& fd : b.findings()) {
    v = std::max(v, fd.impact);
  }
  // Last guard: ISOLATED needs every condition, stated independently of the rules above.
  if (v == Verdict::kIsolated && !AllConditionsHold(f)) {
    b.NotRun("consistency", "the verdict rules and the isolation conditions disagree");
    v = Verdict::kUnknown;
  }
  pv.verdict = v;
  pv.findings = std::move(b.findings());
  SortFindings(pv.findings);
  return pv;
}

bool AllConditionsHold(const PairFacts& f) {
  if (!IsFresh(f)) {
    return false;
  }
  const HostSide& h = f.host;
  const MappingFacts& m = f.mapping;
  // Tag on a non-management vmknic on the default stack, hostd serving, no failover.
  if (h.nfc_vmknic.empty() || h.nfc_is_management || h.nfc_netstack != kDefaultNetstack ||
      !h.hostd_available || h.failover_active) {
    return false;
  }
  auto nfc = Ip(h.nfc_address);
  if (!nfc) {
    return false;
  }
  if (auto mgmt = Ip(h.management_address); mgmt && *mgmt == *nfc) {
    return false;
  }
  for (const HostProblem& p : h.problems) {
    if (!IsPerProxyHostCode(p.code)) {
      return false;
    }
  }
  // Proxy on the same segment through a mapped, up interface.
  if (!m.ran || !m.finding.empty() || !m.l2_adjacent || !m.via.empty() || m.interface.empty()) {
    return false;
  }
  auto src = Ip(m.source_address);
  auto proxy_mac = Mac(m.interface_mac);
  auto host_mac = Mac(h.nfc_vmknic_mac);
  if (!src || !proxy_mac || !host_mac) {
    return false;
  }
  // Host side: this proxy's address checked from the tagged vmknic, all replies, DF at MTU,
  // neighbor entry equal to the proxy interface's MAC.
  bool host_side = false;
  for (const HostL2Check& c : h.checks) {
    auto a = Ip(c.proxy_address);
    auto seen = Mac(c.neighbor_mac);
    if (a && *a == *src && c.vmknic == h.nfc_vmknic && c.ran && c.in_subnet && c.ping_sent > 0 &&
        c.ping_received == c.ping_sent && c.df_at_mtu_ok && seen && *seen == *proxy_mac) {
      host_side = true;
    }
  }
  if (!host_side) {
    return false;
  }
  if (h.nfc_vmknic_mtu != 0 && m.interface_mtu != 0 && h.nfc_vmknic_mtu != m.interface_mtu) {
    return false;
  }
  // Proxy side: neighbor entry equal to the vmknic's MAC, pin, optional connect, flows.
  auto seen = Mac(f.neighbor.mac);
  if (!f.neighbor.ran || !seen || *seen != *host_mac) {
    return false;
  }
  if (!f.pin.ran || !f.pin.installed) {
    return false;
  }
  if (f.connect.enabled && (!f.connect.ran || !f.connect.ok)) {
    return false;
  }
  if (!f.flows.ran || f.flows.off_backup != 0) {
    return false;
  }
  return f.duplicate_hosts.empty();
}

}  // namespace bnfc::report
