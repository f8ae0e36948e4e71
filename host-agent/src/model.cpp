#include "hostagent/model.h"

#include <algorithm>

namespace bnfc::hostagent {

bool VmknicInfo::HasTag(const std::string& tag) const {
  return tags && std::find(tags->begin(), tags->end(), tag) != tags->end();
}

std::string VmknicInfo::SwitchName() const {
  if (vds_name) {
    return *vds_name;
  }
  return portset.value_or("");
}

const VmknicInfo* HostState::Find(const std::string& name) const {
  for (const VmknicInfo& v : vmknics) {
    if (v.name == name) {
      return &v;
    }
  }
  return nullptr;
}

VmknicInfo* HostState::Find(const std::string& name) {
  return const_cast<VmknicInfo*>(static_cast<const HostState*>(this)->Find(name));
}

std::vector<VmknicInfo> MergeVmknics(const std::vector<InterfaceRow>& interfaces,
                                     const std::vector<Ipv4Row>& ipv4,
                                     const std::vector<Ipv6Row>& ipv6) {
  std::vector<VmknicInfo> out;
  for (const InterfaceRow& i : interfaces) {
    VmknicInfo v;
    v.name = i.name;
    v.portgroup = i.portgroup;
    v.portset = i.portset;
    v.vds_name = i.vds_name;
    v.netstack = i.netstack;
    v.mac = i.mac;
    v.mtu = i.mtu;
    v.enabled = i.enabled;
    for (const Ipv4Row& r : ipv4) {
      if (r.name == i.name && r.address) {
        Ipv4Config c;
        c.address = *r.address;
        c.netmask = r.netmask;
        c.prefix = r.prefix;
        c.gateway = r.gateway;
        c.type = r.type;
        v.ipv4 = c;
        break;
      }
    }
    for (const Ipv6Row& r : ipv6) {
      if (r.interface == i.name) {
        v.ipv6.push_back(r.address + "/" + std::to_string(r.prefix));
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

void ApplyPortgroups(const std::vector<PortgroupRow>* rows, std::vector<VmknicInfo>* vmknics) {
  for (VmknicInfo& v : *vmknics) {
    v.vlan_id.reset();
    if (rows == nullptr || v.OnVds() || !v.portgroup || !v.portset) {
      continue;
    }
    for (const PortgroupRow& r : *rows) {
      // Portgroup names are unique per host, but matching the vSwitch too keeps a stale or
      // inconsistent list from lending one switch's VLAN to another.
      if (r.name == *v.portgroup && r.vswitch == *v.portset) {
        v.vlan_id = r.vlan_id;
        break;
      }
    }
  }
}

}  // namespace bnfc::hostagent
