#include "bnfc/report/verdict.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <tuple>

#include "bnfc.pb.h"
#include "bnfc/net.h"

namespace bnfc::report {

namespace {

constexpr const char* kDefaultNetstack = "defaultTcpipStack";
constexpr const char* kNfcTag = "vSphereBackupNFC";

using findings::Code;

// Tie-break order within one impact: the table's order; codes only the host emits, and codes this
// proxy does not know, come after the proxy's own (then alphabetically, see SortFindings).
size_t CodeRank(const std::string& code) {
  const std::optional<Code> c = findings::Find(code);
  if (!c || findings::Get(*c).side == findings::Side::kHost) {
    return findings::kCount;
  }
  return static_cast<size_t>(*c);
}

// How the table says a problem the host reports is used; nullopt for a code the host never sends
// (or this proxy does not know).
std::optional<findings::HostUse> HostUseOf(const std::string& code) {
  const std::optional<Code> c = findings::Find(code);
  if (!c || !findings::EmittedByHost(*c)) {
    return std::nullopt;
  }
  return findings::Get(*c).host_use;
}

// Host problem codes that concern one proxy address (the host checks every proxy): the verdict
// derives them per pair from the L2 check for this proxy's address instead.
bool IsPerProxyHostCode(const std::string& code) {
  return HostUseOf(code) == findings::HostUse::kPerProxy;
}

// Host problem codes about the tag's placement (the tag check owns that fact).
bool IsTagHostCode(const std::string& code) {
  return HostUseOf(code) == findings::HostUse::kTagCheck;
}

// Host notes that change nothing where NBD goes: what `observe` (or `ensure` without consent and
// proof) would have done to the tag.
bool IsAdvisoryHostCode(const std::string& code) {
  const std::optional<Code> c = findings::Find(code);
  return c && findings::EmittedByHost(*c) &&
         findings::SeverityOf(*c) == findings::Severity::kAdvisory;
}

// The verdict a host-reported problem implies: its severity in the table. A code the host does
// not send by the table (a newer or older agent, a typo) is never ignored: UNKNOWN.
Verdict HostProblemImpact(const std::string& code) {
  const std::optional<Code> c = findings::Find(code);
  if (!c || !findings::EmittedByHost(*c)) {
    return Verdict::kUnknown;
  }
  return ImpactOf(findings::SeverityOf(*c));
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

std::string Seconds(int64_t ms) {
  return std::to_string(ms / 1000) + " s";
}

std::string Upper(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out += c;
    } else {
      out += '_';
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const std::string& s : v) {
    out += (out.empty() ? "" : sep) + s;
  }
  return out;
}

bool HasTag(const HostVmknic& v, const char* tag) {
  return std::find(v.tags.begin(), v.tags.end(), tag) != v.tags.end();
}

// The management vmknic: tagged Management, or named as the host's management vmknic (vmk0 when
// the host names none).
bool IsManagementVmknic(const HostSide& h, const HostVmknic& v) {
  return HasTag(v, "Management") ||
         (!h.management_vmknic.empty() ? v.name == h.management_vmknic : v.name == "vmk0");
}

const HostVmknic* FindVmknic(const HostSide& h, const std::string& name) {
  for (const HostVmknic& v : h.vmknics) {
    if (v.name == name) {
      return &v;
    }
  }
  return nullptr;
}

const HostVmknic* ManagementVmknic(const HostSide& h) {
  if (!h.management_vmknic.empty()) {
    return FindVmknic(h, h.management_vmknic);
  }
  for (const HostVmknic& v : h.vmknics) {
    if (HasTag(v, "Management")) {
      return &v;
    }
  }
  return FindVmknic(h, "vmk0");
}

// Names of the vmknics carrying vSphereBackupNFC, the host's own nfc_vmknic included.
std::vector<std::string> TaggedVmknics(const HostSide& h) {
  std::vector<std::string> out;
  for (const HostVmknic& v : h.vmknics) {
    if (HasTag(v, kNfcTag)) {
      out.push_back(v.name);
    }
  }
  if (!h.nfc_vmknic.empty() && std::find(out.begin(), out.end(), h.nfc_vmknic) == out.end()) {
    out.push_back(h.nfc_vmknic);
  }
  return out;
}

std::optional<net::Prefix> Ipv4Prefix(const HostVmknic& v) {
  if (v.ipv4.empty() || v.ipv4_prefix == 0 || v.ipv4_prefix > 32) {
    return std::nullopt;
  }
  auto a = net::IpAddress::Parse(v.ipv4);
  if (!a || a->family != net::Family::kIPv4) {
    return std::nullopt;
  }
  return net::Prefix{*a, static_cast<int>(v.ipv4_prefix)};
}

std::string L2Text(const HostVmknic& v) {
  std::string s = v.name + ": portgroup '" + v.portgroup + "', " +
                  (v.switch_name.empty() ? std::string("switch unknown")
                                         : (v.on_vds ? "VDS " : "vSwitch ") + v.switch_name) +
                  ", VLAN ";
  s += v.vlan_known ? std::to_string(v.vlan_id) + (v.vlan_id == 4095 ? " (all VLANs)" : "")
                    : std::string("unknown");
  return s;
}

// Checks and findings of one pair under construction.
class Builder {
 public:
  explicit Builder(const PairFacts& f) : f_(f) {}

  // The impact is the code's severity in the table (protocol/findings.def).
  void Add(Code code, std::string detail, std::string evidence = "") {
    out_.push_back(MakeFinding(code, std::move(detail), std::move(evidence)));
  }
  // A prefix code followed by a name: SUBNET_SHARED_WITH_VMK0.
  void AddNamed(Code prefix, const std::string& name, std::string detail,
                std::string evidence = "") {
    Finding f = MakeFinding(prefix, std::move(detail), std::move(evidence));
    f.code += name;
    out_.push_back(std::move(f));
  }
  void AddRaw(Finding f) { out_.push_back(std::move(f)); }
  bool Has(const std::string& code) const {
    return std::any_of(out_.begin(), out_.end(), [&](const Finding& f) { return f.code == code; });
  }
  void NotRunFinding(const std::string& what, const std::string& why, std::string evidence = "") {
    Add(Code::kCheckNotRun,
        "The " + what + " check did not run (" + why +
            "), so isolation cannot be proven; fix the cause so the check can run.",
        std::move(evidence));
  }

