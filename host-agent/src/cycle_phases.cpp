// The phases of a host-agent cycle (see cycle_phases.h).
#include "hostagent/cycle_phases.h"

#include <algorithm>

#include "bnfc/net.h"
#include "hostagent/inventory.h"

namespace bnfc::hostagent {
namespace {

constexpr size_t kMaxEvidence = 4096;

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

// Every 1-based cycle `cycle` that is a periodic rescan.
bool RescanDue(const EngineSettings& s, uint64_t cycle) {
  return cycle == 1 || (s.tag_rescan_cycles > 0 && cycle % s.tag_rescan_cycles == 0);
}

}  // namespace

Finding MakeFinding(const char* code, std::string detail, bool blocking, std::string evidence) {
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

// --- HostCli ---

HostCli::HostCli(CommandRunner& runner, const EngineSettings& settings)
    : runner_(runner), s_(settings) {}

HostCli::Read HostCli::RunRead(const std::vector<std::string>& words,
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
        findings->push_back(MakeFinding(
            codes::kHostdDown,
            clis[0] + " failed (" + failures + "); reading with " + clis[i] + " instead", false));
      }
      return Read{true, r->out, clis[i]};
    }
    failures += (failures.empty() ? "" : "; ") + JoinArgv(argv) + ": " + Failure(r);
  }
  findings->push_back(
      MakeFinding(codes::kCommandFailed, "cannot read the host: " + failures, true, *evidence));
  return Read{};
}

bool HostCli::ChangeTag(const TagAction& a, std::vector<Finding>* findings, std::string* evidence) {
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
        findings->push_back(MakeFinding(codes::kHostdDown,
                                        clis[0] + " failed (" + failures +
                                            "); changed the tag with " + clis[i] +
                                            " instead (vCenter learns it at its next sync)",
                                        false));
      }
      return true;
    }
    failures += (failures.empty() ? "" : "; ") + JoinArgv(argv) + ": " + Failure(r);
  }
  findings->push_back(MakeFinding(codes::kTagChangeFailed,
                                  std::string("cannot ") + (a.add ? "add" : "remove") +
                                      " vSphereBackupNFC " + (a.add ? "to " : "from ") + a.vmknic +
                                      ": " + failures,
                                  true, *evidence));
  return false;
}

std::optional<PingResult> HostCli::Ping(const std::string& vmk, const std::string& address,
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
    findings->push_back(MakeFinding(codes::kCommandFailed,
                                    "cannot run " + JoinArgv(argv) + ": " + Failure(r), true,
                                    Evidence(argv, r)));
    return std::nullopt;
  }
  auto p = ParseVmkping(r->out);
  if (!p.ok()) {
    findings->push_back(
        MakeFinding(codes::kParseError, p.error().message, true, Evidence(argv, r)));
    return std::nullopt;
  }
  return *p;
}

// --- HostReader ---

HostReader::Result HostReader::Read(HostCli& cli, const EngineSettings& s, uint64_t cycle,
                                    std::vector<Finding>* findings) {
  if (!version_) {
    version_ =
        cli.ReadParsed<VersionInfo>({"system", "version", "get"}, ParseSystemVersion, findings);
  }
  if (!netstacks_) {
    auto rows = cli.ReadParsed<std::vector<NetstackRow>>({"network", "ip", "netstack", "list"},
                                                         ParseNetstackList, findings);
    if (rows) {
      netstacks_.emplace();
      for (const NetstackRow& r : *rows) {
        netstacks_->push_back(r.key);
      }
    }
  }
  Result res;
  HostState& st = res.state;
  if (version_) {
    st.version = *version_;
  }
  if (netstacks_) {
    st.netstacks = *netstacks_;
  }
  auto ifaces = cli.ReadParsed<std::vector<InterfaceRow>>({"network", "ip", "interface", "list"},
                                                          ParseInterfaceList, findings);
  auto ipv4 = cli.ReadParsed<std::vector<Ipv4Row>>({"network", "ip", "interface", "ipv4", "get"},
                                                   ParseIpv4Get, findings);
  res.ok = ifaces.has_value() && ipv4.has_value();
  if (ifaces) {
    st.vmknics = MergeVmknics(*ifaces, ipv4 ? *ipv4 : std::vector<Ipv4Row>{}, {});
    ReadPortgroups(cli, s, cycle, &st, findings);
  }
  return res;
}

