// What the proxy knows about each enrolled host: its latest report and when it arrived. Pure
// bookkeeping, no I/O, so freshness, address moves and duplicates are unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bnfc.pb.h"

namespace bnfc::proxyd {

struct HostEntry {
  std::string host_id;
  std::string peer_address;  // control-channel source address
  std::string routing_id;    // for replies on the open connection
  proto::HostReport report;
  int64_t received_ms = 0;
  uint64_t reports = 0;
  std::string previous_nfc_address;  // set when the NFC address changed with the last report
  // "agent" (the report came over the secure channel) or "vsphere" (read through the vSphere API
  // of `source_name`; no control connection, no host-side checks).
  std::string source = "agent";
  std::string source_name;
  // Evidence of the vSphere API naming another NFC address than this host's agent ("" when they
  // agree or no source covers the host).
  std::string cross_check;
  // The vSphere API's view of an agent host (its last read by `api_view_source`; empty source
  // when none): the cross-check is made again against every later agent report, so an agent
  // that moves the tag cannot look agreed until the next API read.
  proto::HostReport api_view;
  std::string api_view_source;
};

// The address the host's L2 checks must start from: its backup vmknic's (IPv4, else first IPv6),
// falling back to the NFC address when the report names no backup vmknic with an address. While
// failover has moved the tag to management the NFC address is the management one, yet the host
// still has to learn that the backup path works again before it may move the tag back.
std::string BackupAddressOf(const proto::HostReport& report);

// True when `report` (from `peer_address`) changes what the host's mapping depends on: its NFC,
// management or backup address, or the control connection's source.
bool MappingInputsChanged(const HostEntry& before, const std::string& peer_address,
                          const proto::HostReport& report);

class HostTable {
 public:
  // Returns true when the NFC address changed (or the host is new).
  bool Update(const std::string& host_id, const std::string& peer_address,
              const std::string& routing_id, const proto::HostReport& report, int64_t now_ms);
  void Remove(const std::string& host_id) { hosts_.erase(host_id); }
  HostEntry* Mutable(const std::string& host_id);
  const HostEntry* Find(const std::string& host_id) const;
  const std::map<std::string, HostEntry>& hosts() const { return hosts_; }

 private:
  std::map<std::string, HostEntry> hosts_;
};

}  // namespace bnfc::proxyd
