// The phases of one host-agent cycle (CycleEngine::RunCycle runs them in this order):
//
//   1. HostReader     read the host: version and netstacks (cached), vmknics, IPv4, portgroups
//   2. TagReader      read tags of the candidate vmknics (cached for the others, see cycle.h)
//   3. ValidateCycle  pure: management vmknic, selection and validation of the backup vmknic
//   4. ProbePhase     L2 reachability of every proxy backup address (vmkping), neighbor entries
//   5. TagPlanner     failover state machine, the tag plan and why it may not be applied
//   6. ApplyPlan      change the tag through esxcli (localcli fallback) and read it back
//   7. AssembleReport pure: the HostReport the proxies receive
//
// Every command goes through HostCli, which owns the hostd fallback (esxcli/localcli) and the
// evidence each finding carries. Each phase has its own tests on FakeCommandRunner.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bnfc.pb.h"
#include "hostagent/decide.h"
#include "hostagent/engine_settings.h"
#include "hostagent/model.h"
#include "hostagent/parse.h"
#include "hostagent/runner.h"

namespace bnfc::hostagent {

// A finding with its evidence capped (evidence is command output; a report must stay small).
Finding MakeFinding(const char* code, std::string detail, bool blocking, std::string evidence = "");

// The host's command-line tools behind one object: reads with the read CLI (or the change CLI for
// the hostd check) falling back to fallback_cli, tag changes with the change CLI falling back the
// same way, vmkping. A fallback that works marks hostd unavailable for the cycle (one HOSTD_DOWN).
class HostCli {
 public:
  HostCli(CommandRunner& runner, const EngineSettings& settings);

  void BeginCycle() { hostd_available_ = true; }
  bool hostd_available() const { return hostd_available_; }
  unsigned launches() const { return runner_.launches(); }

  struct Read {
    bool ok = false;
    std::string out;
    std::string cli;  // which CLI answered
  };
  // through_hostd: try change_cli first (the hostd check), then fallback_cli. A failure adds
  // COMMAND_FAILED (blocking) with the evidence of the last attempt.
  Read RunRead(const std::vector<std::string>& words, std::vector<Finding>* findings,
               std::string* evidence, bool through_hostd = false);
  // RunRead, then `parse(out, format)`; a parse error adds PARSE_ERROR (blocking).
  template <typename T, typename Fn>
  std::optional<T> ReadParsed(const std::vector<std::string>& words, Fn parse,
                              std::vector<Finding>* findings, bool through_hostd = false) {
    std::string evidence;
    Read r = RunRead(words, findings, &evidence, through_hostd);
    if (!r.ok) {
      return std::nullopt;
    }
    Expected<T> v = parse(r.out, s_.format);
    if (!v.ok()) {
      findings->push_back(MakeFinding(codes::kParseError, v.error().message, true, evidence));
      return std::nullopt;
    }
    return std::move(*v);
  }
  // Adds or removes vSphereBackupNFC (never another tag). False after TAG_CHANGE_FAILED.
  bool ChangeTag(const TagAction& a, std::vector<Finding>* findings, std::string* evidence);
  // vmkping -I vmk; df: with -d -s payload. nullopt after COMMAND_FAILED or PARSE_ERROR.
  std::optional<PingResult> Ping(const std::string& vmk, const std::string& address, int payload,
                                 bool df, int count, std::string* evidence,
                                 std::vector<Finding>* findings);

 private:
  CommandRunner& runner_;
  const EngineSettings& s_;
  bool hostd_available_ = true;
};

// Phase 1. What never changes (version, netstacks) is read once; the portgroup list when due.
class HostReader {
 public:
  struct Result {
    HostState state;  // vmknics merged with IPv4 and VLANs; version and netstacks when known
    bool ok = false;  // both the interface list and the IPv4 settings were read
  };
  // `cycle` is 1-based (the first cycle reads everything).
  Result Read(HostCli& cli, const EngineSettings& s, uint64_t cycle,
              std::vector<Finding>* findings);

 private:
  // Reads the standard portgroup list when due (see cycle.h) and sets every vmknic's VLAN.
  void ReadPortgroups(HostCli& cli, const EngineSettings& s, uint64_t cycle, HostState* st,
                      std::vector<Finding>* findings);

