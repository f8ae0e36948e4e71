// Intake: the first stage of the proxy's pipeline. A host agent's report is decoded here, once,
// into typed HostFacts; nothing after this stage reads the HostReport.
#pragma once

#include "host_facts.h"
#include "host_table.h"

namespace bnfc::proxyd {

// One entry of the host table as typed facts (source: agent). Pure.
HostFacts FactsFromAgentReport(const HostEntry& entry);
// Every host in the table. Pure.
HostFactsTable Intake(const HostTable& hosts);

}  // namespace bnfc::proxyd
