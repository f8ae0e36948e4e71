// Pin: the desired pins (every host within its TTL whose NFC address maps), reconciled with the
// kernel, then read back: the pin check reports what the kernel holds, not what was wanted. The
// kernel is dumped once when nothing had to change, twice only after a change.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bnfc/report/verdict.h"
#include "host_facts.h"
#include "lifetimes.h"
#include "map_stage.h"
#include "mapping.h"
#include "reconcile.h"
#include "report_files.h"

namespace bnfc::proxyd {

struct PinOutcome {
  std::vector<PinRow> rows;  // hosts within their TTL: what `bnfc-proxyd pins` shows
  std::string error;         // reconcile failure or the kernel's refusals; "" when none
  size_t desired = 0;        // routes wanted
  size_t installed = 0;      // pin routes read back
  size_t dumps = 0;          // kernel dumps this run took
  std::map<std::string, report::PinFacts> facts;  // host id -> pin check (mapped hosts)
};

class PinStage {
 public:
  PinStage(pin::Kernel& kernel, const pin::Ownership& own, const Lifetimes& lifetimes)
      : kernel_(kernel), own_(own), lifetimes_(lifetimes) {}
  // The whole table from this run's mappings.
  PinOutcome Run(const HostFactsTable& hosts, const HostMappings& maps,
                 const std::vector<pin::LocalAddress>& local, int64_t now_ms);
  // One host's mapping changed between runs: its pin (only) follows at once; the other pins stay
  // as the last run left them. Fails when the kernel cannot be read or written.
  Expected<pin::ReconcileResult> Repin(const HostFacts& host, const pin::MapResult& map,
                                       int64_t now_ms);
  // Clean stop: removes every route and rule we own unless `retain`.
  void Stop(bool retain);
  const pin::Ownership& ownership() const { return own_; }

 private:
  bool Want(pin::PinTable& table, const HostFacts& host, const pin::MapResult& map,
            int64_t now_ms) const;

  pin::Kernel& kernel_;
  pin::Ownership own_;
  Lifetimes lifetimes_;
  pin::PinTable table_;  // as the last run (and repins since) wanted it
  std::string last_error_;
};

// Why a row is (not) pinned, one phrase.
std::string PinReason(const pin::MapResult& m);

}  // namespace bnfc::proxyd
