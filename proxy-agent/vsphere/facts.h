// Host facts from a vSphere API read: each HostSystem's vmknics, portgroups and the
// VirtualNicManager selections, turned into the same typed HostReport an agent sends (without the
// host-side checks, which the API cannot run). Pure functions.
#pragma once

#include <string>
#include <vector>

#include "bnfc.pb.h"
#include "bnfc/expected.h"
#include "soap.h"

namespace bnfc::vsphere {

inline constexpr const char* kNfcNicType = "vSphereBackupNFC";
inline constexpr const char* kManagementNicType = "management";

struct VsphereHost {
  std::string host_id;                    // the HostSystem's name, lower-cased
  std::string moref;                      // host-21
  soap::MoRef vnic_manager;               // empty unless it was read (tag_policy = ensure)
  std::vector<std::string> nfc_selected;  // devices selected for vSphereBackupNFC
  std::vector<std::string> management_selected;
  // What an agent would report, with `checks` empty: no vmkping or neighbor table through the API.
  proto::HostReport report;
};

// `tag_policy` is the source's (observe | ensure). Errors name the host, the property and what was
// expected; one malformed host does not spoil the others (the caller reports it on its own).
Expected<VsphereHost> HostFromObject(const soap::ObjectContent& o, const std::string& tag_policy);

// "management.key-vim.host.VirtualNic-vmk1" (or a bare "vmk1") -> "vmk1"; "" when not a vmknic.
std::string DeviceOfSelectedVnic(const std::string& key);
// esxcli's tag name for a VirtualNicManager nic type ("management" -> "Management").
std::string TagOfNicType(const std::string& nic_type);
// "255.255.255.0" -> 24; -1 when not a contiguous IPv4 mask.
int PrefixOfMask(const std::string& mask);

// The cross-check of an agent's report against the API's view of the same host: both must name
// the same NFC address (the one ESXi hands out for NBD).
struct CrossCheck {
  bool agree = true;
  std::string evidence;
};
CrossCheck CompareNfcAddress(const proto::HostReport& agent, const VsphereHost& api,
                             const std::string& source_name);

}  // namespace bnfc::vsphere
