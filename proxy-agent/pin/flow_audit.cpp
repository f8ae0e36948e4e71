#include "flow_audit.h"

#include <algorithm>
#include <set>

namespace bnfc::pin {

std::vector<ClassifiedFlow> ClassifyFlows(const std::vector<Flow>& flows,
                                          const std::vector<FlowTarget>& targets,
                                          const std::map<int, std::string>& interface_names) {
  auto name = [&](int ifindex) {
    if (ifindex == 0)
      return std::string("no interface (route lookup failed)");
    auto it = interface_names.find(ifindex);
    return it != interface_names.end() ? it->second : "ifindex " + std::to_string(ifindex);
  };
  std::vector<ClassifiedFlow> out;
  for (const auto& f : flows) {
    ClassifiedFlow c;
    c.flow = f;
    std::string flow_text =
        f.source.ToString() + " -> " + f.destination.ToString() + ":" + std::to_string(f.dport);
    // The NFC address decides first: an address that is one host's NFC address and another's
    // management address is judged as NFC traffic.
    for (const auto& t : targets) {
      if (t.nfc_address != f.destination)
        continue;
      c.host_id = t.host_id;
      if (t.backup_ifindex != 0 && f.oif == t.backup_ifindex) {
        c.cls = FlowClass::kOnBackup;
      } else {
        c.cls = FlowClass::kOffBackup;
        c.reason = flow_text + " to the NFC address of " + t.host_id + " leaves through " +
                   name(f.oif) +
                   (t.backup_ifindex != 0 ? ", not the backup interface " + name(t.backup_ifindex)
                                          : "; no backup interface is mapped for it");
      }
      break;
    }
    if (c.host_id.empty()) {
      for (const auto& t : targets) {
        if (t.management_address && *t.management_address == f.destination) {
          c.host_id = t.host_id;
          c.cls = FlowClass::kOffBackup;
          c.reason = flow_text + " goes to the management address of " + t.host_id + " (through " +
                     name(f.oif) +
                     "): vCenter handed out the management address, the backup tag is not in "
                     "effect";
          break;
        }
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace bnfc::pin
