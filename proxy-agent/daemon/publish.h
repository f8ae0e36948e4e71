// Publish: the last stage. The report and the pins go to the state directory (report.json/.txt/
// .html, pins.json/.txt), verdict changes to the history, and the figures behind /metrics are
// assembled here, in one place.
#pragma once

#include <string>
#include <vector>

#include "bnfc/env.h"
#include "bnfc/report/metrics.h"
#include "bnfc/report/report.h"
#include "history.h"
#include "pin_stage.h"

namespace bnfc::proxyd {

class Daemon;

// The cycle's figures: verdicts, pins and flows.
report::MetricsSnapshot CycleMetrics(const report::Report& built, const PinOutcome& pins,
                                     const std::vector<report::PairFacts>& facts);

// What the daemon knows besides the cycle (channel counters, connection guard, ZAP, enrolment
// store), added to a snapshot right before it is rendered.
void AddDaemonMetrics(const Daemon& daemon, report::MetricsSnapshot& m);

class Publisher {
 public:
  Publisher(Filesystem& files, std::string state_dir);
  void Publish(const report::Report& built, const PinOutcome& pins);

 private:
  Filesystem& files_;
  std::string dir_;
  VerdictHistory history_;
};

}  // namespace bnfc::proxyd
