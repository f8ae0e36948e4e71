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

std::vector<std::string> HostTable::Expired(int64_t now_ms, int64_t ttl_ms) const {
  std::vector<std::string> out;
  for (const auto& [id, e] : hosts_) {
    if (now_ms - e.received_ms > ttl_ms) {
      out.push_back(id);
    }
  }
  return out;
}

std::vector<std::string> HostTable::SameAddressAs(const std::string& host_id) const {
  std::vector<std::string> out;
  const HostEntry* me = Find(host_id);
  if (me == nullptr || me->report.nfc_address().empty()) {
    return out;
  }
  for (const auto& [id, e] : hosts_) {
    if (id != host_id && e.report.nfc_address() == me->report.nfc_address()) {
      out.push_back(id);
    }
  }
  return out;
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
