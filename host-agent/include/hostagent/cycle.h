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
#include "hostagent/cycle_phases.h"
#include "hostagent/decide.h"
#include "hostagent/engine_settings.h"
#include "hostagent/model.h"
#include "hostagent/parse.h"
#include "hostagent/runner.h"

namespace bnfc::hostagent {

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

// Runs the phases of cycle_phases.h in order and keeps their state between cycles.
class CycleEngine {
 public:
  CycleEngine(CommandRunner& runner, EngineSettings settings);
  CycleEngine(const CycleEngine&) = delete;  // the phases hold a reference to s_
  CycleEngine& operator=(const CycleEngine&) = delete;
  CycleResult RunCycle(const CycleOptions& options);
  const FailoverState& failover() const { return planner_.failover(); }
  const EngineSettings& settings() const { return s_; }

 private:
  EngineSettings s_;
  HostCli cli_;
  HostReader reader_;
  TagReader tags_;
  TagPlanner planner_;
  uint64_t cycles_ = 0;
};

// JSON for `status --json` / `check --json`: the report's facts plus findings and readiness.
std::string CycleResultJson(const CycleResult& r);
// Text for `check`/`status`/`tag` on a terminal.
std::string CycleResultText(const CycleResult& r);

}  // namespace bnfc::hostagent
