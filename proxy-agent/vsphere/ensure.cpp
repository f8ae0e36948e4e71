#include "ensure.h"

#include <algorithm>

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

}  // namespace bnfc::vsphere
