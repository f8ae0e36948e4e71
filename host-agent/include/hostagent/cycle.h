// The cycle engine: reads the host through a CommandRunner, decides, applies tag actions, verifies
// them, checks L2 reachability of every proxy backup address and produces a HostReport.
//
// Cost control (each launch is a process and, through hostd, maybe a second): version and netstack
// list are read once and cached; tags are read every cycle only for the backup vmknic and the
// management vmknic, for the other vmknics on the default stack on the first cycle, when the
// vmknic set changes, and every `tag_rescan_cycles` cycles; the reachability probe starts with the
// DF ping at the MTU, whose replies also prove reachability. The standard portgroup list (VLAN and
// vSwitch of each portgroup) is read on the first cycle, when any vmknic's portgroup, portset or
// VDS changes in the interface list, and every `tag_rescan_cycles` cycles (a VLAN edited on a
// portgroup shows within that period); a failed read leaves the VLANs unknown until the next of
// these. A steady cycle with one proxy address is: interface list, ipv4 get, 2 tag gets,
// 1 vmkping, neighbor list = 6 launches.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bnfc.pb.h"
#include "hostagent/decide.h"
#include "hostagent/model.h"
#include "hostagent/parse.h"
#include "hostagent/runner.h"

namespace bnfc::hostagent {

struct ProbeAddress {
  std::string address;  // the proxy's backup address
  uint32_t mtu = 0;     // the proxy interface's MTU; 0 = use the backup vmknic's
  std::string source;   // "config" or the proxy id of a ProbeRequest
};

struct EngineSettings {
  std::string host_id;
  Selector selector;
  TagPolicy policy = TagPolicy::kEnsure;
  bool exclusive = false;
  bool failover = false;  // fallback = management
  int failover_cycles = 3;
  std::vector<ProbeAddress> probes;
  std::string read_cli = "localcli";
  std::string change_cli = "esxcli";
  std::string fallback_cli = "localcli";  // used when read_cli/change_cli fails (hostd down)
  // Read the backup vmknic's tags through change_cli (esxcli, served by hostd) every cycle:
  // hostd also serves NFC, so a backup path without hostd is no path, and localcli reads alone
  // would never notice it is down.
  bool hostd_check = true;
  std::string vmkping = "vmkping";
  Format format = Format::kXml;
  std::chrono::milliseconds command_timeout{30000};
  int tag_rescan_cycles = 10;
  int ping_count = 3;
  int ping_wait_s = 1;
};

struct CycleOptions {
  bool allow_changes = true;               // false for check/status: decide, never change
  std::vector<ProbeAddress> extra_probes;  // from the proxies' ProbeRequests
  int64_t now_unix_ms = 0;
  // Consent for `ensure` to change a tag: empty when given (`run`: a proxy has acknowledged a
  // report; `tag`: the operator asked), else why not. Safe by default: no consent.
  std::string consent_missing = "no proxy has acknowledged a report yet";
  bool force = false;  // `tag --force`: change the tag without consent or proof
};

struct CycleResult {
  proto::HostReport report;
  std::vector<Finding> findings;
  std::vector<TagAction> planned;     // what ensure asks for (applied when allowed)
  std::vector<std::string> blockers;  // why `planned` was not applied (empty: it was, or none)
  HostState state;
  bool ready = false;
};

// Where reports go (the secure channel to the proxies, wired in `run`).
class ReportSink {
 public:
  virtual ~ReportSink() = default;
  virtual void Publish(const proto::HostReport& report) = 0;
};

class CycleEngine {
 public:
  CycleEngine(CommandRunner& runner, EngineSettings settings);
  CycleResult RunCycle(const CycleOptions& options);
  const FailoverState& failover() const { return failover_; }
  const EngineSettings& settings() const { return s_; }

 private:
  struct Read {
    bool ok = false;
    std::string out;
    std::string cli;  // which CLI answered
  };
  // through_hostd: try change_cli first (the hostd check), then fallback_cli.
  Read RunRead(const std::vector<std::string>& words, std::vector<Finding>* findings,
               std::string* evidence, bool through_hostd = false);
  template <typename T, typename Fn>
  std::optional<T> ReadParsed(const std::vector<std::string>& words, Fn parse,
                              std::vector<Finding>* findings, bool through_hostd = false);
  // Reads the standard portgroup list when due (see above) and sets every vmknic's VLAN.
  void ReadPortgroups(HostState* st, std::vector<Finding>* findings);
  bool ApplyAction(const TagAction& a, std::vector<Finding>* findings, std::string* evidence);
  proto::L2Check CheckProbe(const VmknicInfo& vmk, const ProbeAddress& probe,
                            std::vector<Finding>* findings, bool* reachable);
  std::optional<PingResult> Ping(const std::string& vmk, const std::string& address, int payload,
                                 bool df, int count, std::string* evidence,
                                 std::vector<Finding>* findings);

  CommandRunner& runner_;
  EngineSettings s_;
  std::optional<VersionInfo> version_;
  std::optional<std::vector<std::string>> netstacks_;
  std::map<std::string, std::vector<std::string>> tag_cache_;
  std::vector<std::string> last_vmknic_names_;
  std::optional<std::vector<PortgroupRow>> portgroups_;  // nullopt: not read or the read failed
  std::string last_l2_layout_;  // portgroup/portset/VDS of every vmknic at the last read
  FailoverState failover_;
  // Whether this process has looked at the tag placement for a failover to resume (see RunCycle).
  bool failover_resume_checked_ = false;
  uint64_t cycles_ = 0;
  bool hostd_available_ = true;
};

// JSON for `status --json` / `check --json`: the report's facts plus findings and readiness.
std::string CycleResultJson(const CycleResult& r);
// Text for `check`/`status`/`tag` on a terminal.
std::string CycleResultText(const CycleResult& r);

}  // namespace bnfc::hostagent
