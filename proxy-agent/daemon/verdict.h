// The verdict for one (proxy, host) pair: a small pure function of the facts, so every rule is
// unit-tested case by case. ISOLATED only when every check ran and passed; a wrong ISOLATED is the
// worst bug this project can have.
#pragma once

#include <string>
#include <vector>

#include "bnfc.pb.h"

namespace bnfc::proxyd {

enum class Verdict { kIsolated, kDegraded, kUnknown, kUnreachable, kNotIsolated };
const char* VerdictName(Verdict v);

struct Finding {
  std::string code;
  std::string detail;  // what is wrong and what to do
  std::string evidence;
  Verdict implies = Verdict::kIsolated;  // the verdict this finding forces at least
};

struct PairFacts {
  std::string host_id;
  bool has_report = false;
  bool fresh = false;
  int64_t report_age_ms = 0;
  proto::HostReport report;
  // Proxy side.
  bool mapped = false;
  std::string map_finding;  // NO_MAPPING | AMBIGUOUS_MAPPING | NOT_L2_ADJACENT | INTERFACE_DOWN
  std::string map_detail;
  std::string interface;
  std::string proxy_address;  // backup source address on the mapped interface
  std::string proxy_mac;      // MAC of the mapped interface
  bool pin_installed = false;
  bool neighbor_checked = false;
  std::string neighbor_mac;  // proxy's neighbor entry for the NFC address
  bool flows_checked = false;
  int flows_on_backup = 0;
  int flows_off_backup = 0;
  std::string flow_evidence;
  std::vector<std::string> same_address_hosts;
  bool allow_public_plaintext = false;
};

struct PairResult {
  std::string host_id;
  std::string nfc_address;
  std::string interface;
  Verdict verdict = Verdict::kUnknown;
  std::vector<Finding> findings;
  bool encryption_recommended = false;
};

PairResult Evaluate(const PairFacts& facts);

}  // namespace bnfc::proxyd
