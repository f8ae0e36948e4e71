#include "hostagent/decide.h"

#include <algorithm>

namespace bnfc::hostagent {

Selector Selector::ByName(std::string name) {
  Selector s;
  s.kind = SelectorKind::kName;
  s.value = std::move(name);
  return s;
}

Selector Selector::ByPortgroup(std::string portgroup) {
  Selector s;
  s.kind = SelectorKind::kPortgroup;
  s.value = std::move(portgroup);
  return s;
}

Expected<Selector> Selector::BySubnet(const std::string& prefix_text) {
  auto p = net::Prefix::Parse(prefix_text);
  if (!p.ok()) {
    return p.error();
  }
  if (p->address.family != net::Family::kIPv4) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "backup subnet '" + prefix_text + "' must be an IPv4 prefix");
  }
  Selector s;
  s.kind = SelectorKind::kSubnet;
  s.value = p->Network().ToString();
  s.subnet = p->Network();
  return s;
}

std::string Selector::Describe() const {
  switch (kind) {
    case SelectorKind::kName:
      return "name " + value;
    case SelectorKind::kPortgroup:
      return "portgroup '" + value + "'";
    case SelectorKind::kSubnet:
      return "subnet " + value;
  }
  return value;
}

namespace {

Finding Make(const char* code, std::string detail, bool blocking = true) {
  Finding f;
  f.code = code;
  f.detail = std::move(detail);
  f.blocking = blocking;
  return f;
}

bool InSubnet(const VmknicInfo& v, const net::Prefix& p) {
  if (!v.ipv4) {
    return false;
  }
  auto a = net::IpAddress::Parse(v.ipv4->address);
  return a.ok() && p.Contains(*a);
}

}  // namespace

Selection SelectBackupVmknic(const HostState& state, const Selector& selector) {
  Selection sel;
  std::vector<std::string> matches;
  for (const VmknicInfo& v : state.vmknics) {
    bool m = false;
    switch (selector.kind) {
      case SelectorKind::kName:
        m = v.name == selector.value;
        break;
      case SelectorKind::kPortgroup:
        m = v.portgroup && *v.portgroup == selector.value;
        break;
      case SelectorKind::kSubnet:
        m = selector.subnet && InSubnet(v, *selector.subnet);
        break;
    }
    if (m) {
      matches.push_back(v.name);
    }
  }
  if (matches.size() == 1) {
    sel.vmknic = matches[0];
    return sel;
  }
  if (matches.empty()) {
    std::string names;
    for (const VmknicInfo& v : state.vmknics) {
      names += (names.empty() ? "" : ", ") + v.name;
    }
    sel.finding = Make(codes::kBackupVmkNotFound,
                       "no vmknic matches the backup selector (" + selector.Describe() +
                           "); the host has: " + (names.empty() ? "none" : names));
    return sel;
  }
  std::string names;
  for (const std::string& n : matches) {
    names += (names.empty() ? "" : ", ") + n;
  }
  sel.finding = Make(codes::kBackupVmkAmbiguous, "the backup selector (" + selector.Describe() +
                                                     ") matches several vmknics (" + names +
                                                     "); select one by name");
  return sel;
}

std::string ManagementVmknic(const HostState& state) {
  for (const VmknicInfo& v : state.vmknics) {
    if (v.HasTag(kManagementTag)) {
      return v.name;
    }
  }
  return state.Find("vmk0") ? "vmk0" : "";
}

std::string NfcVmknic(const HostState& state) {
  for (const VmknicInfo& v : state.vmknics) {
    if (v.HasTag(kNfcTag)) {
      return v.name;
    }
  }
  return "";
}

std::string NfcAddress(const HostState& state) {
  std::string nfc = NfcVmknic(state);
  const VmknicInfo* v = state.Find(nfc.empty() ? "vmk0" : nfc);
  return v && v->ipv4 ? v->ipv4->address : "";
}