  std::optional<VersionInfo> version_;
  std::optional<std::vector<std::string>> netstacks_;
  std::optional<std::vector<PortgroupRow>> portgroups_;  // nullopt: not read or the read failed
  std::string last_l2_layout_;  // portgroup/portset/VDS of every vmknic at the last read
};

// Phase 2. Tags are read every cycle for the selected backup vmknic and the (guessed) management
// vmknic; for every other vmknic on the default stack only on a rescan (first cycle, vmknic set
// changed, every tag_rescan_cycles); otherwise the cached tags are used.
class TagReader {
 public:
  // Sets `tags` on every vmknic of `st` whose tags are known. Returns whether the backup
  // vmknic's tags were read in this cycle.
  bool Read(HostCli& cli, const EngineSettings& s, uint64_t cycle, const Selection& sel,
            HostState* st, std::vector<Finding>* findings);
  // A read-back after a change.
  void Remember(const std::string& vmknic, const std::vector<std::string>& tags) {
    cache_[vmknic] = tags;
  }

 private:
  std::map<std::string, std::vector<std::string>> cache_;
  std::vector<std::string> last_vmknic_names_;
};

// Phase 3 (pure). Sets the report's management vmknic and address and, when the selection is
// unambiguous, its backup vmknic; adds the selection or validation findings.
struct Validation {
  std::string management;
  bool valid = false;  // the backup vmknic may carry the tag and its tags were read
};
Validation ValidateCycle(const HostState& st, const Selection& sel, bool state_ok,
                         bool backup_tags_ok, proto::HostReport* rep,
                         std::vector<Finding>* findings);

// Phase 4. Configured probe addresses first, then the proxies' requests not already listed.
std::vector<ProbeAddress> MergeProbes(const std::vector<ProbeAddress>& configured,
                                      const std::vector<ProbeAddress>& requested);
class ProbePhase {
 public:
  struct Result {
    std::vector<proto::L2Check> checks;
    CycleHealth health = CycleHealth::kUnknown;  // good: a proxy address answered; bad: none did
    std::optional<std::vector<NeighborRow>> neighbors;  // read when any ping ran
  };
  // Probes every address from `backup` (nothing when it is null or has no IPv4).
  static Result Run(HostCli& cli, const EngineSettings& s, const VmknicInfo* backup,
                    const std::vector<ProbeAddress>& probes, std::vector<Finding>* findings);
  // One address: DF ping at the MTU; when it fails, a plain ping and a DF bisection.
  static proto::L2Check CheckProbe(HostCli& cli, const EngineSettings& s, const VmknicInfo& vmk,
                                   const ProbeAddress& probe, std::vector<Finding>* findings,
                                   bool* reachable);
};

// Phase 5. Owns the failover state across cycles.
struct TagDecision {
  std::vector<TagAction> planned;     // what ensure asks for
  std::vector<std::string> blockers;  // why `planned` may not be applied now (empty: it may)
};
struct DecideInput {
  const HostState& state;
  const Selection& selection;
  const Validation& validation;
  CycleHealth health;
  const std::vector<proto::L2Check>& checks;
  const CycleOptions& options;
};
class TagPlanner {
 public:
  // Steps the failover state (unless the cycle is read-only or the move is blocked), plans the
  // tag actions and lists the blockers; a withheld plan adds one PLANNED_TAG_* finding per action.
  TagDecision Decide(const EngineSettings& s, const DecideInput& in,
                     std::vector<Finding>* findings);
  const FailoverState& failover() const { return failover_; }

 private:
  FailoverState failover_;
  // Whether this process has looked at the tag placement for a failover to resume.
  bool resume_checked_ = false;
};

// Phase 6. Applies `planned` (records a TagChange in `rep` for each), reads back every vmknic whose
// change succeeded, updates `st` and the tag cache; TAG_VERIFY_FAILED when the read-back does not
// show the change.
void ApplyPlan(HostCli& cli, TagReader& tags, const std::vector<TagAction>& planned,
               int64_t now_unix_ms, HostState* st, proto::HostReport* rep,
               std::vector<Finding>* findings);

// Phase 7 (pure). Host facts, vmknics, NFC vmknic and address, failover and hostd flags and the
// findings as problems, into `rep` (which already holds checks, changes and the vmknic roles).
void AssembleReport(const HostState& st, const std::string& host_id, bool failover_active,
                    bool hostd_available, const std::vector<Finding>& findings,
                    proto::HostReport* rep);

}  // namespace bnfc::hostagent
