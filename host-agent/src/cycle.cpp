// The cycle engine (see cycle.h for the read/launch budget).
#include "hostagent/cycle.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bnfc/net.h"
#include "bnfc/version.h"
#include "hostagent/inventory.h"

namespace bnfc::hostagent {
namespace {

constexpr size_t kMaxEvidence = 4096;

Finding Make(const char* code, std::string detail, bool blocking, std::string evidence = "") {
  Finding f;
  f.code = code;
  f.detail = std::move(detail);
  f.blocking = blocking;
  f.evidence = std::move(evidence);
  if (f.evidence.size() > kMaxEvidence) {
    f.evidence.resize(kMaxEvidence);
    f.evidence += "\n[truncated]";
  }
  return f;
}

std::string Evidence(const std::vector<std::string>& argv, const Expected<CommandResult>& r) {
  std::string e = "$ " + JoinArgv(argv) + "\n";
  if (!r.ok()) {
    return e + r.error().message + "\n";
  }
  e += r->out;
  if (!r->err.empty()) {
    e += "[stderr] " + r->err;
  }
  if (r->timed_out) {
    e += "[timed out]\n";
  } else if (r->exit_code != 0) {
    e += "[exit " + std::to_string(r->exit_code) + "]\n";
  }
  if (e.size() > kMaxEvidence) {
    e.resize(kMaxEvidence);
    e += "\n[truncated]\n";
  }
  return e;
}

std::string Failure(const Expected<CommandResult>& r) {
  if (!r.ok()) {
    return r.error().message;
  }
  if (r->timed_out) {
    return "timed out";
  }
  std::string first = r->err.empty() ? r->out : r->err;
  first = first.substr(0, first.find('\n'));
  return "exit " + std::to_string(r->exit_code) + (first.empty() ? "" : ": " + first);
}

std::vector<std::string> TagGetWords(const std::string& vmk) {
  return {"network", "ip", "interface", "tag", "get", "-i", vmk};
}

}  // namespace

CycleEngine::CycleEngine(CommandRunner& runner, EngineSettings settings)
    : runner_(runner), s_(std::move(settings)) {}

CycleEngine::Read CycleEngine::RunRead(const std::vector<std::string>& words,
                                       std::vector<Finding>* findings, std::string* evidence,
                                       bool through_hostd) {
  std::vector<std::string> clis = {through_hostd ? s_.change_cli : s_.read_cli};
  if (!s_.fallback_cli.empty() && s_.fallback_cli != clis[0]) {
    clis.push_back(s_.fallback_cli);
  }
  std::string failures;
  for (size_t i = 0; i < clis.size(); ++i) {
    std::vector<std::string> argv = {clis[i]};
    if (s_.format == Format::kXml) {
      argv.push_back("--formatter=xml");
    } else if (s_.format == Format::kCsv) {
      argv.push_back("--formatter=csv");
    }
    argv.insert(argv.end(), words.begin(), words.end());
    auto r = runner_.Run(argv, s_.command_timeout);
    *evidence = Evidence(argv, r);
    if (r.ok() && r->ok()) {
      if (i > 0 && hostd_available_) {
        hostd_available_ = false;
        findings->push_back(Make(
            codes::kHostdDown,
            clis[0] + " failed (" + failures + "); reading with " + clis[i] + " instead", false));
      }
      return Read{true, r->out, clis[i]};
    }
    failures += (failures.empty() ? "" : "; ") + JoinArgv(argv) + ": " + Failure(r);
  }
  findings->push_back(
      Make(codes::kCommandFailed, "cannot read the host: " + failures, true, *evidence));
  return Read{};
}

template <typename T, typename Fn>
std::optional<T> CycleEngine::ReadParsed(const std::vector<std::string>& words, Fn parse,
                                         std::vector<Finding>* findings, bool through_hostd) {
  std::string evidence;
  Read r = RunRead(words, findings, &evidence, through_hostd);
  if (!r.ok) {
    return std::nullopt;
  }
  Expected<T> v = parse(r.out, s_.format);
  if (!v.ok()) {
    findings->push_back(Make(codes::kParseError, v.error().message, true, evidence));
    return std::nullopt;
  }
  return std::move(*v);
}

void CycleEngine::ReadPortgroups(HostState* st, std::vector<Finding>* findings) {
  std::string layout;
  bool any_standard = false;
  for (const VmknicInfo& v : st->vmknics) {
    layout += v.name + '\0' + v.portgroup.value_or("") + '\0' + v.portset.value_or("") + '\0' +
              v.vds_name.value_or("-") + '\n';
    any_standard = any_standard || !v.OnVds();
  }
  const bool due = cycles_ == 1 || layout != last_l2_layout_ ||
                   (s_.tag_rescan_cycles > 0 && cycles_ % s_.tag_rescan_cycles == 0);
  last_l2_layout_ = layout;
  if (due && !any_standard) {
    portgroups_.emplace();  // nothing on a standard switch: no launch needed
  } else if (due) {
    const size_t before = findings->size();
    portgroups_ = ReadParsed<std::vector<PortgroupRow>>(
        {"network", "vswitch", "standard", "portgroup", "list"}, ParsePortgroupList, findings);
    // Not blocking: the agent's own work does not need VLANs; they stay unknown in the report and
    // the proxy cannot pass its own-layer-2 check.
    for (size_t i = before; i < findings->size(); ++i) {
      (*findings)[i].blocking = false;
      (*findings)[i].detail += " (the VLAN of every vmknic stays unknown)";
    }
  }
  ApplyPortgroups(portgroups_ ? &*portgroups_ : nullptr, &st->vmknics);
}

bool CycleEngine::ApplyAction(const TagAction& a, std::vector<Finding>* findings,
                              std::string* evidence) {
  std::vector<std::string> clis = {s_.change_cli};
  if (!s_.fallback_cli.empty() && s_.fallback_cli != s_.change_cli) {
    clis.push_back(s_.fallback_cli);
  }
  std::string failures;
  for (size_t i = 0; i < clis.size(); ++i) {
    std::vector<std::string> argv = {
        clis[i], "network", "ip", "interface", "tag", a.add ? "add" : "remove",
        "-i",    a.vmknic,  "-t", kNfcTag};
    auto r = runner_.Run(argv, s_.command_timeout);
    *evidence += Evidence(argv, r);
    if (r.ok() && r->ok() && EsxcliErrorText(r->out).empty()) {
      if (i > 0 && hostd_available_) {
        hostd_available_ = false;
        findings->push_back(Make(codes::kHostdDown,
                                 clis[0] + " failed (" + failures + "); changed the tag with " +
                                     clis[i] + " instead (vCenter learns it at its next sync)",
                                 false));
      }
      return true;
    }
    failures += (failures.empty() ? "" : "; ") + JoinArgv(argv) + ": " + Failure(r);
  }
  findings->push_back(Make(codes::kTagChangeFailed,
                           std::string("cannot ") + (a.add ? "add" : "remove") +
                               " vSphereBackupNFC " + (a.add ? "to " : "from ") + a.vmknic + ": " +
                               failures,
                           true, *evidence));
  return false;
}

std::optional<PingResult> CycleEngine::Ping(const std::string& vmk, const std::string& address,
                                            int payload, bool df, int count, std::string* evidence,
                                            std::vector<Finding>* findings) {
  std::vector<std::string> argv = {
      s_.vmkping, "-I", vmk, "-c", std::to_string(count), "-W", std::to_string(s_.ping_wait_s)};
  if (df) {
    argv.insert(argv.end(), {"-d", "-s", std::to_string(payload)});
  }
  argv.push_back(address);
  auto r = runner_.Run(argv, s_.command_timeout);
  *evidence += Evidence(argv, r);
  if (!r.ok() || r->timed_out) {
    findings->push_back(Make(codes::kCommandFailed,
                             "cannot run " + JoinArgv(argv) + ": " + Failure(r), true,
                             Evidence(argv, r)));
    return std::nullopt;
  }
  auto p = ParseVmkping(r->out);
  if (!p.ok()) {
    findings->push_back(Make(codes::kParseError, p.error().message, true, Evidence(argv, r)));
    return std::nullopt;
  }
  return *p;
}

proto::L2Check CycleEngine::CheckProbe(const VmknicInfo& vmk, const ProbeAddress& probe,
                                       std::vector<Finding>* findings, bool* reachable) {
  proto::L2Check c;
  c.set_proxy_address(probe.address);
  c.set_vmknic(vmk.name);
  *reachable = false;
  auto addr = net::IpAddress::Parse(probe.address);
  if (!addr.ok() || addr->family != net::Family::kIPv4) {
    c.set_evidence("only IPv4 proxy addresses are checked from the vmknic");
    return c;
  }
  std::optional<net::Prefix> subnet;
  if (vmk.ipv4 && vmk.ipv4->prefix) {
    auto p = net::Prefix::Parse(vmk.ipv4->address + "/" + std::to_string(*vmk.ipv4->prefix));
    if (p.ok()) {
      subnet = *p;
    }
  }
  c.set_in_subnet(subnet && subnet->Contains(*addr));
  if (!c.in_subnet()) {
    findings->push_back(Make(codes::kNotL2Adjacent,
                             "proxy address " + probe.address + " is outside " + vmk.name +
                                 "'s subnet " +
                                 (subnet ? subnet->Network().ToString() : std::string("(none)")) +
                                 "; NBD replies would leave through a gateway",
                             true));
    c.set_evidence("not in subnet; no ping sent");
    return c;
  }
  const int vmk_mtu = vmk.mtu.value_or(1500);
  const int mtu = probe.mtu > 0 ? std::min<int>(vmk_mtu, static_cast<int>(probe.mtu)) : vmk_mtu;
  c.set_expected_mtu(static_cast<uint32_t>(mtu));
  const int full = mtu - 28;
  std::string evidence;
  c.set_ran(true);
  auto df = Ping(vmk.name, probe.address, full, true, s_.ping_count, &evidence, findings);
  if (!df) {
    c.set_evidence(evidence);
    return c;
  }
  c.set_ping_sent(static_cast<uint32_t>(df->transmitted));
  c.set_ping_received(static_cast<uint32_t>(df->received));
  if (df->received > 0) {
    *reachable = true;
    c.set_df_at_mtu_ok(true);
    c.set_largest_df_payload(static_cast<uint32_t>(full));
    c.set_evidence(evidence);
    return c;
  }
  // The DF probe failed: is the address reachable at all?
  auto plain = Ping(vmk.name, probe.address, 0, false, s_.ping_count, &evidence, findings);
  if (!plain) {
    c.set_evidence(evidence);
    return c;
  }
  c.set_ping_sent(static_cast<uint32_t>(plain->transmitted));
  c.set_ping_received(static_cast<uint32_t>(plain->received));
  if (plain->received == 0) {
    findings->push_back(
        Make(codes::kProxyUnreachable,
             "proxy address " + probe.address + " does not answer vmkping from " + vmk.name, true));
    c.set_evidence(evidence);
    return c;
  }
  *reachable = true;
  // Largest DF payload that passes: bisect with single probes (at most 6 more launches).
  int lo = 0;  // known good (0 = unknown)
  int hi = full;
  for (int step = 0; step < 6 && hi - lo > 1; ++step) {
    int mid = lo == 0 && hi > 1472 ? 1472 : (lo + hi) / 2;
    auto p = Ping(vmk.name, probe.address, mid, true, 1, &evidence, findings);
    if (p && p->received > 0) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  c.set_largest_df_payload(static_cast<uint32_t>(lo));
  findings->push_back(Make(codes::kMtuMismatch,
                           "DF ping of " + std::to_string(full) + " bytes (MTU " +
                               std::to_string(mtu) + ") to " + probe.address + " from " + vmk.name +
                               " fails; largest passing payload " + std::to_string(lo) + " bytes",
                           false));
  c.set_evidence(evidence);
  return c;
}

CycleResult CycleEngine::RunCycle(const CycleOptions& options) {
  CycleResult res;
  std::vector<Finding>& findings = res.findings;
  const unsigned launches_before = runner_.launches();
  hostd_available_ = true;
  ++cycles_;
  proto::HostReport& rep = res.report;
  rep.set_agent_version(BNFC_VERSION);
  rep.set_tag_policy(TagPolicyName(s_.policy));

  if (!version_) {
    version_ = ReadParsed<VersionInfo>({"system", "version", "get"}, ParseSystemVersion, &findings);
  }
  if (!netstacks_) {
    auto rows = ReadParsed<std::vector<NetstackRow>>({"network", "ip", "netstack", "list"},
                                                     ParseNetstackList, &findings);
    if (rows) {
      netstacks_.emplace();
      for (const NetstackRow& r : *rows) {
        netstacks_->push_back(r.key);
      }
    }
  }
  HostState& st = res.state;
  if (version_) {
    st.version = *version_;
  }
  if (netstacks_) {
    st.netstacks = *netstacks_;
  }
  auto ifaces = ReadParsed<std::vector<InterfaceRow>>({"network", "ip", "interface", "list"},
                                                      ParseInterfaceList, &findings);
  auto ipv4 = ReadParsed<std::vector<Ipv4Row>>({"network", "ip", "interface", "ipv4", "get"},
                                               ParseIpv4Get, &findings);
  bool state_ok = ifaces.has_value() && ipv4.has_value();
  if (ifaces) {
    st.vmknics = MergeVmknics(*ifaces, ipv4 ? *ipv4 : std::vector<Ipv4Row>{}, {});
    ReadPortgroups(&st, &findings);
  }

  // Which vmknics' tags to read.
  std::vector<std::string> names;
  for (const VmknicInfo& v : st.vmknics) {
    names.push_back(v.name);
  }
  const bool rescan = cycles_ == 1 || names != last_vmknic_names_ ||
                      (s_.tag_rescan_cycles > 0 && cycles_ % s_.tag_rescan_cycles == 0);
  last_vmknic_names_ = names;
  for (auto it = tag_cache_.begin(); it != tag_cache_.end();) {
    it = st.Find(it->first) ? std::next(it) : tag_cache_.erase(it);
  }
  Selection sel;
  if (state_ok) {
    sel = SelectBackupVmknic(st, s_.selector);
  }
  std::string mgmt_guess;
  for (const auto& [name, tags] : tag_cache_) {
    if (std::find(tags.begin(), tags.end(), kManagementTag) != tags.end()) {
      mgmt_guess = name;
    }
  }
  if (mgmt_guess.empty() && st.Find("vmk0")) {
    mgmt_guess = "vmk0";
  }
  bool backup_tags_ok = false;
  for (VmknicInfo& v : st.vmknics) {
    const bool candidate = v.name == sel.vmknic || v.name == mgmt_guess;
    const bool on_default = !v.netstack || *v.netstack == kDefaultNetstack;
    if (candidate || (rescan && on_default)) {
      const bool through_hostd = s_.hostd_check && v.name == sel.vmknic;
      auto tags = ReadParsed<std::vector<std::string>>(TagGetWords(v.name), ParseTagGet, &findings,
                                                       through_hostd);
      if (tags) {
        tag_cache_[v.name] = *tags;
        if (v.name == sel.vmknic) {
          backup_tags_ok = true;
        }
      } else {
        tag_cache_.erase(v.name);
      }
    }
    auto c = tag_cache_.find(v.name);
    if (c != tag_cache_.end()) {
      v.tags = c->second;
    }
  }

  const std::string mgmt = ManagementVmknic(st);
  rep.set_management_vmknic(mgmt);
  if (const VmknicInfo* m = st.Find(mgmt); m && m->ipv4) {
    rep.set_management_address(m->ipv4->address);
  }
  bool valid = false;
  if (state_ok) {
    if (sel.finding) {
      findings.push_back(*sel.finding);
    } else {
      rep.set_backup_vmknic(sel.vmknic);
      std::vector<Finding> v = ValidateBackupVmknic(st, sel.vmknic, mgmt);
      valid = v.empty() && backup_tags_ok;
      findings.insert(findings.end(), v.begin(), v.end());
    }
  }

  // L2 reachability of every proxy backup address from the backup vmknic.
  CycleHealth health = CycleHealth::kUnknown;
  std::vector<ProbeAddress> probes = s_.probes;
  for (const ProbeAddress& p : options.extra_probes) {
    bool dup = std::any_of(probes.begin(), probes.end(),
                           [&](const ProbeAddress& q) { return q.address == p.address; });
    if (!dup) {
      probes.push_back(p);
    }
  }
  const VmknicInfo* backup = sel.vmknic.empty() ? nullptr : st.Find(sel.vmknic);
  if (backup != nullptr && backup->ipv4) {
    if (probes.empty()) {
      findings.push_back(Make(codes::kNoProxyAddress,
                              "no proxy backup address is configured or requested; L2 "
                              "adjacency cannot be checked",
                              true));
    }
    bool any_ran = false;
    bool any_reachable = false;
    std::vector<size_t> ran_index;
    for (const ProbeAddress& p : probes) {
      bool reachable = false;
      proto::L2Check c = CheckProbe(*backup, p, &findings, &reachable);
      any_ran = any_ran || c.ran() || !c.in_subnet();
      any_reachable = any_reachable || reachable;
      *rep.add_checks() = c;
    }
    if (any_ran) {
      health = any_reachable ? CycleHealth::kGood : CycleHealth::kBad;
    }
    bool pinged = std::any_of(rep.checks().begin(), rep.checks().end(),
                              [](const proto::L2Check& c) { return c.ran(); });
    if (pinged) {
      auto neighbors = ReadParsed<std::vector<NeighborRow>>({"network", "ip", "neighbor", "list"},
                                                            ParseNeighborList, &findings);
      if (neighbors) {
        st.neighbors = *neighbors;
        for (proto::L2Check& c : *rep.mutable_checks()) {
          if (!c.ran()) {
            continue;
          }
          for (const NeighborRow& n : *neighbors) {
            if (n.ip == c.proxy_address() && n.vmknic == backup->name) {
              c.set_neighbor_mac(n.mac);
            }
          }
          if (c.neighbor_mac().empty() && c.ping_received() > 0) {
            findings.push_back(Make(codes::kNeighborMissing,
                                    "no neighbor entry for " + c.proxy_address() + " on " +
                                        backup->name + " after a successful ping",
                                    false));
          }
        }
      }
    }
  }

  // Failover and the tag plan.
  bool failover_blocked = false;
  const bool failover_on = s_.failover && s_.policy == TagPolicy::kEnsure;
  if (failover_on && valid && !failover_resume_checked_) {
    // A restarted process has lost the failover state; the tag placement on the host is its only
    // record. Resuming from it keeps a restart during failover from moving the tag back at once
    // (and flapping on every restart while the backup path is bad). Only once per process: later,
    // the in-memory state is authoritative and a tag put on management by someone else is removed.
    const VmknicInfo* m = st.Find(mgmt);
    failover_resume_checked_ = m == nullptr || m->tags.has_value();
    if (ResumeFailoverActive(st, sel.vmknic, mgmt, s_.failover, s_.policy)) {
      failover_ = FailoverState{};
      failover_.active = true;
    }
  }
  bool moved_back = false;
  if (failover_on && valid) {
    FailoverStep step = StepFailover(failover_, health, s_.failover_cycles);
    if (step.next.active && !failover_.active) {
      std::vector<Finding> target = ValidateFailoverTarget(st, mgmt);
      if (!target.empty() || mgmt == sel.vmknic) {
        findings.insert(findings.end(), target.begin(), target.end());
        failover_blocked = true;
        step.next.active = false;
      }
    }
    // One-shot read-only cycles (check/status) never advance the state machine.
    if (!failover_blocked && options.allow_changes) {
      failover_ = step.next;
      moved_back = step.moved_back;
    }
  }
  std::string desired = failover_.active ? mgmt : sel.vmknic;
  std::vector<std::string> release;
  if (failover_on && valid) {
    release.push_back(failover_.active ? sel.vmknic : mgmt);
  }
  // The plan is what ensure would do, also under observe, so that every mode shows it.
  if (valid && st.Find(desired) && st.Find(desired)->tags) {
    res.planned = PlanTagActions(st, desired, TagPolicy::kEnsure, s_.exclusive, release);
  }
  // Failover moves keep their own rules (K bad/good cycles); every other change needs consent
  // and this cycle's proof that the backup path works.
  const bool failover_move = failover_on && valid && (failover_.active || moved_back);
  if (s_.policy == TagPolicy::kObserve) {
    res.blockers.push_back("tag_policy = observe");
  } else if (!options.allow_changes) {
    res.blockers.push_back("a read-only cycle changes nothing");
  }
  if (!failover_move && !options.force) {
    int proven = 0;
    for (const proto::L2Check& c : rep.checks()) {
      proven += c.vmknic() == sel.vmknic && c.ran() && c.ping_received() > 0 && c.df_at_mtu_ok();
    }
    // A read-only cycle shows the proof ensure would need, not the daemon's consent.
    std::vector<std::string> b = EnsureBlockers(
        options.allow_changes && s_.policy == TagPolicy::kEnsure ? options.consent_missing : "",
        sel, proven);
    res.blockers.insert(res.blockers.end(), b.begin(), b.end());
  }
  if (!res.blockers.empty()) {
    for (const TagAction& a : res.planned) {
      findings.push_back(PlannedFinding(a, res.blockers));
    }
  }
  if (res.blockers.empty() && !res.planned.empty()) {
    std::vector<std::string> touched;
    for (const TagAction& a : res.planned) {
      std::string evidence;
      proto::TagChange* ch = rep.add_changes();
      ch->set_vmknic(a.vmknic);
      ch->set_action(a.add ? "add" : "remove");
      ch->set_reason(a.reason);
      ch->set_at_unix_ms(options.now_unix_ms);
      bool ok = ApplyAction(a, &findings, &evidence);
      ch->set_ok(ok);
      if (ok) {
        touched.push_back(a.vmknic);
      }
    }
    // Verify by reading back.
    for (const std::string& name : touched) {
      auto tags = ReadParsed<std::vector<std::string>>(TagGetWords(name), ParseTagGet, &findings);
      VmknicInfo* v = st.Find(name);
      if (tags) {
        tag_cache_[name] = *tags;
        v->tags = *tags;
      }
      for (const TagAction& a : res.planned) {
        if (a.vmknic == name && (!tags || v->HasTag(kNfcTag) != a.add)) {
          findings.push_back(Make(codes::kTagVerifyFailed,
                                  std::string("after ") + (a.add ? "adding" : "removing") +
                                      " vSphereBackupNFC on " + name +
                                      " the tag read back does not show the change",
                                  true));
        }
      }
    }
  }
  if (valid) {
    std::vector<Finding> t = TagFindings(st, sel.vmknic, mgmt, failover_.active);
    findings.insert(findings.end(), t.begin(), t.end());
  }

  // The report.
  proto::HostFacts* facts = rep.mutable_host();
  facts->set_product(st.version.product.value_or(""));
  facts->set_version(st.version.version.value_or(""));
  facts->set_build(st.version.build.value_or(""));
  facts->set_hostname(s_.host_id);
  for (const VmknicInfo& v : st.vmknics) {
    proto::Vmknic* pv = rep.add_vmknics();
    pv->set_name(v.name);
    pv->set_portgroup(v.portgroup.value_or(""));
    pv->set_netstack(v.netstack.value_or(""));
    pv->set_mac(v.mac.value_or(""));
    pv->set_mtu(static_cast<uint32_t>(v.mtu.value_or(0)));
    pv->set_enabled(v.enabled.value_or(false));
    pv->set_switch_name(v.SwitchName());
    pv->set_on_vds(v.OnVds());
    pv->set_vlan_known(v.vlan_id.has_value());
    pv->set_vlan_id(static_cast<uint32_t>(v.vlan_id.value_or(0)));
    if (v.ipv4) {
      pv->mutable_ipv4()->set_address(v.ipv4->address);
      pv->mutable_ipv4()->set_prefix_length(static_cast<uint32_t>(v.ipv4->prefix.value_or(0)));
      pv->mutable_ipv4()->set_gateway(v.ipv4->gateway.value_or(""));
      pv->mutable_ipv4()->set_type(v.ipv4->type.value_or(""));
    }
    for (const std::string& a : v.ipv6) {
      pv->add_ipv6_addresses(a);
    }
    if (v.tags) {
      for (const std::string& t : *v.tags) {
        pv->add_tags(t);
      }
    }
  }
  rep.set_nfc_vmknic(NfcVmknic(st));
  rep.set_nfc_address(NfcAddress(st));
  rep.set_failover_active(failover_.active);
  rep.set_hostd_available(hostd_available_);
  for (const Finding& f : findings) {
    proto::Problem* p = rep.add_problems();
    p->set_code(f.code);
    p->set_detail(f.detail);
    p->set_evidence(f.evidence);
  }
  rep.set_command_launches(runner_.launches() - launches_before);
  res.ready = Ready(findings) && state_ok;
  return res;
}

std::string CycleResultJson(const CycleResult& r) {
  using nlohmann::json;
  const proto::HostReport& rep = r.report;
  json j;
  j["host"] = HostJson(r.state.version);
  j["host_id"] = rep.host().hostname();
  j["vmknics"] = json::array();
  for (const VmknicInfo& v : r.state.vmknics) {
    j["vmknics"].push_back(VmknicJson(v));
  }
  auto str_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  j["backup_vmknic"] = str_or_null(rep.backup_vmknic());
  j["nfc_vmknic"] = str_or_null(rep.nfc_vmknic());
  j["nfc_address"] = str_or_null(rep.nfc_address());
  j["management_vmknic"] = str_or_null(rep.management_vmknic());
  j["management_address"] = str_or_null(rep.management_address());
  j["tag_policy"] = rep.tag_policy();
  j["failover_active"] = rep.failover_active();
  j["hostd_available"] = rep.hostd_available();
  j["command_launches"] = rep.command_launches();
  j["ready"] = r.ready;
  j["checks"] = json::array();
  for (const proto::L2Check& c : rep.checks()) {
    j["checks"].push_back(json{{"proxy_address", c.proxy_address()},
                               {"vmknic", c.vmknic()},
                               {"in_subnet", c.in_subnet()},
                               {"ran", c.ran()},
                               {"ping_sent", c.ping_sent()},
                               {"ping_received", c.ping_received()},
                               {"expected_mtu", c.expected_mtu()},
                               {"largest_df_payload", c.largest_df_payload()},
                               {"df_at_mtu_ok", c.df_at_mtu_ok()},
                               {"neighbor_mac", str_or_null(c.neighbor_mac())},
                               {"evidence", c.evidence()}});
  }
  j["planned"] = json::array();
  for (const TagAction& a : r.planned) {
    j["planned"].push_back(
        json{{"vmknic", a.vmknic}, {"action", a.add ? "add" : "remove"}, {"reason", a.reason}});
  }
  // Why `planned` was not applied (empty when it was, or when nothing is planned).
  j["not_applied_because"] = r.planned.empty() ? json::array() : json(r.blockers);
  j["changes"] = json::array();
  for (const proto::TagChange& c : rep.changes()) {
    j["changes"].push_back(json{{"vmknic", c.vmknic()},
                                {"action", c.action()},
                                {"reason", c.reason()},
                                {"ok", c.ok()},
                                {"at_unix_ms", c.at_unix_ms()}});
  }
  j["findings"] = json::array();
  for (const Finding& f : r.findings) {
    j["findings"].push_back(json{{"code", f.code},
                                 {"detail", f.detail},
                                 {"blocking", f.blocking},
                                 {"evidence", f.evidence}});
  }
  return j.dump(2);
}

std::string CycleResultText(const CycleResult& r) {
  const proto::HostReport& rep = r.report;
  std::ostringstream o;
  o << "host:          " << rep.host().product() << " " << rep.host().version() << " "
    << rep.host().build() << "\n";
  o << "backup vmknic: " << (rep.backup_vmknic().empty() ? "(none)" : rep.backup_vmknic()) << "\n";
  o << "NFC address:   " << (rep.nfc_address().empty() ? "(none)" : rep.nfc_address())
    << (rep.nfc_vmknic().empty() ? " (no vmknic carries vSphereBackupNFC)"
                                 : " (" + rep.nfc_vmknic() + ")")
    << "\n";
  o << "tag policy:    " << rep.tag_policy() << (rep.failover_active() ? ", failover active" : "")
    << "\n";
  for (const proto::L2Check& c : rep.checks()) {
    o << "check " << c.proxy_address() << " from " << c.vmknic() << ": "
      << (!c.in_subnet()
              ? "outside the subnet"
              : (c.ran() ? std::to_string(c.ping_received()) + "/" + std::to_string(c.ping_sent()) +
                               " replies, DF at MTU " + std::to_string(c.expected_mtu()) + " " +
                               (c.df_at_mtu_ok() ? "ok" : "failed") + ", neighbor " +
                               (c.neighbor_mac().empty() ? "-" : c.neighbor_mac())
                         : "not run"))
      << "\n";
  }
  for (const proto::TagChange& c : rep.changes()) {
    o << "change: " << c.action() << " vSphereBackupNFC on " << c.vmknic() << " ("
      << (c.ok() ? "done" : "FAILED") << ")\n";
  }
  for (const Finding& f : r.findings) {
    o << (f.blocking ? "FINDING " : "note    ") << f.code << ": " << f.detail << "\n";
  }
  o << "commands run:  " << rep.command_launches() << "\n";
  o << (r.ready ? "READY for isolated NBD\n" : "NOT READY for isolated NBD\n");
  return o.str();
}

}  // namespace bnfc::hostagent