  void Pass(const char* id, std::string evidence, int64_t at) {
    Set(id, CheckStatus::kPassed, std::move(evidence), at);
  }
  void Fail(const char* id, std::string evidence, int64_t at) {
    Set(id, CheckStatus::kFailed, std::move(evidence), at);
  }
  // A check that could not run on its own account: a CHECK_NOT_RUN finding says why.
  void NotRun(const char* id, const std::string& why, std::string evidence, int64_t at) {
    NotRunFinding(std::string(CheckTitle(id)), why, evidence);
    Set(id, CheckStatus::kNotRun, why + (evidence.empty() ? "" : "\n" + evidence), at);
  }
  // A check that could not run because an earlier check failed: that check's finding already
  // names the cause, so no finding of its own (one cause, one finding).
  void Skip(const char* id, const std::string& why, int64_t at) {
    Set(id, CheckStatus::kNotRun, "not run: " + why, at);
  }
  CheckStatus Status(const char* id) const {
    auto it = checks_.find(id);
    return it == checks_.end() ? CheckStatus::kNotRun : it->second.status;
  }
  bool Passed(const char* id) const { return Status(id) == CheckStatus::kPassed; }

  std::vector<Check> TakeChecks() {
    std::vector<Check> out;
    for (const std::string& id : CheckIds()) {
      auto it = checks_.find(id);
      if (it != checks_.end()) {
        out.push_back(it->second);
      } else {
        out.push_back(
            Check{id, CheckTitle(id), CheckStatus::kNotRun, "not evaluated", f_.observed_unix_ms});
      }
    }
    return out;
  }
  std::vector<Finding>& findings() { return out_; }

