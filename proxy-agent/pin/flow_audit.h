// Flow audit: which TCP/902 flows in the kernel's socket table use the backup path. Pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernel.h"

namespace bnfc::pin {

// Flow audit: which TCP/902 flows use the backup path.
struct FlowTarget {
  std::string host_id;
  net::IpAddress nfc_address;
  int backup_ifindex = 0;  // 0: the NFC address maps to no backup interface
  std::optional<net::IpAddress> management_address;
};

enum class FlowClass { kOnBackup, kOffBackup, kUnrelated };

struct ClassifiedFlow {
  Flow flow;
  std::string host_id;  // empty for kUnrelated
  FlowClass cls = FlowClass::kUnrelated;
  std::string reason;  // for kOffBackup: why, one sentence
};

// On-backup: to a host's NFC address and leaving through its backup interface. Off-backup
// (FLOW_OFF_BACKUP): to an NFC address but leaving elsewhere (or with no backup interface for it),
// or to a host's management address (vCenter handed that out: the tag is not in effect).
std::vector<ClassifiedFlow> ClassifyFlows(const std::vector<Flow>& flows,
                                          const std::vector<FlowTarget>& targets,
                                          const std::map<int, std::string>& interface_names = {});

}  // namespace bnfc::pin
