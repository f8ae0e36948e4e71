// What the cycle engine is configured with (from the agent config) and what each cycle is asked
// to do (from the daemon or the command line).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "hostagent/decide.h"
#include "hostagent/parse.h"

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

}  // namespace bnfc::hostagent
