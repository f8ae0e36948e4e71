// The facts builder: the typed outputs of intake, map, pin and observe in, the verdict engine's
// PairFacts out. Pure: no kernel, no clock, no files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bnfc/report/verdict.h"
#include "host_facts.h"
#include "map_stage.h"
#include "observe_stage.h"

namespace bnfc::proxyd {

struct FactsBuilderOptions {
  std::string proxy_id;
  int64_t freshness_ms = 0;
  bool allow_public_plaintext = false;
};

// What the mapping check shows of one mapping (the proxy interface's MAC from `local`).
report::MappingFacts MappingFactsOf(const pin::MapResult& m,
                                    const std::vector<pin::LocalAddress>& local);

// Other hosts stating the same NFC address as `host_id`.
std::vector<std::string> DuplicatesOf(const HostFactsTable& hosts, const std::string& host_id);

// One PairFacts per host, in host id order.
std::vector<report::PairFacts> BuildPairFacts(const FactsBuilderOptions& options,
                                              const HostFactsTable& hosts, const HostMappings& maps,
                                              const std::map<std::string, report::PinFacts>& pins,
                                              const Observations& seen,
                                              const std::vector<pin::LocalAddress>& local,
                                              int64_t now_ms);

}  // namespace bnfc::proxyd