namespace {

void CheckUsable(const VmknicInfo& v, std::vector<Finding>* out) {
  if (v.netstack && *v.netstack != kDefaultNetstack) {
    out->push_back(Make(codes::kWrongNetstack, v.name + " is on netstack '" + *v.netstack +
                                                   "'; vSphereBackupNFC needs defaultTcpipStack"));
  }
  if (v.enabled && !*v.enabled) {
    out->push_back(Make(codes::kBackupVmkDisabled, v.name + " is disabled"));
  }
  if (!v.ipv4) {
    out->push_back(Make(codes::kBackupVmkNoIpv4,
                        v.name + " has no IPv4 address; NBD clients could not reach it"));
  }
}

}  // namespace

std::vector<Finding> ValidateBackupVmknic(const HostState& state, const std::string& vmknic,
                                          const std::string& management_vmk) {
  std::vector<Finding> out;
  const VmknicInfo* v = state.Find(vmknic);
  if (v == nullptr) {
    out.push_back(Make(codes::kBackupVmkNotFound, "vmknic " + vmknic + " does not exist"));
    return out;
  }
  if (vmknic == "vmk0") {
    out.push_back(Make(codes::kBackupVmkIsVmk0,
                       "vmk0 is the management vmknic; backup traffic on it is not isolated"));
  }
  if (v->HasTag(kManagementTag) || (vmknic == management_vmk && vmknic != "vmk0")) {
    out.push_back(Make(codes::kBackupVmkIsManagement,
                       vmknic + " carries the Management tag; pick a dedicated backup vmknic"));
  }
  CheckUsable(*v, &out);
  return out;
}

std::vector<Finding> ValidateFailoverTarget(const HostState& state, const std::string& vmknic) {
  std::vector<Finding> out;
  const VmknicInfo* v = state.Find(vmknic);
  if (v == nullptr) {
    out.push_back(Make(codes::kFailoverTargetInvalid, "no management vmknic to fail over to"));
    return out;
  }
  std::vector<Finding> usable;
  CheckUsable(*v, &usable);
  for (Finding& f : usable) {
    f.detail = "failover target " + f.detail + " (" + f.code + ")";
    f.code = codes::kFailoverTargetInvalid;
    out.push_back(f);
  }
  return out;
}

const char* TagPolicyName(TagPolicy p) {
  return p == TagPolicy::kEnsure ? "ensure" : "observe";
}

std::vector<TagAction> PlanTagActions(const HostState& state, const std::string& desired,
                                      TagPolicy policy, bool exclusive,
                                      const std::vector<std::string>& release) {
  std::vector<TagAction> actions;
  if (policy == TagPolicy::kObserve) {
    return actions;
  }
  const VmknicInfo* d = state.Find(desired);
  if (d != nullptr && d->tags && !d->HasTag(kNfcTag)) {
    actions.push_back(TagAction{desired, true, "vSphereBackupNFC missing on " + desired});
  }
  for (const VmknicInfo& v : state.vmknics) {
    if (v.name == desired || !v.HasTag(kNfcTag)) {
      continue;
    }
    const bool released = std::find(release.begin(), release.end(), v.name) != release.end();
    if (released) {
      actions.push_back(TagAction{v.name, false, "tag moves from " + v.name + " to " + desired});
    } else if (exclusive) {
      actions.push_back(
          TagAction{v.name, false, "exclusive: only " + desired + " may carry vSphereBackupNFC"});
    }
  }
  return actions;
}

std::vector<std::string> EnsureBlockers(const std::string& consent_missing,
                                        const Selection& selection, int proven_paths) {
  std::vector<std::string> out;
  if (!consent_missing.empty()) {
    out.push_back(consent_missing);
  }
  if (selection.vmknic.empty() || selection.finding) {
    out.push_back("the backup vmknic selection is not unambiguous");
  } else if (proven_paths < 1) {
    out.push_back("no proxy backup address answered a DF ping at the MTU from " + selection.vmknic +
                  " in this cycle");
  }
  return out;
}

