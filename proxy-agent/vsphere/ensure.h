// `tag_policy = ensure` for hosts read through the vSphere API: which SelectVnicForNicType /
// DeselectVnicForNicType calls to make for vSphereBackupNFC, and whether they may be made. The
// same proofs as the host agent's ensure (docs/host-agent.md, step 6): an unambiguous backup
// vmknic and, in this cycle, a DF probe at its MTU that was answered — here the proxy's own probe
// (proxy-agent/dfprobe) to that vmknic's address. Pure.
#pragma once

#include <string>
#include <vector>

#include "facts.h"

namespace bnfc::vsphere {

// The proxy's DF probe of this cycle towards a vmknic address.
struct DfProof {
  std::string address;  // the address probed
  uint32_t mtu = 0;     // the packet size probed
  bool answered = false;
};

struct ApiTagAction {
  std::string device;  // vmk1
  bool select = true;  // SelectVnicForNicType, else DeselectVnicForNicType
  std::string reason;
};

struct ApiTagPlan {
  std::string backup_vmknic;          // "" when the selection failed
  std::vector<ApiTagAction> actions;  // planned under ensure (empty under observe)
  std::vector<std::string> blockers;  // non-empty: the actions must not be applied
};

// `backup` names the backup vmknic: "vmk1" or "portgroup: NAME". Exactly one vmknic must match,
// it must not be the management vmknic and must have an IPv4 address. Under ensure the plan
// selects it when vCenter does not list it for vSphereBackupNFC and deselects every other selected
// one. Blockers: observe, a failed selection, no VirtualNicManager read, and no answered DF probe
// at the vmknic's MTU to its address.
ApiTagPlan PlanApiTagChanges(const VsphereHost& host, const std::string& backup,
                             const std::string& tag_policy, const std::vector<DfProof>& proofs);

}  // namespace bnfc::vsphere
