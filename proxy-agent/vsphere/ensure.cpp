#include "ensure.h"

#include <algorithm>

#include "bnfc/log.h"
#include "bnfc/text.h"
#include "client.h"

namespace bnfc::vsphere {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

ApiTagPlan PlanApiTagChanges(const VsphereHost& host, const std::string& backup,
                             const std::string& tag_policy, const std::vector<DfProof>& proofs) {
  ApiTagPlan plan;
  const std::string portgroup_prefix = "portgroup:";
  const bool by_portgroup = backup.rfind(portgroup_prefix, 0) == 0;
  std::string want = by_portgroup ? backup.substr(portgroup_prefix.size()) : backup;
  want.erase(0, want.find_first_not_of(' '));
  want.erase(want.find_last_not_of(' ') + 1);

  const proto::Vmknic* chosen = nullptr;
  int matches = 0;
  for (const proto::Vmknic& v : host.report.vmknics()) {
    if ((by_portgroup ? v.portgroup() : v.name()) == want && !want.empty()) {
      ++matches;
      chosen = &v;
    }
  }
  std::string selection_error;
  if (want.empty()) {
    selection_error = "no backup vmknic is configured";
  } else if (matches == 0) {
    selection_error = "no vmknic matches " + backup;
  } else if (matches > 1) {
    selection_error = std::to_string(matches) + " vmknics match " + backup;
  } else if (Contains(host.management_selected, chosen->name())) {
    selection_error = chosen->name() + " is the management vmknic";
  } else if (chosen->ipv4().address().empty()) {
    selection_error = chosen->name() + " has no IPv4 address";
  }
  if (!selection_error.empty()) {
    plan.blockers.push_back("the backup vmknic selection is not unambiguous: " + selection_error);
    return plan;
  }
  plan.backup_vmknic = chosen->name();
  if (tag_policy != "ensure") {
    plan.blockers.push_back("tag_policy = " + tag_policy);
    return plan;
  }
  if (!Contains(host.nfc_selected, plan.backup_vmknic)) {
    plan.actions.push_back(
        {plan.backup_vmknic, true, "vSphereBackupNFC missing on " + plan.backup_vmknic});
  }
  for (const std::string& other : host.nfc_selected) {
    if (other != plan.backup_vmknic) {
      plan.actions.push_back(
          {other, false, "only " + plan.backup_vmknic + " may carry vSphereBackupNFC"});
    }
  }
  if (host.vnic_manager.empty()) {
    plan.blockers.push_back("the host's VirtualNicManager was not read");
  }
  const uint32_t mtu = chosen->mtu();
  const bool proven = mtu != 0 && std::any_of(proofs.begin(), proofs.end(), [&](const DfProof& p) {
                        return p.answered && p.mtu == mtu && p.address == chosen->ipv4().address();
                      });
  if (!proven) {
    plan.blockers.push_back("no DF probe from the proxy to " + chosen->ipv4().address() + " (" +
                            plan.backup_vmknic + ") at MTU " + std::to_string(mtu) +
                            " was answered in this cycle");
  }
  return plan;
}

std::string ApiChangeAuthor(const std::string& source_name) {
  return "bnfc-proxyd through the vSphere API (source " + source_name + ")";
}

Status ClientTagger::Select(const VsphereHost& host, const std::string& device) {
  return client_.SelectVnic(host.vnic_manager, kNfcNicType, device);
}

Status ClientTagger::Deselect(const VsphereHost& host, const std::string& device) {
  return client_.DeselectVnic(host.vnic_manager, kNfcNicType, device);
}

ApiTagEnsurer::ApiTagEnsurer(std::string source_name, std::string backup, std::string tag_policy,
                             ApiTagger& tagger)
    : source_name_(std::move(source_name)),
      backup_(std::move(backup)),
      tag_policy_(std::move(tag_policy)),
      by_(ApiChangeAuthor(source_name_)),
      tagger_(tagger) {}

void ApiTagEnsurer::Record(const std::string& host_id, proto::TagChange change) {
  auto& kept = kept_[host_id];
  kept.push_back(std::move(change));
  while (kept.size() > kKeep) {
    kept.pop_front();
  }
}

void ApiTagEnsurer::Annotate(VsphereHost& host) const {
  host.report.clear_changes();
  auto it = kept_.find(host.host_id);
  if (it == kept_.end()) {
    return;
  }
  for (const proto::TagChange& c : it->second) {
    *host.report.add_changes() = c;
  }
}

namespace {

std::string Describe(const ApiTagAction& a) {
  return std::string(a.select ? "select " : "deselect ") + a.device;
}

proto::TagChange Change(const ApiTagAction& a, const std::string& reason, int64_t now_ms, bool ok) {
  proto::TagChange c;
  c.set_vmknic(a.device);
  c.set_action(a.select ? "add" : "remove");
  c.set_reason(reason);
  c.set_at_unix_ms(now_ms);
  c.set_ok(ok);
  return c;
}

}  // namespace

bool ApiTagEnsurer::Step(const VsphereHost& host, const std::vector<DfProof>& proofs,
                         int64_t now_ms) {
  if (tag_policy_ != "ensure") {
    return false;  // observe: never a call
  }
  const std::string where = "vSphere source " + source_name_ + ": host " + host.host_id + ": ";
  std::string& state = state_[host.host_id];
  ApiTagPlan plan = PlanApiTagChanges(host, backup_, tag_policy_, proofs);
  if (!plan.blockers.empty()) {
    std::string blockers;
    for (const std::string& b : plan.blockers) {
      blockers += (blockers.empty() ? "" : "; ") + b;
    }
    std::string planned;
    for (const ApiTagAction& a : plan.actions) {
      planned += (planned.empty() ? "" : ", ") + Describe(a);
    }
    const std::string now_state = "refused " + planned + ": " + blockers;
    if (now_state != state) {
      state = now_state;
      if (plan.actions.empty()) {
        log::Warn(where + "tag_policy = ensure cannot act: " + text::EscapeForLine(blockers, 400));
      } else {
        log::Warn(where + "not changing vSphereBackupNFC (" + planned +
                  "): " + text::EscapeForLine(blockers, 400));
        for (const ApiTagAction& a : plan.actions) {
          proto::TagChange c = Change(a, a.reason + "; not made: " + blockers, now_ms, false);
          c.set_refused(true);
          Record(host.host_id, std::move(c));
        }
      }
    }
    return false;
  }
  if (plan.actions.empty()) {
    if (!state.empty() && state != "ok") {
      log::Info(where + "vSphereBackupNFC is on " + plan.backup_vmknic + " only, as configured");
    }
    state = "ok";
    return false;
  }
  // Select first: a failing deselect then leaves two tags (a finding), never none.
  std::vector<ApiTagAction> ordered = plan.actions;
  std::stable_partition(ordered.begin(), ordered.end(),
                        [](const ApiTagAction& a) { return a.select; });
  for (const ApiTagAction& a : ordered) {
    Status s = a.select ? tagger_.Select(host, a.device) : tagger_.Deselect(host, a.device);
    if (!s) {
      const std::string error = s.error().message;
      const std::string now_state = "failed " + Describe(a) + ": " + error;
      if (now_state != state) {
        state = now_state;
        log::Error(where + Describe(a) + " for vSphereBackupNFC failed: " +
                   text::EscapeForLine(error, 400) + "; later calls not made");
        Record(host.host_id, Change(a, a.reason + "; failed: " + error, now_ms, false));
      }
      return true;
    }
    log::Info(where + Describe(a) + " for vSphereBackupNFC (" + a.reason + ")");
    Record(host.host_id, Change(a, a.reason, now_ms, true));
  }
  state = "changed";
  return true;
}

}  // namespace bnfc::vsphere