Finding PlannedFinding(const TagAction& action, const std::vector<std::string>& blockers) {
  std::string why;
  for (const std::string& b : blockers) {
    why += (why.empty() ? "" : "; ") + b;
  }
  return Make(action.add ? codes::kPlannedTagAdd : codes::kPlannedTagRemove,
              std::string(action.add ? "add" : "remove") + " vSphereBackupNFC " +
                  (action.add ? "to " : "from ") + action.vmknic + " (" + action.reason +
                  "); not applied: " + (why.empty() ? "no reason given" : why),
              false);
}

std::vector<Finding> TagFindings(const HostState& state, const std::string& backup_vmk,
                                 const std::string& management_vmk, bool failover_active) {
  std::vector<Finding> out;
  if (failover_active) {
    out.push_back(Make(codes::kFailoverActive,
                       "failover is active: vSphereBackupNFC was moved to the management vmknic " +
                           management_vmk + " so backups continue over management"));
  }
  const VmknicInfo* b = state.Find(backup_vmk);
  if (b != nullptr && b->tags && !b->HasTag(kNfcTag) && !failover_active) {
    out.push_back(Make(codes::kTagMissing, backup_vmk +
                                               " does not carry vSphereBackupNFC; NBD "
                                               "uses the management address " +
                                               NfcAddress(state)));
  }
  for (const VmknicInfo& v : state.vmknics) {
    if (!v.HasTag(kNfcTag) || v.name == backup_vmk) {
      continue;
    }
    if (v.name == management_vmk || v.HasTag(kManagementTag)) {
      if (!failover_active) {
        out.push_back(
            Make(codes::kTagOnManagement, "vSphereBackupNFC is on the management vmknic " + v.name +
                                              "; NBD traffic crosses the management network"));
      }
    } else {
      out.push_back(Make(codes::kTagOnOtherVmknic,
                         "vSphereBackupNFC is also on " + v.name +
                             "; vCenter may hand out that address (set exclusive = true)"));
    }
  }
  return out;
}

FailoverStep StepFailover(const FailoverState& state, CycleHealth health, int k) {
  FailoverStep step;
  step.next = state;
  if (k < 1) {
    k = 1;
  }
  switch (health) {
    case CycleHealth::kUnknown:
      break;
    case CycleHealth::kBad:
      step.next.good_cycles = 0;
      ++step.next.bad_cycles;
      if (!state.active && step.next.bad_cycles >= k) {
        step.next.active = true;
        step.next.bad_cycles = 0;
        step.moved_to_management = true;
      }
      break;
    case CycleHealth::kGood:
      step.next.bad_cycles = 0;
      ++step.next.good_cycles;
      if (state.active && step.next.good_cycles >= k) {
        step.next.active = false;
        step.next.good_cycles = 0;
        step.moved_back = true;
      }
      break;
  }
  if (step.next.active && health == CycleHealth::kBad) {
    step.next.bad_cycles = 0;  // nothing more to count while failed over
  }
  if (!step.next.active && health == CycleHealth::kGood) {
    step.next.good_cycles = 0;  // nothing to count while normal
  }
  return step;
}

bool ResumeFailoverActive(const HostState& state, const std::string& backup_vmk,
                          const std::string& management_vmk, bool failover_enabled,
                          TagPolicy policy) {
  if (!failover_enabled || policy != TagPolicy::kEnsure || backup_vmk == management_vmk) {
    return false;
  }
  const VmknicInfo* backup = state.Find(backup_vmk);
  const VmknicInfo* management = state.Find(management_vmk);
  if (backup == nullptr || management == nullptr || !backup->tags || !management->tags) {
    return false;
  }
  return management->HasTag(kNfcTag) && !backup->HasTag(kNfcTag);
}

bool Ready(const std::vector<Finding>& findings) {
  for (const Finding& f : findings) {
    if (f.blocking) {
      return false;
    }
  }
  return true;
}

}  // namespace bnfc::hostagent
