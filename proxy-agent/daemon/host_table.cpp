#include "host_table.h"

namespace bnfc::proxyd {

bool HostTable::Update(const std::string& host_id, const std::string& peer_address,
                       const std::string& routing_id, const proto::HostReport& report,
                       int64_t now_ms) {
  auto [it, inserted] = hosts_.try_emplace(host_id);
  HostEntry& e = it->second;
  bool moved = inserted || e.report.nfc_address() != report.nfc_address();
  e.previous_nfc_address = moved && !inserted ? e.report.nfc_address() : "";
  e.host_id = host_id;
  e.peer_address = peer_address;
  e.routing_id = routing_id;
  e.report = report;
  e.received_ms = now_ms;
  e.reports++;
  e.source = "agent";  // a source other than the agent sets its own name after Update
  e.source_name.clear();
  return moved;
}

HostEntry* HostTable::Mutable(const std::string& host_id) {
  auto it = hosts_.find(host_id);
  return it == hosts_.end() ? nullptr : &it->second;
}

const HostEntry* HostTable::Find(const std::string& host_id) const {
  auto it = hosts_.find(host_id);
  return it == hosts_.end() ? nullptr : &it->second;
}

bool MappingInputsChanged(const HostEntry& before, const std::string& peer_address,
                          const proto::HostReport& report) {
  return before.report.nfc_address() != report.nfc_address() ||
         before.report.management_address() != report.management_address() ||
         BackupAddressOf(before.report) != BackupAddressOf(report) ||
         before.peer_address != peer_address;
}

std::string BackupAddressOf(const proto::HostReport& report) {
  for (const auto& v : report.vmknics()) {
    if (report.backup_vmknic().empty() || v.name() != report.backup_vmknic()) {
      continue;
    }
    if (!v.ipv4().address().empty()) {
      return v.ipv4().address();
    }
    if (v.ipv6_addresses_size() > 0) {
      const std::string& a = v.ipv6_addresses(0);
      return a.substr(0, a.find('/'));
    }
  }
  return report.nfc_address();
}

}  // namespace bnfc::proxyd