void HostReader::ReadPortgroups(HostCli& cli, const EngineSettings& s, uint64_t cycle,
                                HostState* st, std::vector<Finding>* findings) {
  std::string layout;
  bool any_standard = false;
  for (const VmknicInfo& v : st->vmknics) {
    layout += v.name + '\0' + v.portgroup.value_or("") + '\0' + v.portset.value_or("") + '\0' +
              v.vds_name.value_or("-") + '\n';
    any_standard = any_standard || !v.OnVds();
  }
  const bool due = layout != last_l2_layout_ || RescanDue(s, cycle);
  last_l2_layout_ = layout;
  if (due && !any_standard) {
    portgroups_.emplace();  // nothing on a standard switch: no launch needed
  } else if (due) {
    const size_t before = findings->size();
    portgroups_ = cli.ReadParsed<std::vector<PortgroupRow>>(
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

// --- ProbePhase ---

proto::L2Check ProbePhase::CheckProbe(HostCli& cli, const EngineSettings& s, const VmknicInfo& vmk,
                                      const ProbeAddress& probe, std::vector<Finding>* findings,
                                      bool* reachable) {
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
    findings->push_back(
        MakeFinding(codes::kNotL2Adjacent,
                    "proxy address " + probe.address + " is outside " + vmk.name + "'s subnet " +
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
  auto df = cli.Ping(vmk.name, probe.address, full, true, s.ping_count, &evidence, findings);
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
  auto plain = cli.Ping(vmk.name, probe.address, 0, false, s.ping_count, &evidence, findings);
  if (!plain) {
    c.set_evidence(evidence);
    return c;
  }
  c.set_ping_sent(static_cast<uint32_t>(plain->transmitted));
  c.set_ping_received(static_cast<uint32_t>(plain->received));
  if (plain->received == 0) {
    findings->push_back(MakeFinding(
        codes::kProxyUnreachable,
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
    auto p = cli.Ping(vmk.name, probe.address, mid, true, 1, &evidence, findings);
    if (p && p->received > 0) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  c.set_largest_df_payload(static_cast<uint32_t>(lo));
  findings->push_back(MakeFinding(codes::kMtuMismatch,
                                  "DF ping of " + std::to_string(full) + " bytes (MTU " +
                                      std::to_string(mtu) + ") to " + probe.address + " from " +
                                      vmk.name + " fails; largest passing payload " +
                                      std::to_string(lo) + " bytes",
                                  false));
  c.set_evidence(evidence);
  return c;
}

// --- TagReader ---

bool TagReader::Read(HostCli& cli, const EngineSettings& s, uint64_t cycle, const Selection& sel,
                     HostState* st, std::vector<Finding>* findings) {
  std::vector<std::string> names;
  for (const VmknicInfo& v : st->vmknics) {
    names.push_back(v.name);
  }
  const bool rescan = names != last_vmknic_names_ || RescanDue(s, cycle);
  last_vmknic_names_ = names;
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = st->Find(it->first) ? std::next(it) : cache_.erase(it);
  }
  // Management by its tag as last read, else vmk0: its tags are read every cycle too.
  std::string mgmt_guess;
  for (const auto& [name, tags] : cache_) {
    if (std::find(tags.begin(), tags.end(), kManagementTag) != tags.end()) {
      mgmt_guess = name;
    }
  }
  if (mgmt_guess.empty() && st->Find("vmk0")) {
    mgmt_guess = "vmk0";
  }
  bool backup_tags_ok = false;
  for (VmknicInfo& v : st->vmknics) {
    const bool candidate = v.name == sel.vmknic || v.name == mgmt_guess;
    const bool on_default = !v.netstack || *v.netstack == kDefaultNetstack;
    if (candidate || (rescan && on_default)) {
      const bool through_hostd = s.hostd_check && v.name == sel.vmknic;
      auto tags = cli.ReadParsed<std::vector<std::string>>(TagGetWords(v.name), ParseTagGet,
                                                           findings, through_hostd);
      if (tags) {
        cache_[v.name] = *tags;
        if (v.name == sel.vmknic) {
          backup_tags_ok = true;
        }
      } else {
        cache_.erase(v.name);
      }
    }
    auto c = cache_.find(v.name);
    if (c != cache_.end()) {
      v.tags = c->second;
    }
  }
  return backup_tags_ok;
}

// --- ValidateCycle ---

Validation ValidateCycle(const HostState& st, const Selection& sel, bool state_ok,
                         bool backup_tags_ok, proto::HostReport* rep,
                         std::vector<Finding>* findings) {
  Validation v;
  v.management = ManagementVmknic(st);
  rep->set_management_vmknic(v.management);
  if (const VmknicInfo* m = st.Find(v.management); m && m->ipv4) {
    rep->set_management_address(m->ipv4->address);
  }
  if (!state_ok) {
    return v;
  }
  if (sel.finding) {
    findings->push_back(*sel.finding);
    return v;
  }
  rep->set_backup_vmknic(sel.vmknic);
  std::vector<Finding> problems = ValidateBackupVmknic(st, sel.vmknic, v.management);
  v.valid = problems.empty() && backup_tags_ok;
  findings->insert(findings->end(), problems.begin(), problems.end());
  return v;
}

// --- ProbePhase ---

std::vector<ProbeAddress> MergeProbes(const std::vector<ProbeAddress>& configured,
                                      const std::vector<ProbeAddress>& requested) {
  std::vector<ProbeAddress> probes = configured;
  for (const ProbeAddress& p : requested) {
    bool dup = std::any_of(probes.begin(), probes.end(),
                           [&](const ProbeAddress& q) { return q.address == p.address; });
    if (!dup) {
      probes.push_back(p);
    }
  }
  return probes;
}

ProbePhase::Result ProbePhase::Run(HostCli& cli, const EngineSettings& s, const VmknicInfo* backup,
                                   const std::vector<ProbeAddress>& probes,
                                   std::vector<Finding>* findings) {
  Result res;
  if (backup == nullptr || !backup->ipv4) {
    return res;
  }
  if (probes.empty()) {
    findings->push_back(MakeFinding(codes::kNoProxyAddress,
                                    "no proxy backup address is configured or requested; L2 "
                                    "adjacency cannot be checked",
                                    true));
  }
  bool any_ran = false;
  bool any_reachable = false;
  for (const ProbeAddress& p : probes) {
    bool reachable = false;
    proto::L2Check c = CheckProbe(cli, s, *backup, p, findings, &reachable);
    any_ran = any_ran || c.ran() || !c.in_subnet();
    any_reachable = any_reachable || reachable;
    res.checks.push_back(std::move(c));
  }
  if (any_ran) {
    res.health = any_reachable ? CycleHealth::kGood : CycleHealth::kBad;
  }
  const bool pinged = std::any_of(res.checks.begin(), res.checks.end(),
                                  [](const proto::L2Check& c) { return c.ran(); });
  if (!pinged) {
    return res;
  }
  res.neighbors = cli.ReadParsed<std::vector<NeighborRow>>({"network", "ip", "neighbor", "list"},
                                                           ParseNeighborList, findings);
  if (!res.neighbors) {
    return res;
  }
  for (proto::L2Check& c : res.checks) {
    if (!c.ran()) {
      continue;
    }
    for (const NeighborRow& n : *res.neighbors) {
      if (n.ip == c.proxy_address() && n.vmknic == backup->name) {
        c.set_neighbor_mac(n.mac);
      }
    }
    if (c.neighbor_mac().empty() && c.ping_received() > 0) {
      findings->push_back(MakeFinding(codes::kNeighborMissing,
                                      "no neighbor entry for " + c.proxy_address() + " on " +
                                          backup->name + " after a successful ping",
                                      false));
    }
  }
  return res;
}

// --- TagPlanner ---

TagDecision TagPlanner::Decide(const EngineSettings& s, const DecideInput& in,
                               std::vector<Finding>* findings) {
  const HostState& st = in.state;
  const Selection& sel = in.selection;
  const std::string& mgmt = in.validation.management;
  const bool valid = in.validation.valid;
  TagDecision d;
  bool failover_blocked = false;
  const bool failover_on = s.failover && s.policy == TagPolicy::kEnsure;
  if (failover_on && valid && !resume_checked_) {
    // A restarted process has lost the failover state; the tag placement on the host is its only
    // record. Resuming from it keeps a restart during failover from moving the tag back at once
    // (and flapping on every restart while the backup path is bad). Only once per process: later,
    // the in-memory state is authoritative and a tag put on management by someone else is removed.
    const VmknicInfo* m = st.Find(mgmt);
    resume_checked_ = m == nullptr || m->tags.has_value();
    if (ResumeFailoverActive(st, sel.vmknic, mgmt, s.failover, s.policy)) {
      failover_ = FailoverState{};
      failover_.active = true;
    }
  }
  bool moved_back = false;
  if (failover_on && valid) {
    FailoverStep step = StepFailover(failover_, in.health, s.failover_cycles);
    if (step.next.active && !failover_.active) {
      std::vector<Finding> target = ValidateFailoverTarget(st, mgmt);
      if (!target.empty() || mgmt == sel.vmknic) {
        findings->insert(findings->end(), target.begin(), target.end());
        failover_blocked = true;
        step.next.active = false;
      }
    }
    // One-shot read-only cycles (check/status) never advance the state machine.
    if (!failover_blocked && in.options.allow_changes) {
      failover_ = step.next;
      moved_back = step.moved_back;
    }
  }
  const std::string desired = failover_.active ? mgmt : sel.vmknic;
  std::vector<std::string> release;
  if (failover_on && valid) {
    release.push_back(failover_.active ? sel.vmknic : mgmt);
  }
  // The plan is what ensure would do, also under observe, so that every mode shows it.
  if (valid && st.Find(desired) && st.Find(desired)->tags) {
    d.planned = PlanTagActions(st, desired, TagPolicy::kEnsure, s.exclusive, release);
  }
  // Failover moves keep their own rules (K bad/good cycles); every other change needs consent
  // and this cycle's proof that the backup path works.
  const bool failover_move = failover_on && valid && (failover_.active || moved_back);
  if (s.policy == TagPolicy::kObserve) {
    d.blockers.push_back("tag_policy = observe");
  } else if (!in.options.allow_changes) {
    d.blockers.push_back("a read-only cycle changes nothing");
  }
  if (!failover_move && !in.options.force) {
    int proven = 0;
    for (const proto::L2Check& c : in.checks) {
      proven += c.vmknic() == sel.vmknic && c.ran() && c.ping_received() > 0 && c.df_at_mtu_ok();
    }
    // A read-only cycle shows the proof ensure would need, not the daemon's consent.
    std::vector<std::string> b = EnsureBlockers(
        in.options.allow_changes && s.policy == TagPolicy::kEnsure ? in.options.consent_missing
                                                                   : "",
        sel, proven);
    d.blockers.insert(d.blockers.end(), b.begin(), b.end());
  }
  if (!d.blockers.empty()) {
    for (const TagAction& a : d.planned) {
      findings->push_back(PlannedFinding(a, d.blockers));
    }
  }
  return d;
}

// --- ApplyPlan ---

void ApplyPlan(HostCli& cli, TagReader& tags, const std::vector<TagAction>& planned,
               int64_t now_unix_ms, HostState* st, proto::HostReport* rep,
               std::vector<Finding>* findings) {
  std::vector<std::string> touched;
  for (const TagAction& a : planned) {
    std::string evidence;
    proto::TagChange* ch = rep->add_changes();
    ch->set_vmknic(a.vmknic);
    ch->set_action(a.add ? "add" : "remove");
    ch->set_reason(a.reason);
    ch->set_at_unix_ms(now_unix_ms);
    bool ok = cli.ChangeTag(a, findings, &evidence);
    ch->set_ok(ok);
    if (ok) {
      touched.push_back(a.vmknic);
    }
  }
  // Verify by reading back.
  for (const std::string& name : touched) {
    auto read = cli.ReadParsed<std::vector<std::string>>(TagGetWords(name), ParseTagGet, findings);
    VmknicInfo* v = st->Find(name);
    if (read) {
      tags.Remember(name, *read);
      v->tags = *read;
    }
    for (const TagAction& a : planned) {
      if (a.vmknic == name && (!read || v->HasTag(kNfcTag) != a.add)) {
        findings->push_back(MakeFinding(codes::kTagVerifyFailed,
                                        std::string("after ") + (a.add ? "adding" : "removing") +
                                            " vSphereBackupNFC on " + name +
                                            " the tag read back does not show the change",
                                        true));
      }
    }
  }
}

// --- AssembleReport ---

void AssembleReport(const HostState& st, const std::string& host_id, bool failover_active,
                    bool hostd_available, const std::vector<Finding>& findings,
                    proto::HostReport* rep) {
  proto::HostFacts* facts = rep->mutable_host();
  facts->set_product(st.version.product.value_or(""));
  facts->set_version(st.version.version.value_or(""));
  facts->set_build(st.version.build.value_or(""));
  facts->set_hostname(host_id);
  for (const VmknicInfo& v : st.vmknics) {
    proto::Vmknic* pv = rep->add_vmknics();
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
  rep->set_nfc_vmknic(NfcVmknic(st));
  rep->set_nfc_address(NfcAddress(st));
  rep->set_failover_active(failover_active);
  rep->set_hostd_available(hostd_available);
  for (const Finding& f : findings) {
    proto::Problem* p = rep->add_problems();
    p->set_code(f.code);
    p->set_detail(f.detail);
    p->set_evidence(f.evidence);
  }
}

}  // namespace bnfc::hostagent
