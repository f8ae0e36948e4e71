// Decisions as pure functions: backup vmknic selection, validation before any change, the tag
// planner (ensure/observe, exclusive, failover moves) and the failover state machine.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/findings.h"
#include "bnfc/net.h"
#include "hostagent/model.h"

namespace bnfc::hostagent {

// A finding: stable code, one sentence, evidence. `blocking` findings mean the host is not ready
// for isolated NBD (check exits non-zero); the others cost speed or resilience.
struct Finding {
  std::string code;
  std::string detail;
  std::string evidence;
  bool blocking = true;
};

// Finding codes: codes::k<Id>, generated from protocol/findings.def, the one table both agents
// and the verdict engine share (a code missing from it does not compile).
namespace codes = ::bnfc::codes;

enum class SelectorKind { kName, kPortgroup, kSubnet };

struct Selector {
  SelectorKind kind = SelectorKind::kName;
  std::string value;  // vmknic name, portgroup name, or the subnet text
  std::optional<net::Prefix> subnet;
  static Selector ByName(std::string name);
  static Selector ByPortgroup(std::string portgroup);
  static Expected<Selector> BySubnet(const std::string& prefix_text);
  std::string Describe() const;  // "name vmk2", "portgroup 'Backup NFC'", "subnet 10.99.0.0/24"
};

struct Selection {
  std::string vmknic;  // empty: nothing (or more than one) matched; see finding
  std::optional<Finding> finding;
};

// By name: exact. By portgroup: exactly one vmknic on that portgroup. By subnet: exactly one
// vmknic whose IPv4 address is inside the prefix. Zero -> BACKUP_VMK_NOT_FOUND, several ->
// BACKUP_VMK_AMBIGUOUS.
Selection SelectBackupVmknic(const HostState& state, const Selector& selector);

// The vmknic carrying the Management tag (among vmknics whose tags were read), else vmk0 (if it
// exists), else "".
std::string ManagementVmknic(const HostState& state);
// First vmknic (interface-list order) known to carry vSphereBackupNFC, else "".
std::string NfcVmknic(const HostState& state);
// The address vCenter hands out for NBD: IPv4 of the NFC vmknic, else vmk0's, else "".
std::string NfcAddress(const HostState& state);

// Validation before any change. Empty = the vmknic may carry vSphereBackupNFC. Codes:
// BACKUP_VMK_IS_VMK0, BACKUP_VMK_IS_MANAGEMENT (carries Management, or is `management_vmk`),
// WRONG_NETSTACK (not defaultTcpipStack; unknown netstack on old builds counts as default),
// BACKUP_VMK_DISABLED, BACKUP_VMK_NO_IPV4, BACKUP_VMK_NOT_FOUND.
std::vector<Finding> ValidateBackupVmknic(const HostState& state, const std::string& vmknic,
                                          const std::string& management_vmk);

// The failover target must be usable too (default stack, enabled, IPv4).
std::vector<Finding> ValidateFailoverTarget(const HostState& state, const std::string& vmknic);

enum class TagPolicy { kEnsure, kObserve };
const char* TagPolicyName(TagPolicy p);

struct TagAction {
  std::string vmknic;
  bool add = true;  // false: remove
  std::string reason;
  bool operator==(const TagAction& o) const { return vmknic == o.vmknic && add == o.add; }
};

// Actions that make `desired` the vmknic carrying vSphereBackupNFC. Only that tag is ever
// touched. Adds it to `desired` when its tags were read and lack it; removes it from every
// vmknic in `release` (e.g. the other end of a failover move) and, with `exclusive`, from every
// other vmknic known to carry it. Observe -> no actions. Applying the plan and planning again on
// the new state gives no actions (idempotent).
std::vector<TagAction> PlanTagActions(const HostState& state, const std::string& desired,
                                      TagPolicy policy, bool exclusive,
                                      const std::vector<std::string>& release = {});

// Why `ensure` may not change a tag this cycle; empty = it may. A tag changes only with consent
// (`consent_missing` empty: a proxy acknowledged a report, or the operator ran `tag`), an
// unambiguous selection, and at least one proxy backup address that answered a DF ping at the MTU
// from the selected vmknic in this cycle (`proven_paths`). Failover moves are not gated here.
std::vector<std::string> EnsureBlockers(const std::string& consent_missing,
                                        const Selection& selection, int proven_paths);

// The advisory finding for an action that was planned but not applied, naming the blockers.
Finding PlannedFinding(const TagAction& action, const std::vector<std::string>& blockers);

// Findings about where the tag is, after the plan was applied (or in observe mode).
std::vector<Finding> TagFindings(const HostState& state, const std::string& backup_vmk,
                                 const std::string& management_vmk, bool failover_active);

// Failover: K consecutive bad cycles move the tag to the management vmknic; K consecutive good
// cycles move it back. Unknown cycles (no check could run) leave the counters alone.
enum class CycleHealth { kGood, kBad, kUnknown };
struct FailoverState {
  bool active = false;
  int bad_cycles = 0;
  int good_cycles = 0;
};
struct FailoverStep {
  FailoverState next;
  bool moved_to_management = false;
  bool moved_back = false;
};
FailoverStep StepFailover(const FailoverState& state, CycleHealth health, int k);

// Whether a process that has just started must resume as failed over. The failover state lives in
// memory only; after a restart the tag placement is the only record of a move to management. True
// when failover is on (`failover_enabled` with ensure), the management vmknic is known to carry
// vSphereBackupNFC and the backup vmknic is known not to: then moving back takes the usual K good
// cycles instead of happening at once, and a restart while the backup path is bad does not flap
// the tag. False when either vmknic's tags are unknown.
bool ResumeFailoverActive(const HostState& state, const std::string& backup_vmk,
                          const std::string& management_vmk, bool failover_enabled,
                          TagPolicy policy);

// The host is ready for isolated NBD when no finding is blocking.
bool Ready(const std::vector<Finding>& findings);

}  // namespace bnfc::hostagent
