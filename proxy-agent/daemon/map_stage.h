// Map: which backup interface each host's NFC address is pinned through. The proxy's own paths to
// the host's management side are learned first, since automatic mapping must never choose them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bnfc/report/verdict.h"
#include "host_facts.h"
#include "mapping.h"
#include "observer.h"
#include "proxy_config.h"

namespace bnfc::proxyd {

// The mapping rules of the configuration, parsed once.
struct MappingRules {
  std::vector<pin::ManualMapping> manual;
  std::vector<std::string> backup_interfaces;  // empty: any interface may be mapped

  static MappingRules Of(const ProxyConfig& config);
};

// The proxy's own paths towards a host's management side: the route (and next hop's neighbor
// entry) to its management address, and the route back to the source of its control connection.
report::PathFacts LearnManagementPaths(Observer& observer,
                                       const std::vector<pin::LocalAddress>& local,
                                       const AddressFact& management,
                                       const AddressFact& control_peer);
// The interfaces those paths leave through (what automatic mapping must never choose).
std::vector<std::string> ManagementInterfaces(const report::PathFacts& path);

// The NFC address onto a local interface; an unusable address is NO_MAPPING. Pure.
pin::MapResult MapNfc(const AddressFact& nfc, const std::vector<pin::LocalAddress>& local,
                      const MappingRules& rules, const std::vector<std::string>& excluded);

struct HostMapping {
  report::PathFacts path;  // the management side, as learned before mapping
  pin::MapResult map;
};
using HostMappings = std::map<std::string, HostMapping>;  // host id -> mapping

// One host: its management paths, then its mapping.
HostMapping MapHost(Observer& observer, const std::vector<pin::LocalAddress>& local,
                    const MappingRules& rules, const HostFacts& host);

// The management interfaces behind each host address (NFC and backup vmknic address), and of all
// hosts: what ProbeTargetsFor must exclude between cycles.
class ManagementIndex {
 public:
  void Add(const HostFacts& host, const std::vector<std::string>& interfaces);
  void Clear();
  // The interfaces known for `address`, else those of all hosts.
  const std::vector<std::string>& For(const std::string& address) const;

 private:
  std::map<std::string, std::vector<std::string>> by_address_;
  std::vector<std::string> any_;
};

}  // namespace bnfc::proxyd
