// `tag_policy = ensure` for hosts read through the vSphere API: which SelectVnicForNicType /
// DeselectVnicForNicType calls to make for vSphereBackupNFC, and whether they may be made. The
// same proofs as the host agent's ensure (docs/host-agent.md, step 6): an unambiguous backup
// vmknic and, in this cycle, a DF probe at its MTU that was answered — here the proxy's own probe
// (proxy-agent/dfprobe) to that vmknic's address. The plan is pure; ApiTagEnsurer applies it
// through the ApiTagger seam.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "bnfc/expected.h"
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

// Who made a change through the API, as the report says it.
std::string ApiChangeAuthor(const std::string& source_name);

// The side effect of ensure: SelectVnicForNicType / DeselectVnicForNicType for vSphereBackupNFC
// on one host's HostVirtualNicManager. The real one calls the source's Client (ClientTagger);
// tests use a fake that records the calls.
class ApiTagger {
 public:
  virtual ~ApiTagger() = default;
  virtual Status Select(const VsphereHost& host, const std::string& device) = 0;
  virtual Status Deselect(const VsphereHost& host, const std::string& device) = 0;
};

class Client;
class ClientTagger : public ApiTagger {
 public:
  explicit ClientTagger(Client& client) : client_(client) {}
  Status Select(const VsphereHost& host, const std::string& device) override;
  Status Deselect(const VsphereHost& host, const std::string& device) override;

 private:
  Client& client_;
};

// Applies PlanApiTagChanges for the hosts of one source, one step per host and cycle, and keeps
// what it did: each change made, failed or refused is logged once per change of state (not every
// interval) and kept (the last kKeep per host) for the report as the host's `changes`.
class ApiTagEnsurer {
 public:
  static constexpr size_t kKeep = 8;
  // `backup` and `tag_policy` as in SourceConfig; `by` names who acts, for the report.
  ApiTagEnsurer(std::string source_name, std::string backup, std::string tag_policy,
                ApiTagger& tagger);
  // One step for `host` with the proofs of one cycle. Nothing is called under observe or while
  // the plan has blockers (a refusal is recorded instead when it had actions). Otherwise the
  // selection comes first and the deselections after it, so the host is never left without a
  // tag by a failing call; the first failing call stops the step. Returns true when a call was
  // made: the host must be read again before any claim rests on the change.
  bool Step(const VsphereHost& host, const std::vector<DfProof>& proofs, int64_t now_ms);
  // Copies this host's kept changes into its report (HostReport.changes), oldest first.
  void Annotate(VsphereHost& host) const;
  const std::string& by() const { return by_; }

 private:
  void Record(const std::string& host_id, proto::TagChange change);

  std::string source_name_;
  std::string backup_;
  std::string tag_policy_;
  std::string by_;
  ApiTagger& tagger_;
  std::map<std::string, std::string> state_;  // host id -> last state logged
  std::map<std::string, std::deque<proto::TagChange>> kept_;
};

}  // namespace bnfc::vsphere