 private:
  void Set(const char* id, CheckStatus st, std::string evidence, int64_t at) {
    checks_[id] = Check{id, CheckTitle(id), st, std::move(evidence), at};
  }
  const PairFacts& f_;
  std::vector<Finding> out_;
  std::map<std::string, Check> checks_;
};

// Host facts not tied to one check: hostd, failover, problems the host reports itself.
void HostExtraFindings(const PairFacts& f, Builder& b) {
  const HostSide& h = f.host;
  if (!h.hostd_available) {
    b.Add(Code::kHostdDown,
          "hostd is not running on " + f.host_id +
              ", so its NFC service cannot serve NBD; restart the management agents "
              "(/etc/init.d/hostd restart).");
  }
  if (h.failover_active) {
    const bool on_mgmt = b.Has(codes::kTagOnManagement);
    b.Add(Code::kFailoverActive,
          on_mgmt ? "The host agent's failover moved the tag to management after the backup path "
                    "failed; repair the backup path and the agent moves it back."
                  : "The host agent reports failover as active; check the host agent's log and "
                    "the backup path.",
          "tag_policy: " + h.tag_policy);
  }
  // When the tag check failed it has named the tag's state; the host's own words about the tag
  // describe the same cause.
  const bool tag_failed = b.Status(checks::kTag) == CheckStatus::kFailed;
  for (const HostProblem& p : h.problems) {
    if (IsPerProxyHostCode(p.code) || b.Has(p.code) || (tag_failed && IsTagHostCode(p.code))) {
      continue;
    }
    if (p.code.empty()) {
      b.Add(Code::kHostProblem, "Host " + f.host_id + " reports: " + p.detail, p.evidence);
    } else if (!findings::Find(p.code)) {
      // An older or newer agent: the facts may hold what this proxy cannot judge.
      b.AddRaw(Finding{
          p.code, Verdict::kUnknown,
          "Host " + f.host_id + " reports " + p.code +
              ", a code this proxy does not know (another bnfc-hostd version?): " + p.detail,
          p.evidence});
    } else {
      b.AddRaw(Finding{p.code, HostProblemImpact(p.code),
                       "Host " + f.host_id + " reports: " + p.detail, p.evidence});
    }
  }
}

// tag: vSphereBackupNFC on exactly one vmknic, not management, on the default stack.
void TagCheck(const PairFacts& f, Builder& b, int64_t at) {
  const HostSide& h = f.host;
  const char* id = checks::kTag;
  if (h.nfc_vmknic.empty()) {
    std::string ev = "handed-out address: " + (h.nfc_address.empty() ? "(none)" : h.nfc_address) +
                     "; management vmknic: " + h.management_vmknic;
    b.Add(Code::kTagMissing,
          "No vmknic on " + f.host_id +
              " carries vSphereBackupNFC, so vCenter hands out the management address; tag the "
              "backup vmknic (esxcli network ip interface tag add -t vSphereBackupNFC -i vmkN).",
          ev);
    b.Fail(id, "TAG_MISSING: " + ev, at);
    return;
  }
  const std::vector<std::string> tagged = TaggedVmknics(h);
  std::vector<std::string> mgmt_tagged;
  for (const std::string& name : tagged) {
    const HostVmknic* v = FindVmknic(h, name);
    if ((v != nullptr && IsManagementVmknic(h, *v)) ||
        (name == h.nfc_vmknic && h.nfc_is_management)) {
      mgmt_tagged.push_back(name);
    }
  }
  const bool same_as_mgmt_address =
      !h.management_address.empty() && SameIp(h.nfc_address, h.management_address);
  if (!mgmt_tagged.empty() || same_as_mgmt_address) {
    const std::string on = mgmt_tagged.empty() ? h.nfc_vmknic : Join(mgmt_tagged);
    std::string ev = "tagged vmknic(s): " + Join(tagged) + "; NFC address " + h.nfc_address +
                     "; management: " + h.management_vmknic + " (" + h.management_address + ")";
    b.Add(Code::kTagOnManagement,
          "vSphereBackupNFC is on the management vmknic " + on + " of " + f.host_id +
              ", so NBD crosses the management network; move the tag to the backup vmknic.",
          ev);
    b.Fail(id, "TAG_ON_MANAGEMENT: " + ev, at);
    return;
  }
  if (h.nfc_netstack.empty()) {
    b.NotRun(id, "the host did not report the netstack of " + h.nfc_vmknic, "", at);
    return;
  }
  if (h.nfc_netstack != kDefaultNetstack) {
    b.Add(Code::kWrongNetstack,
          "The tagged vmknic " + h.nfc_vmknic + " is on netstack " + h.nfc_netstack +
              ", where NFC does not serve; use a vmknic on defaultTcpipStack.",
          "netstack: " + h.nfc_netstack);
    b.Fail(id, "WRONG_NETSTACK: " + h.nfc_vmknic + " on " + h.nfc_netstack, at);
    return;
  }
  if (tagged.size() > 1) {
    std::string ev = "tagged: " + Join(tagged);
    b.Add(Code::kTagOnSeveralVmknics,
          "vSphereBackupNFC is on " + std::to_string(tagged.size()) + " vmknics of " + f.host_id +
              " (" + Join(tagged) +
              "), so which address vCenter hands out is not defined; keep the tag on the backup "
              "vmknic only (esxcli network ip interface tag remove -t vSphereBackupNFC -i vmkN).",
          ev);
    b.Fail(id, "TAG_ON_SEVERAL_VMKNICS: " + ev, at);
    return;
  }
  if (h.vmknics.empty()) {
    b.NotRun(id, "the host reported no vmknic list, so the tag cannot be counted", "", at);
    return;
  }
  const HostVmknic* nfc = FindVmknic(h, h.nfc_vmknic);
  if (nfc == nullptr || !HasTag(*nfc, kNfcTag)) {
    b.NotRun(id,
             "the host names " + h.nfc_vmknic + " as tagged but its vmknic list " +
                 (nfc == nullptr ? "lacks it" : "shows no vSphereBackupNFC tag on it"),
             "", at);
    return;
  }
  b.Pass(id,
         "vSphereBackupNFC on " + h.nfc_vmknic + " only (" + h.nfc_address + ", " + h.nfc_netstack +
             "); management is " + h.management_vmknic +
             (h.management_address.empty() ? "" : " (" + h.management_address + ")"),
         at);
}

// own_subnet: the tagged vmknic's IPv4 subnet overlaps no other default-stack vmknic's subnet.
void OwnSubnetCheck(const PairFacts& f, Builder& b, int64_t at) {
  const HostSide& h = f.host;
  const char* id = checks::kOwnSubnet;
  const HostVmknic* nfc = FindVmknic(h, h.nfc_vmknic);
  if (nfc == nullptr) {
    b.NotRun(id, "the host reported no details of " + h.nfc_vmknic, "", at);
    return;
  }
  auto mine = Ipv4Prefix(*nfc);
  if (!mine) {
    b.NotRun(id, "the host reported no IPv4 address and prefix for " + nfc->name, "", at);
    return;
  }
  std::vector<std::string> shared;
  std::vector<std::string> unknown_stack;
  std::string others;
  for (const HostVmknic& v : h.vmknics) {
    if (v.name == nfc->name) {
      continue;
    }
    auto theirs = Ipv4Prefix(v);
    if (!theirs) {
      continue;
    }
    others += (others.empty() ? "" : "; ") + v.name + " " + theirs->ToString() + " (" +
              (v.netstack.empty() ? "netstack unknown" : v.netstack) + ")";
    if (!mine->Overlaps(*theirs)) {
      continue;
    }
    if (v.netstack.empty()) {
      unknown_stack.push_back(v.name);
      continue;
    }
    if (v.netstack != kDefaultNetstack) {
      continue;  // another stack has its own routing table
    }
    shared.push_back(v.name);
    b.AddNamed(
        Code::kSubnetSharedWithPrefix, Upper(v.name),
        "The tagged vmknic " + nfc->name + " (" + mine->ToString() + ") shares its subnet with " +
            v.name + " (" + theirs->ToString() + ") on the default stack of " + f.host_id +
            ", so ESXi may send NBD out of " + v.name +
            " (VMware does not support two vmknics in one subnet); give the backup vmknic its "
            "own subnet.",
        nfc->name + " " + mine->ToString() + "; " + v.name + " " + theirs->ToString());
  }
  if (!shared.empty()) {
    b.Fail(id, nfc->name + " " + mine->ToString() + " overlaps " + Join(shared) + "\n" + others,
           at);
    return;
  }
  if (!unknown_stack.empty()) {
    b.NotRun(id,
             "the netstack of " + Join(unknown_stack) + ", in the subnet of " + nfc->name +
                 ", is unknown",
             others, at);
    return;
  }
  b.Pass(id,
         nfc->name + " " + mine->ToString() + " overlaps no other default-stack vmknic" +
             (others.empty() ? "" : "\nothers: " + others),
         at);
}

// own_l2: the tagged vmknic's portgroup differs from management's in VLAN or switch.
void OwnL2Check(const PairFacts& f, Builder& b, int64_t at) {
  const HostSide& h = f.host;
  const char* id = checks::kOwnL2;
  const HostVmknic* nfc = FindVmknic(h, h.nfc_vmknic);
  const HostVmknic* mgmt = ManagementVmknic(h);
  if (nfc == nullptr || mgmt == nullptr) {
    b.NotRun(id,
             "the host reported no details of " +
                 (nfc == nullptr ? h.nfc_vmknic : std::string("its management vmknic")),
             "", at);
    return;
  }
  const std::string ev = L2Text(*nfc) + "\n" + L2Text(*mgmt);
  if (nfc->switch_name.empty() || mgmt->switch_name.empty()) {
    b.NotRun(id,
             "the host did not report the switch of " +
                 (nfc->switch_name.empty() ? nfc->name : mgmt->name) +
                 " (a host agent older than the switch and VLAN fields)",
             ev, at);
    return;
  }
  if (nfc->switch_name != mgmt->switch_name || nfc->on_vds != mgmt->on_vds) {
    b.Pass(id, "different switches\n" + ev, at);
    return;
  }
  if (!nfc->vlan_known || !mgmt->vlan_known) {
    b.NotRun(id,
             "both vmknics are on " + nfc->switch_name + " and the VLAN of " +
                 (!nfc->vlan_known ? nfc->name : mgmt->name) + " is unknown",
             ev, at);
    return;
  }
  const bool trunk = nfc->vlan_id == 4095 || mgmt->vlan_id == 4095;
  if (nfc->vlan_id != mgmt->vlan_id && !trunk) {
    b.Pass(id, "same switch, different VLANs\n" + ev, at);
    return;
  }
  b.Add(
      Code::kSameL2AsManagement,
      "The tagged vmknic " + nfc->name + " and the management vmknic " + mgmt->name + " of " +
          f.host_id + " share one layer-2 segment (" + nfc->switch_name +
          (trunk ? ", a portgroup carrying all VLANs" : ", VLAN " + std::to_string(nfc->vlan_id)) +
          "), so backup traffic is not separated from management; put the backup portgroup on "
          "its own VLAN or switch.",
      ev);
  b.Fail(id,
         std::string(trunk ? "same switch, one side carries all VLANs" : "same switch, same VLAN") +
             "\n" + ev,
         at);
}

// mapping: the proxy maps the NFC address to a backup interface on-link.
void MappingCheck(const PairFacts& f, Builder& b, bool cause_is_tag, int64_t at) {
  const MappingFacts& m = f.mapping;
  const char* id = checks::kMapping;
  const std::string& nfc = f.host.nfc_address;
  if (!m.ran) {
    b.NotRun(id, "the proxy has not mapped " + nfc + " to an interface yet", "", at);
    return;
  }
  const std::string ev = m.detail;
  if (m.finding == codes::kNoMapping && m.management_excluded) {
    // The only interface on that subnet carries management: sharing it is the cause. When the
    // NFC address is the management address the tag check already names the cause.
    if (!cause_is_tag) {
      b.Add(Code::kPathSharedWithManagement,
            "The only proxy interface on the subnet of " + nfc +
                " also carries the proxy's management path to " + f.host_id +
                ", so NBD would share management; add a separate proxy interface on the host's "
                "backup subnet (the management interface is never used as a backup path).",
            ev);
    }
    b.Fail(id, "NO_MAPPING (management interface excluded): " + ev, at);
    return;
  }
  if (m.finding == codes::kNoMapping) {
    if (!cause_is_tag) {
      b.Add(Code::kNoMapping,
            "No backup interface of this proxy is on the subnet of " + nfc +
                ", so traffic to it follows another route; add a proxy interface on the host's "
                "backup subnet (and name it in backup_interface).",
            ev);
    }
    b.Fail(id, "NO_MAPPING: " + ev, at);
  } else if (m.finding == codes::kAmbiguousMapping) {
    b.Add(Code::kAmbiguousMapping,
          "More than one proxy interface holds " + nfc +
              "; add a manual mapping entry that names the backup interface.",
          ev);
    b.Fail(id, "AMBIGUOUS_MAPPING: " + ev, at);
  } else if (m.finding == codes::kNotL2Adjacent || (m.finding.empty() && !m.via.empty())) {
    b.Add(Code::kNotL2Adjacent,
          "The proxy reaches " + nfc + " via gateway " + (m.via.empty() ? "?" : m.via) +
              ", not on the backup segment; put a proxy interface on the host's backup subnet.",
          ev);
    b.Fail(id, "NOT_L2_ADJACENT: routed via " + m.via + (ev.empty() ? "" : "; " + ev), at);
  } else if (m.finding == codes::kInterfaceDown) {
    b.Add(Code::kInterfaceDown,
          "The proxy interface " + m.interface + " for " + nfc +
              " is down; bring it up (ip link set " + m.interface + " up) and check the cable.",
          ev);
    b.Fail(id, "INTERFACE_DOWN: " + ev, at);
  } else if (!m.finding.empty()) {  // a mapping result this engine has no rule for
    b.AddRaw(Finding{m.finding, Verdict::kUnknown,
                     "The proxy could not map " + nfc + ": " + m.detail, ev});
    b.Fail(id, m.finding + ": " + ev, at);
  } else if (!m.l2_adjacent) {
    b.Add(Code::kNotL2Adjacent,
          "The proxy's path to " + nfc + " through " + m.interface +
              " is not on one layer-2 segment; put a proxy interface on the host's backup subnet.",
          ev);
    b.Fail(id, "NOT_L2_ADJACENT: " + ev, at);
  } else if (m.interface.empty() || !Ip(m.source_address)) {
    b.NotRun(id, "the mapping names no interface or source address", ev, at);
  } else {
    b.Pass(id,
           nfc + " on-link via " + m.interface + ", source " + m.source_address +
               (m.interface_mac.empty() ? "" : ", MAC " + m.interface_mac) +
               (ev.empty() ? "" : "\n" + ev),
           at);
  }
}

// disjoint_path: the pin's interface and next-hop MAC differ from the proxy's path to the host's
// management address and from the interface its control connection arrives on.
void DisjointPathCheck(const PairFacts& f, Builder& b, int64_t at) {
  const PathFacts& p = f.path;
  const MappingFacts& m = f.mapping;
  const char* id = checks::kDisjointPath;
  if (!p.ran) {
    b.NotRun(id, "the proxy has not looked up its management path to " + f.host_id, p.evidence, at);
    return;
  }
  const std::string pin_mac = f.neighbor.mac;
  std::string ev =
      "pin: " + f.host.nfc_address + " on " + m.interface + ", next hop MAC " +
      (pin_mac.empty() ? "unknown" : pin_mac) +
      "\nmanagement: " + (p.management_address.empty() ? "(no address)" : p.management_address) +
      " via " + (p.management_interface.empty() ? "?" : p.management_interface) + ", next hop " +
      (p.management_next_hop.empty() ? "?" : p.management_next_hop) + " MAC " +
      (p.management_next_hop_mac.empty() ? "unknown" : p.management_next_hop_mac) +
      "\ncontrol connection: from " + (p.control_peer.empty() ? "?" : p.control_peer) + " on " +
      (p.control_interface.empty() ? "?" : p.control_interface);
  std::vector<std::string> shared;
  if (!p.management_interface.empty() && p.management_interface == m.interface) {
    shared.push_back("the management path's interface " + m.interface);
  }
  if (!p.control_interface.empty() && p.control_interface == m.interface) {
    shared.push_back("the control connection's interface " + m.interface);
  }
  auto a = Mac(pin_mac);
  auto mg = Mac(p.management_next_hop_mac);
  if (a && mg && *a == *mg) {
    shared.push_back("the management path's next hop " + mg->ToString());
  }
  ev += "\nARP probe for the management next hop on " + m.interface + ": " +
        (!p.backup_probe_applicable    ? "not applicable (IPv6 next hop)"
         : !p.backup_probe_ran         ? "not run"
         : p.backup_probe_macs.empty() ? "no answer"
                                       : "answered by " + Join(p.backup_probe_macs)) +
        (p.backup_probe_evidence.empty() ? "" : " (" + p.backup_probe_evidence + ")");
  if (mg && p.backup_probe_ran) {
    for (const std::string& answer : p.backup_probe_macs) {
      auto x = Mac(answer);
      if (x && *x == *mg) {
        shared.push_back("its segment: the management next hop answers ARP on " + m.interface +
                         " from " + mg->ToString());
        break;
      }
    }
  }
  if (!shared.empty()) {
    b.Add(Code::kPathSharedWithManagement,
          "The pinned backup path to " + f.host.nfc_address + " shares " + Join(shared) +
              ", so NBD and management use one path; give the proxy a separate interface on the "
              "host's backup segment.",
          ev);
    b.Fail(id, ev, at);
    return;
  }
  std::vector<std::string> missing;
  if (p.management_interface.empty()) {
    missing.push_back("the management path's interface");
  }
  if (p.control_interface.empty()) {
    missing.push_back("the control connection's interface");
  }
  if (!mg) {
    missing.push_back("the management next hop's MAC");
  }
  if (!a) {
    missing.push_back("the backup next hop's MAC");
  }
  if (p.backup_probe_applicable && !p.backup_probe_ran) {
    missing.push_back("whether the management next hop answers on " + m.interface);
  }
  if (!missing.empty()) {
    b.NotRun(id, Join(missing) + (missing.size() == 1 ? " is" : " are") + " unknown", ev, at);
    return;
  }
  b.Pass(id, ev, at);
}

// adjacency: from both ends. The host pinged this proxy's address from the tagged vmknic and has
// its MAC as neighbor; the proxy has the vmknic's MAC for the NFC address. The two ends are
// judged independently: a failed ping does not hide another device answering for the NFC address.
void AdjacencyCheck(const PairFacts& f, Builder& b, int64_t at) {
  const HostSide& h = f.host;
  const MappingFacts& m = f.mapping;
  const char* id = checks::kAdjacency;
  std::string ev;
  std::string raw;  // the host's own evidence, for a not_run
  bool failed = false;
  std::vector<std::string> not_run;
  // Host end. The vSphere API cannot ping from a vmknic: the proxy end below stands alone, and the
  // evidence says so.
  const HostL2Check* c = FindCheck(h, m.source_address);
  if (h.source == "vsphere") {
    ev = "host end: not available through the vSphere API (no vmkping)";
  } else if (c == nullptr) {
    not_run.push_back("the host has not reported a check of the proxy address " + m.source_address);
  } else if (!h.nfc_vmknic.empty() && c->vmknic != h.nfc_vmknic) {
    not_run.push_back("the host checked from " + c->vmknic + " but the tag is on " + h.nfc_vmknic);
    raw = c->evidence;
  } else if (!c->ran) {
    not_run.push_back("the host could not run its check");
    raw = c->evidence;
  } else {
    const std::string ping = "vmkping from " + c->vmknic + " to " + m.source_address + ": sent " +
                             std::to_string(c->ping_sent) + ", received " +
                             std::to_string(c->ping_received);
    ev = ping;
    if (!c->in_subnet) {
      // Outside the vmknic's subnet: the host routes its replies; that one cause explains a
      // failed ping and a missing neighbor too, which go into the evidence.
      b.Add(Code::kNotL2Adjacent,
            "The proxy address " + m.source_address + " is outside the subnet of " + c->vmknic +
                " on " + f.host_id +
                ", so the host's replies leave through its default gateway; use one subnet for "
                "both ends.",
            ping + "\n" + c->evidence);
      b.Fail(id, "NOT_L2_ADJACENT: " + ping, at);
      return;
    }
    if (c->ping_sent == 0) {
      not_run.push_back("no vmkping was sent");
      raw = c->evidence;
    } else if (c->ping_received == 0) {
      b.Add(Code::kPingFailed,
            "vmkping from " + c->vmknic + " to " + m.source_address +
                " got no reply; check VLAN, cabling and firewall on the backup segment.",
            ping + "\n" + c->evidence);
      failed = true;
    } else {
      if (c->ping_received < c->ping_sent) {
        b.Add(Code::kPacketLoss,
              "vmkping from " + c->vmknic + " to " + m.source_address +
                  " lost packets; check the backup segment's links for errors.",
              ping + "\n" + c->evidence);
        failed = true;
      }
      // Its neighbor entry for the proxy address is the proxy interface's MAC.
      auto ours = Mac(m.interface_mac);
      if (c->neighbor_mac.empty()) {
        b.Add(Code::kNeighborMissing,
              "The host has no neighbor entry for " + m.source_address + " on " + c->vmknic +
                  " after the ping, so adjacency is unproven; check for proxy ARP or a routed hop.",
              c->evidence);
        failed = true;
      } else if (!ours) {
        not_run.push_back("the proxy interface " + m.interface + " has no known MAC address");
      } else {
        auto theirs = Mac(c->neighbor_mac);
        ev += "\nhost neighbor " + m.source_address + " at " + c->neighbor_mac + " (" +
              m.interface + " is " + ours->ToString() + ")";
        if (!theirs || *theirs != *ours) {
          b.Add(Code::kMacMismatch,
                "The host sees " + m.source_address + " at " + c->neighbor_mac + ", not at " +
                    m.interface + "'s MAC " + ours->ToString() +
                    "; another device answers for the proxy address (duplicate address or proxy "
                    "ARP).",
                c->evidence);
          failed = true;
        }
      }
    }
  }
  // Proxy end: its neighbor entry for the NFC address is the vmknic's MAC.
  const NeighborFacts& n = f.neighbor;
  const std::string& nfc = h.nfc_address;
  if (!n.ran) {
    not_run.push_back("the proxy has not read its neighbor entry for " + nfc);
  } else if (n.mac.empty()) {
    b.Add(Code::kNeighborMissing,
          "The proxy has no neighbor entry for " + nfc + " on " + m.interface +
              ", so adjacency is unproven; check that the host answers ARP on the backup segment.",
          n.evidence);
    failed = true;
  } else if (auto host_mac = Mac(h.nfc_vmknic_mac); !host_mac) {
    not_run.push_back("the host reported no MAC for " + h.nfc_vmknic);
  } else {
    auto seen = Mac(n.mac);
    ev += std::string(ev.empty() ? "" : "\n") + "proxy neighbor " + nfc + " at " + n.mac + " (" +
          h.nfc_vmknic + " is " + host_mac->ToString() + ")";
    if (!seen || *seen != *host_mac) {
      b.Add(Code::kMacMismatch,
            "The proxy sees " + nfc + " at " + n.mac + ", but " + f.host_id + " reports " +
                h.nfc_vmknic + " has " + host_mac->ToString() +
                "; another device answers for the NFC address (duplicate address or proxy ARP).",
            n.evidence);
      failed = true;
    }
  }
  if (f.connect.enabled && f.connect.ran && f.connect.ok) {
    ev += "\n" + f.connect.evidence;
  }
  if (failed) {
    b.Fail(id, ev, at);
  } else if (!not_run.empty()) {
    b.NotRun(id, Join(not_run, "; "), ev + (raw.empty() ? "" : "\n" + raw), at);
  } else {
    b.Pass(id, ev, at);
  }
}

// The proxy's probe as one evidence line ("" when none was made).
std::string ProxyDfLine(const ProxyDfFacts& d) {
  if (!d.ran)
    return "";
  return "proxy DF probe at MTU " + std::to_string(d.mtu) + ": " + d.outcome +
         (d.evidence.empty() ? "" : " (" + d.evidence + ")");
}

// mtu for an API-only pair: decided by the proxy's DF probe at the vmknic's MTU (reply passes,
// no reply or "too long" fails); an error or a probe at another size proves nothing.
void ApiMtuCheck(const PairFacts& f, Builder& b, int64_t at) {
  const HostSide& h = f.host;
  const MappingFacts& m = f.mapping;
  const ProxyDfFacts& d = f.proxy_df;
  const char* id = checks::kMtu;
  const uint32_t vmk = h.nfc_vmknic_mtu;
  const uint32_t ifc = m.interface_mtu;
  const std::string sizes = "vmknic MTU " + (vmk ? std::to_string(vmk) : "unknown") + ", proxy " +
                            m.interface + " MTU " + (ifc ? std::to_string(ifc) : "unknown");
  const std::string ev = d.ran ? ProxyDfLine(d) + "\n" + sizes : sizes;
  const bool decided = d.outcome == "reply" || d.outcome == "no_reply" || d.outcome == "too_long";
  if (!d.ran || !decided) {
    b.NotRun(id,
             "the vSphere API cannot send DF packets from " + h.nfc_vmknic +
                 (d.ran ? " and the proxy's DF probe failed to run"
                        : " and the proxy's DF probe "
                          "did not run this cycle"),
             ev, at);
    return;
  }
  if (vmk == 0 || d.mtu != vmk) {
    b.NotRun(id,
             "the proxy's DF probe was not made at " + h.nfc_vmknic + "'s MTU (" +
                 (vmk ? std::to_string(vmk) : "unknown") + ")",
             ev, at);
    return;
  }
  if (d.outcome != "reply") {
    b.Add(Code::kMtuMismatch,
          "Unfragmented packets at MTU " + std::to_string(vmk) + " do not pass from " +
              m.interface + " (" + m.source_address + ") to " + h.nfc_address + " (" +
              h.nfc_vmknic +
              "); set the same MTU on the vmknic, the switches and the proxy "
              "interface.",
          ProxyDfLine(d));
    b.Fail(id, ev, at);
  } else if (ifc == 0) {
    b.NotRun(id, "the MTU of " + m.interface + " is unknown", ev, at);
  } else if (ifc != vmk) {
    b.Add(Code::kMtuMismatch,
          "The tagged vmknic " + h.nfc_vmknic + " has MTU " + std::to_string(vmk) +
              " but the proxy interface " + m.interface + " has MTU " + std::to_string(ifc) +
              "; set the same MTU on both ends and the switches.",
          sizes);
    b.Fail(id, ev, at);
  } else {
    b.Pass(id, ev, at);
  }
}

// mtu: unfragmented packets at the MTU pass from the vmknic, and both ends have the same MTU.
// The host's DF result decides for agent pairs; the proxy's probe is shown beside it.
void MtuCheck(const PairFacts& f, Builder& b, int64_t at) {
  const HostSide& h = f.host;
  const MappingFacts& m = f.mapping;
  const char* id = checks::kMtu;
  const HostL2Check* c = FindCheck(h, m.source_address);
  if (h.source == "vsphere" && c == nullptr) {
    ApiMtuCheck(f, b, at);
    return;
  }
  if (c == nullptr || !c->ran || c->ping_received == 0 ||
      (!h.nfc_vmknic.empty() && c->vmknic != h.nfc_vmknic)) {
    b.Skip(id, "the host's check of " + m.source_address + " has no reply to test MTU with", at);
    return;
  }
  const uint32_t vmk = h.nfc_vmknic_mtu;
  const uint32_t ifc = m.interface_mtu;
  std::string ev = "DF at MTU " + std::to_string(c->expected_mtu) + " from " + c->vmknic + ": " +
                   (c->df_at_mtu_ok ? "passed" : "failed") + " (largest DF payload " +
                   std::to_string(c->largest_df_payload) + ")\nvmknic MTU " +
                   (vmk ? std::to_string(vmk) : "unknown") + ", proxy " + m.interface + " MTU " +
                   (ifc ? std::to_string(ifc) : "unknown");
  if (f.proxy_df.ran) {
    const bool proxy_passed = f.proxy_df.outcome == "reply";
    const bool proxy_failed = f.proxy_df.outcome == "no_reply" || f.proxy_df.outcome == "too_long";
    ev += "\n" + ProxyDfLine(f.proxy_df);
    if ((c->df_at_mtu_ok && proxy_failed) || (!c->df_at_mtu_ok && proxy_passed))
      ev += "\nthe proxy's probe disagrees with the host's DF result (the host's decides)";
  }
  bool failed = false;
  if (!c->df_at_mtu_ok) {
    b.Add(Code::kMtuMismatch,
          "Unfragmented packets at MTU " + std::to_string(c->expected_mtu) + " do not pass from " +
              c->vmknic + " to " + m.source_address +
              "; set the same MTU on the vmknic, the switches and the proxy interface.",
          "largest DF payload that passed: " + std::to_string(c->largest_df_payload) + "\n" +
              c->evidence);
    failed = true;
  } else if (vmk != 0 && ifc != 0 && vmk != ifc) {
    b.Add(Code::kMtuMismatch,
          "The tagged vmknic " + h.nfc_vmknic + " has MTU " + std::to_string(vmk) +
              " but the proxy interface " + m.interface + " has MTU " + std::to_string(ifc) +
              "; set the same MTU on both ends and the switches.",
          "vmknic MTU " + std::to_string(vmk) + ", proxy MTU " + std::to_string(ifc));
    failed = true;
  }
  if (failed) {
    b.Fail(id, ev, at);
  } else if (vmk == 0 || ifc == 0) {
    b.NotRun(id, "the MTU of " + (vmk == 0 ? h.nfc_vmknic : m.interface) + " is unknown", ev, at);
  } else {
    b.Pass(id, ev, at);
  }
}

// pin: the pinned route is in the kernel now (read back after the reconcile).
void PinCheck(const PairFacts& f, Builder& b, int64_t at) {
  const char* id = checks::kPin;
  if (!f.pin.ran) {
    b.NotRun(id, "the proxy has not read its routing table yet", f.pin.evidence, at);
  } else if (!f.pin.installed) {
    b.Add(Code::kPinMissing,
          "No pinned route for " + f.host.nfc_address + " via " + f.mapping.interface +
              " is installed, so a route change could move NBD; check the proxy log "
              "(bnfc-proxyd pins).",
          f.pin.evidence);
    b.Fail(id, "PIN_MISSING: " + f.pin.evidence, at);
  } else {
    b.Pass(id, f.pin.evidence, at);
  }
}

void FlowsCheck(const PairFacts& f, Builder& b, int64_t at) {
  const char* id = checks::kFlows;
  if (!f.flows.ran) {
    if (!f.has_report) {
      b.Skip(id, "no report from " + f.host_id + " and no socket table read yet", at);
    } else {
      b.NotRun(id, "the proxy has not read its TCP socket table yet", f.flows.evidence, at);
    }
    return;
  }
  const std::string counts = std::to_string(f.flows.on_backup) + " TCP/902 flow(s) on the backup " +
                             "path, " + std::to_string(f.flows.off_backup) + " off it";
  if (f.flows.off_backup > 0) {
    b.Add(Code::kFlowOffBackup,
          std::to_string(f.flows.off_backup) + " TCP/902 flow(s) to " + f.host_id +
              (f.has_report
                   ? " left the proxy on a non-backup path (" + std::to_string(f.flows.on_backup) +
                         " on backup); find why vCenter handed out that address and fix "
                         "the path."
                   : " use a non-backup path; tag the host's backup vmknic and restart "
                     "the backup job."),
          f.flows.evidence);
    b.Fail(id, counts + "\n" + f.flows.evidence, at);
    return;
  }
  b.Pass(id, counts, at);
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
  b.Add(Code::kPublicAddressPlaintext,
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

const std::vector<std::string>& CheckIds() {
  static const std::vector<std::string> kIds = {
      checks::kReportFresh, checks::kTag,          checks::kOwnSubnet, checks::kOwnL2,
      checks::kMapping,     checks::kDisjointPath, checks::kAdjacency, checks::kMtu,
      checks::kPin,         checks::kFlows};
  return kIds;
}

const char* CheckTitle(const std::string& id) {
  static const std::map<std::string, const char*> kTitles = {
      {checks::kReportFresh, "Fresh host report"},
      {checks::kTag, "Tag on one backup vmknic"},
      {checks::kOwnSubnet, "Own subnet"},
      {checks::kOwnL2, "Own layer 2"},
      {checks::kMapping, "Backup interface mapping"},
      {checks::kDisjointPath, "Disjoint from management"},
      {checks::kAdjacency, "Layer-2 adjacency"},
      {checks::kMtu, "MTU"},
      {checks::kPin, "Pinned route"},
      {checks::kFlows, "TCP/902 flows"}};
  auto it = kTitles.find(id);
  return it == kTitles.end() ? "" : it->second;
}

const char* CheckStatusName(CheckStatus s) {
  switch (s) {
    case CheckStatus::kPassed:
      return "passed";
    case CheckStatus::kFailed:
      return "failed";
    case CheckStatus::kNotRun:
      return "not_run";
  }
  return "not_run";
}

Finding MakeFinding(findings::Code code, std::string detail, std::string evidence) {
  return Finding{findings::Name(code), ImpactOf(findings::SeverityOf(code)), std::move(detail),
                 std::move(evidence)};
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
    HostVmknic o;
    o.name = v.name();
    o.portgroup = v.portgroup();
    o.netstack = v.netstack();
    o.ipv4 = v.ipv4().address();
    o.ipv4_prefix = v.ipv4().prefix_length();
    o.tags.assign(v.tags().begin(), v.tags().end());
    o.switch_name = v.switch_name();
    o.on_vds = v.on_vds();
    o.vlan_known = v.vlan_known();
    o.vlan_id = v.vlan_id();
    h.vmknics.push_back(std::move(o));
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
  pv.source = f.host.source;
  if (f.has_report) {
    pv.nfc_address = f.host.nfc_address;
    pv.nfc_vmknic = f.host.nfc_vmknic;
    pv.esxi_version = f.host.esxi_version;
    pv.agent_version = f.host.agent_version;
  }
  pv.interface = f.mapping.interface;
  pv.source_address = f.mapping.source_address;

  Builder b(f);
  const int64_t now = f.observed_unix_ms;
  const int64_t host_at = f.has_report ? now - f.report_age_ms : 0;
  const bool fresh = IsFresh(f);

  // report_fresh
  if (!f.has_report) {
    b.Add(Code::kNoReport,
          "No report has arrived from " + f.host_id +
              " since the proxy started; check that bnfc-hostd runs on the host and its key is "
              "enrolled (bnfc-proxyd keys list).");
    b.Fail(checks::kReportFresh, "NO_REPORT: no report since the proxy started", now);
  } else if (!fresh) {
    const std::string ev = "age " + std::to_string(f.report_age_ms) + " ms, limit " +
                           std::to_string(f.freshness_limit_ms) + " ms";
    b.Add(Code::kHostStale,
          "The last report from " + f.host_id + " is " + Seconds(f.report_age_ms) + " old (limit " +
              Seconds(f.freshness_limit_ms) +
              "); check bnfc-hostd on the host and the management path to the proxy.",
          ev);
    b.Fail(checks::kReportFresh, "HOST_STALE: " + ev, now);
  } else {
    b.Pass(checks::kReportFresh,
           "report received " + Seconds(f.report_age_ms) + " ago (limit " +
               Seconds(f.freshness_limit_ms) + ")" +
               (f.host.agent_version.empty() ? "" : ", bnfc-hostd " + f.host.agent_version),
           now);
  }

  // Host side: only from a fresh report.
  if (fresh) {
    TagCheck(f, b, host_at);
    HostExtraFindings(f, b);
    if (b.Passed(checks::kTag)) {
      OwnSubnetCheck(f, b, host_at);
      OwnL2Check(f, b, host_at);
    } else {
      b.Skip(checks::kOwnSubnet, "the tag check did not pass", host_at);
      b.Skip(checks::kOwnL2, "the tag check did not pass", host_at);
    }
  } else {
    for (const char* id : {checks::kTag, checks::kOwnSubnet, checks::kOwnL2}) {
      b.Skip(id, "no fresh report from " + f.host_id, host_at);
    }
  }

  // Proxy side.
  const char* const kAfterMapping[] = {checks::kDisjointPath, checks::kAdjacency, checks::kMtu,
                                       checks::kPin};
  if (!f.has_report) {
    b.Skip(checks::kMapping, "no report, so no NFC address to map", now);
    for (const char* id : kAfterMapping) {
      b.Skip(id, "no report from " + f.host_id, now);
    }
  } else if (!Ip(f.host.nfc_address)) {
    b.Add(Code::kBadAddress, "The host reported no usable NFC address ('" + f.host.nfc_address +
                                 "'); check the tagged vmknic's IPv4 configuration.");
    b.Fail(checks::kMapping, "BAD_ADDRESS: '" + f.host.nfc_address + "'", now);
    for (const char* id : kAfterMapping) {
      b.Skip(id, "no usable NFC address", now);
    }
  } else {
    // When the NFC address is the management one, the tag check has already named the cause.
    const bool cause_is_tag = b.Has(codes::kTagMissing) || b.Has(codes::kTagOnManagement);
    MappingCheck(f, b, cause_is_tag, now);
    if (b.Passed(checks::kMapping)) {
      DisjointPathCheck(f, b, now);
      if (fresh) {
        AdjacencyCheck(f, b, std::min(now, host_at));
        MtuCheck(f, b, host_at);
      } else {
        b.Skip(checks::kAdjacency, "no fresh report to compare with", now);
        b.Skip(checks::kMtu, "no fresh report to compare with", now);
      }
      PinCheck(f, b, now);
    } else {
      if (f.mapping.management_excluded) {
        b.Fail(checks::kDisjointPath,
               "the only proxy interface on the subnet of " + f.host.nfc_address +
                   " carries the management path (see mapping)",
               now);
      } else {
        b.Skip(checks::kDisjointPath, "no backup mapping", now);
      }
      for (const char* id : {checks::kAdjacency, checks::kMtu, checks::kPin}) {
        b.Skip(id, "no backup mapping", now);
      }
    }
    if (f.connect.enabled) {
      if (!f.connect.ran) {
        b.NotRunFinding("TCP 902 connect", "it is enabled but has not run", f.connect.evidence);
      } else if (!f.connect.ok) {
        b.Add(Code::kTcpConnectFailed,
              "TCP connect from " + f.mapping.source_address + " to " + f.host.nfc_address +
                  ":902 failed; check the ESXi firewall and that hostd serves NFC.",
              f.connect.evidence);
      }
    }
    EncryptionFinding(f, pv, b);
  }
  FlowsCheck(f, b, now);
  if (f.has_report && !f.duplicate_hosts.empty()) {
    const std::string others = Join(f.duplicate_hosts);
    b.Add(Code::kDuplicateNfcAddress,
          "Hosts " + others + " report the same NFC address " + f.host.nfc_address + " as " +
              f.host_id + "; give every host its own backup address.",
          "also reported by: " + others);
  }
  if (f.has_report && !f.source_disagreement.empty()) {
    b.Add(Code::kVsphereDisagrees,
          "The host agent and vCenter name different NFC addresses for " + f.host_id +
              "; the address a backup gets is not proven. Check the tag on the host and wait for "
              "vCenter to resynchronize (or reconnect the host).",
          f.source_disagreement);
  }

  pv.checks = b.TakeChecks();
  Verdict v = Verdict::kIsolated;
  for (const Finding& fd : b.findings()) {
    v = std::max(v, fd.impact);
  }
  // ISOLATED is the conjunction of the checks: a check that did not pass can never leave it.
  std::vector<std::string> not_passed;
  for (const Check& c : pv.checks) {
    if (c.status != CheckStatus::kPassed) {
      not_passed.push_back(c.id);
    }
  }
  if (v == Verdict::kIsolated && !not_passed.empty()) {
    b.NotRunFinding("isolation", "checks " + Join(not_passed) + " did not pass");
    v = Verdict::kUnknown;
  }
  // Last guard: ISOLATED needs every condition, stated independently of the rules above.
  if (v == Verdict::kIsolated && !AllConditionsHold(f)) {
    b.NotRunFinding("consistency", "the verdict rules and the isolation conditions disagree");
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
  // Tag on exactly one vmknic, not management, on the default stack; hostd serving, no failover.
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
  const HostVmknic* tagged = nullptr;
  const HostVmknic* mgmt = nullptr;
  int tag_count = 0;
  for (const HostVmknic& v : h.vmknics) {
    const bool is_mgmt =
        std::count(v.tags.begin(), v.tags.end(), "Management") > 0 ||
        v.name == (h.management_vmknic.empty() ? std::string("vmk0") : h.management_vmknic);
    if (std::count(v.tags.begin(), v.tags.end(), kNfcTag) > 0) {
      ++tag_count;
      if (is_mgmt) {
        return false;
      }
    }
    if (v.name == h.nfc_vmknic) {
      tagged = &v;
    }
    if (v.name == h.management_vmknic || (h.management_vmknic.empty() && is_mgmt && !mgmt)) {
      mgmt = &v;
    }
  }
  if (tagged == nullptr || mgmt == nullptr || tag_count != 1 ||
      std::count(tagged->tags.begin(), tagged->tags.end(), kNfcTag) != 1) {
    return false;
  }
  // Own subnet: no other vmknic with an IPv4 prefix on a stack that is not provably another one
  // shares the tagged vmknic's subnet.
  if (tagged->ipv4_prefix == 0 || tagged->ipv4_prefix > 32) {
    return false;
  }
  auto mine = net::Prefix::Parse(tagged->ipv4 + "/" + std::to_string(tagged->ipv4_prefix));
  if (!mine || mine->address.family != net::Family::kIPv4) {
    return false;
  }
  for (const HostVmknic& v : h.vmknics) {
    if (&v == tagged || v.ipv4.empty() || v.ipv4_prefix == 0) {
      continue;
    }
    auto theirs = net::Prefix::Parse(v.ipv4 + "/" + std::to_string(v.ipv4_prefix));
    if (theirs && mine->Overlaps(*theirs) && v.netstack != "" && v.netstack == kDefaultNetstack) {
      return false;
    }
    if (theirs && mine->Overlaps(*theirs) && v.netstack.empty()) {
      return false;
    }
  }
  // Own layer 2: another switch, or the same switch with two known VLANs, neither a trunk.
  if (tagged->switch_name.empty() || mgmt->switch_name.empty()) {
    return false;
  }
  const bool same_switch =
      tagged->switch_name == mgmt->switch_name && tagged->on_vds == mgmt->on_vds;
  if (same_switch &&
      (!tagged->vlan_known || !mgmt->vlan_known || tagged->vlan_id == mgmt->vlan_id ||
       tagged->vlan_id == 4095 || mgmt->vlan_id == 4095)) {
    return false;
  }
  for (const HostProblem& p : h.problems) {
    if (!IsPerProxyHostCode(p.code) && !IsAdvisoryHostCode(p.code)) {
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
  // Disjoint: the pin's interface is neither the management path's nor the control connection's,
  // and the NFC address's MAC is not the management next hop's.
  const PathFacts& p = f.path;
  auto mgmt_mac = Mac(p.management_next_hop_mac);
  if (!p.ran || p.management_interface.empty() || p.control_interface.empty() || !mgmt_mac ||
      p.management_interface == m.interface || p.control_interface == m.interface ||
      *mgmt_mac == *host_mac || (p.backup_probe_applicable && !p.backup_probe_ran)) {
    return false;
  }
  for (const std::string& answer : p.backup_probe_macs) {
    if (auto x = Mac(answer); x && *x == *mgmt_mac) {
      return false;  // the management next hop is on the backup segment
    }
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
  // An API-only pair has no host-side checks: the proxy's DF probe at the vmknic's MTU must have
  // been answered (adjacency then rests on the proxy's neighbor entry, checked below).
  if (h.source == "vsphere" && h.checks.empty()) {
    const ProxyDfFacts& d = f.proxy_df;
    host_side = d.ran && d.outcome == "reply" && d.mtu != 0 && d.mtu == h.nfc_vmknic_mtu;
  }
  if (!host_side) {
    return false;
  }
  if (h.nfc_vmknic_mtu == 0 || m.interface_mtu == 0 || h.nfc_vmknic_mtu != m.interface_mtu) {
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
  return f.duplicate_hosts.empty() && f.source_disagreement.empty();
}

}  // namespace bnfc::report
