// `bnfc-hostd run`, `keygen` and `key show`: the long-running host agent and its key handling.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "bnfc/env.h"
#include "hostagent/cycle.h"
#include "hostagent/runner.h"
#include "reporter.h"

namespace bnfc::hostagent {

struct DaemonSettings {
  EngineSettings engine;
  std::chrono::milliseconds interval{60000};
  bool proxies_configured = false;  // without a proxy, ensure never gets consent
  // Pump slice: how long one Pump may block before the loop looks at its stop flag and triggers.
  std::chrono::milliseconds pump_slice{200};
};

// The long-running agent: a cycle every interval, each report published to the proxies, and an
// early cycle when a proxy asks for a new address or first acknowledges a withheld plan. Every side
// effect comes in: time (env.clock) for the interval and the changes' timestamps, the command
// runner for the host, the report channel for the proxies.
class HostDaemon {
 public:
  HostDaemon(Environment env, CommandRunner& runner, ReportChannel& reporter,
             DaemonSettings settings);

  // One cycle: runs the engine with the proxies' probe targets and consent, logs and journals tag
  // changes, publishes the report.
  CycleResult RunCycle();
  // Pumps the report channel until the next cycle is due (one interval after the last cycle ended)
  // or should run at once; returns early when `stop` is set.
  void WaitForNextCycle(const std::atomic<bool>& stop);
  // Cycles until `stop`. Returns the exit code: 0 when stopped, 1 when `commands_alive` says the
  // command runner can run nothing more (the supervisor restarts the agent).
  int Run(const std::atomic<bool>& stop, const std::function<bool()>& commands_alive);

  uint64_t cycles() const { return cycles_; }
  const CycleEngine& engine() const { return engine_; }

 private:
  bool RunEarly() const;

  Environment env_;
  ReportChannel& reporter_;
  DaemonSettings settings_;
  CycleEngine engine_;
  ChangeJournal journal_;
  std::set<std::string> known_targets_;
  std::string last_plan_;
  std::string consent_missing_;  // as given to the last cycle
  std::chrono::steady_clock::time_point next_due_;
  uint64_t cycles_ = 0;
};

// Returns the process exit code. Runs cycles every `interval`, reports to every proxy, takes the
// proxies' ProbeRequest targets into the next cycle, until SIGTERM/SIGINT.
int RunDaemon(const std::string& config_path, bool foreground, std::ostream& err);
// Creates the host key pair named in the config (or in DIR as host.key/host.pub) if missing.
int Keygen(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
// Prints this host's public key and its fingerprint.
int KeyShow(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace bnfc::hostagent
