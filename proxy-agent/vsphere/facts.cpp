#include "facts.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "bnfc/net.h"
#include "bnfc/text.h"

namespace bnfc::vsphere {

namespace {

using text::Trim;

class HostParser {
 public:
  explicit HostParser(const soap::ObjectContent& o) : o_(o) {}

  Unexpected Bad(const std::string& where, const std::string& what) const {
    return Unexpected(ErrorCode::kParse,
                      "host " + text::EscapeForLine(o_.obj.value, 64) + " " + where + ": " + what);
  }

  // A property's <val>, checking its declared type when the server declares one.
  Expected<const xml::Node*> Prop(const std::string& path, const std::string& xsi_type,
                                  bool required = true) const {
    auto it = o_.props.find(path);
    if (it == o_.props.end()) {
      auto m = o_.missing.find(path);
      if (!required) {
        return static_cast<const xml::Node*>(nullptr);
      }
      return Bad(path, m != o_.missing.end()
                           ? "the server could not read it (" + m->second +
                                 "); the source's role needs read access to the host"
                           : "missing from the answer");
    }
    if (!xsi_type.empty() && !it->second.xsi_type.empty() && it->second.xsi_type != xsi_type) {
      return Bad(path, "is of type " + text::EscapeForLine(it->second.xsi_type, 64) +
                           ", expected " + xsi_type);
    }
    return &it->second;
  }

  Expected<uint32_t> Number(const std::string& where, const std::string& text, uint32_t min,
                            uint32_t max) const {
    const std::string t = Trim(text);
    if (t.empty() || t.size() > 10 || t.find_first_not_of("0123456789") != std::string::npos) {
      return Bad(where, "expected a number from " + std::to_string(min) + " to " +
                            std::to_string(max) + ", got " + text::QuoteUntrusted(t, 32));
    }
    unsigned long long v = std::stoull(t);
    if (v < min || v > max) {
      return Bad(where, "expected a number from " + std::to_string(min) + " to " +
                            std::to_string(max) + ", got " + t);
    }
    return static_cast<uint32_t>(v);
  }

 private:
  const soap::ObjectContent& o_;
};

}  // namespace

std::string DeviceOfSelectedVnic(const std::string& key) {
  const std::string marker = "VirtualNic-";
  size_t at = key.rfind(marker);
  std::string dev = at == std::string::npos ? key : key.substr(at + marker.size());
  if (dev.size() < 4 || dev.compare(0, 3, "vmk") != 0 ||
      dev.find_first_not_of("0123456789", 3) != std::string::npos) {
    return "";
  }
  return dev;
}

std::string TagOfNicType(const std::string& nic_type) {
  static const std::map<std::string, std::string> tags = {
      {"management", "Management"},
      {"vmotion", "VMotion"},
      {"faultToleranceLogging", "faultToleranceLogging"},
      {"vSphereReplication", "vSphereReplication"},
      {"vSphereReplicationNFC", "vSphereReplicationNFC"},
      {"vSphereProvisioning", "vSphereProvisioning"},
      {"vsan", "VSAN"},
      {"vsanWitness", "VSANWitness"},
      {"vSphereBackupNFC", "vSphereBackupNFC"},
      {"nvmeTcp", "NVMeTCP"},
      {"nvmeRdma", "NVMeRDMA"},
  };
  auto it = tags.find(nic_type);
  return it == tags.end() ? nic_type : it->second;
}

int PrefixOfMask(const std::string& mask) {
  auto a = net::IpAddress::Parse(mask);
  if (!a || a->family != net::Family::kIPv4) {
    return -1;
  }
  uint32_t v = (uint32_t{a->bytes[0]} << 24) | (uint32_t{a->bytes[1]} << 16) |
               (uint32_t{a->bytes[2]} << 8) | uint32_t{a->bytes[3]};
  int len = 0;
  while (len < 32 && (v & (0x80000000u >> len)) != 0) {
    ++len;
  }
  // Contiguous: nothing set after the first zero bit.
  if (len < 32 && (v << len) != 0) {
    return -1;
  }
  return len;
}

Expected<VsphereHost> HostFromObject(const soap::ObjectContent& o, const std::string& tag_policy) {
  HostParser p(o);
  VsphereHost h;
  h.moref = o.obj.value;
  if (o.obj.type != "HostSystem") {
    return p.Bad("", "is a " + text::EscapeForLine(o.obj.type, 64) + ", not a HostSystem");
  }
  auto name = p.Prop("name", "string");
  if (!name) {
    return name.error();
  }
  h.host_id = text::AsciiLower(Trim((*name)->text));
  if (h.host_id.empty() || h.host_id.size() > 255) {
    return p.Bad("name", "must be 1 to 255 characters");
  }
  if (auto vm = o.props.find("configManager.virtualNicManager"); vm != o.props.end()) {
    auto ref = soap::ToMoRef(vm->second, "configManager.virtualNicManager");
    if (!ref) {
      return p.Bad("configManager.virtualNicManager", ref.error().message);
    }
    h.vnic_manager = *ref;
  }
  proto::HostReport& r = h.report;
  r.mutable_host()->set_product("VMware ESXi");
  r.mutable_host()->set_hostname(h.host_id);
  r.set_tag_policy(tag_policy);
  // vCenter keeps the last known config of a host it cannot reach: such facts are not current.
  if (auto cs = o.props.find("runtime.connectionState"); cs != o.props.end()) {
    const std::string state = Trim(cs->second.text);
    r.set_hostd_available(state == "connected");
    if (state != "connected") {
      proto::Problem* pr = r.add_problems();
      pr->set_code("HOSTD_DOWN");
      pr->set_detail("vCenter reports the host as " + text::EscapeForLine(state, 32) +
                     ", so its configuration is the last one vCenter knew");
      pr->set_evidence("runtime.connectionState = " + text::EscapeForLine(state, 32));
    }
  } else {
    r.set_hostd_available(true);  // a standalone host answering for itself
  }

  // Portgroups: name -> (vSwitch, VLAN).
  auto pgs = p.Prop("config.network.portgroup", "ArrayOfHostPortGroup");
  if (!pgs) {
    return pgs.error();
  }
  struct Pg {
    std::string vswitch;
    uint32_t vlan = 0;
  };
  std::map<std::string, Pg> portgroups;
  for (const xml::Node* g : (*pgs)->Children("HostPortGroup")) {
    const xml::Node* spec = g->Child("spec");
    const std::string pg_name = spec ? spec->ChildText("name") : "";
    if (pg_name.empty()) {
      return p.Bad("config.network.portgroup", "a HostPortGroup has no spec.name");
    }
    auto vlan = p.Number("portgroup " + text::QuoteUntrusted(pg_name, 64) + " vlanId",
                         spec->ChildText("vlanId"), 0, 4095);
    if (!vlan) {
      return vlan.error();
    }
    portgroups[pg_name] = Pg{spec->ChildText("vswitchName"), *vlan};
  }

  // VirtualNicManager selections: nic type -> selected devices.
  auto ncs = p.Prop("config.virtualNicManagerInfo.netConfig", "ArrayOfVirtualNicManagerNetConfig");
  if (!ncs) {
    return ncs.error();
  }
  std::map<std::string, std::vector<std::string>> tags_of;  // device -> tags
  for (const xml::Node* nc : (*ncs)->Children("VirtualNicManagerNetConfig")) {
    const std::string type = nc->ChildText("nicType");
    if (type.empty()) {
      return p.Bad("config.virtualNicManagerInfo.netConfig", "a netConfig has no nicType");
    }
    for (const xml::Node* s : nc->Children("selectedVnic")) {
      const std::string dev = DeviceOfSelectedVnic(Trim(s->text));
      if (dev.empty()) {
        return p.Bad("netConfig " + type,
                     "selectedVnic " + text::QuoteUntrusted(s->text, 80) + " names no vmknic");
      }
      tags_of[dev].push_back(TagOfNicType(type));
      if (type == kNfcNicType) {
        h.nfc_selected.push_back(dev);
      } else if (type == kManagementNicType) {
        h.management_selected.push_back(dev);
      }
    }
  }

  auto vnics = p.Prop("config.network.vnic", "ArrayOfHostVirtualNic");
  if (!vnics) {
    return vnics.error();
  }
  std::map<std::string, const proto::Vmknic*> by_name;
  for (const xml::Node* v : (*vnics)->Children("HostVirtualNic")) {
    proto::Vmknic* out = r.add_vmknics();
    const std::string dev = v->ChildText("device");
    if (DeviceOfSelectedVnic(dev) != dev || dev.empty()) {
      return p.Bad("config.network.vnic",
                   "device " + text::QuoteUntrusted(dev, 32) + " is not a vmknic name (vmkN)");
    }
    if (by_name.count(dev) != 0) {
      return p.Bad("config.network.vnic", dev + " appears twice");
    }
    out->set_name(dev);
    out->set_portgroup(v->ChildText("portgroup"));
    out->set_enabled(true);
    const xml::Node* spec = v->Child("spec");
    if (spec == nullptr) {
      return p.Bad(dev, "has no spec");
    }
    out->set_netstack(spec->ChildText("netStackInstanceKey").empty()
                          ? "defaultTcpipStack"  // older servers omit the default stack
                          : spec->ChildText("netStackInstanceKey"));
    const std::string mac = spec->ChildText("mac");
    if (!mac.empty()) {
      auto m = net::MacAddress::Parse(mac);
      if (!m) {
        return p.Bad(dev + " mac", "not a MAC address: " + text::QuoteUntrusted(mac, 40));
      }
      out->set_mac(m->ToString());
    }
    if (!spec->ChildText("mtu").empty()) {
      auto mtu = p.Number(dev + " mtu", spec->ChildText("mtu"), 68, 65535);
      if (!mtu) {
        return mtu.error();
      }
      out->set_mtu(*mtu);
    }
    if (const xml::Node* ip = spec->Child("ip")) {
      const std::string addr = ip->ChildText("ipAddress");
      if (!addr.empty()) {
        auto a = net::IpAddress::Parse(addr);
        const int len = PrefixOfMask(ip->ChildText("subnetMask"));
        if (!a || a->family != net::Family::kIPv4) {
          return p.Bad(dev + " ipAddress",
                       "not an IPv4 address: " + text::QuoteUntrusted(addr, 64));
        }
        if (len < 0) {
          return p.Bad(dev + " subnetMask",
                       "not a contiguous IPv4 mask: " +
                           text::QuoteUntrusted(ip->ChildText("subnetMask"), 64));
        }
        out->mutable_ipv4()->set_address(a->ToString());
        out->mutable_ipv4()->set_prefix_length(static_cast<uint32_t>(len));
        out->mutable_ipv4()->set_type(ip->ChildText("dhcp") == "true" ? "DHCP" : "STATIC");
      }
      if (const xml::Node* v6 = ip->Child("ipV6Config")) {
        for (const xml::Node* a6 : v6->Children("ipV6Address")) {
          auto a = net::IpAddress::Parse(a6->ChildText("ipAddress"));
          if (!a || a->family != net::Family::kIPv6) {
            return p.Bad(
                dev + " ipV6Address",
                "not an IPv6 address: " + text::QuoteUntrusted(a6->ChildText("ipAddress"), 64));
          }
          auto len = p.Number(dev + " prefixLength", a6->ChildText("prefixLength"), 0, 128);
          if (!len) {
            return len.error();
          }
          out->add_ipv6_addresses(a->ToString() + "/" + std::to_string(*len));
        }
      }
    }
    if (const xml::Node* dvp = spec->Child("distributedVirtualPort")) {
      // The distributed portgroup's VLAN is not in the host's config: only the switch is known.
      out->set_on_vds(true);
      out->set_switch_name(dvp->ChildText("switchUuid"));
      out->set_vlan_known(false);
    } else if (auto pg = portgroups.find(out->portgroup()); pg != portgroups.end()) {
      out->set_switch_name(pg->second.vswitch);
      out->set_vlan_known(true);
      out->set_vlan_id(pg->second.vlan);
    }
    for (const auto& t : tags_of[dev]) {
      out->add_tags(t);
    }
    by_name[dev] = out;
  }
  for (const auto& [dev, tags] : tags_of) {
    if (by_name.count(dev) == 0) {
      return p.Bad("config.virtualNicManagerInfo.netConfig",
                   dev + " is selected but not in config.network.vnic");
    }
  }

  // Management: the selected management vmknic (vmk0 when the server names none).
  std::vector<std::string> mgmt = h.management_selected;
  std::sort(mgmt.begin(), mgmt.end());
  const std::string mgmt_dev = !mgmt.empty() ? mgmt.front() : (by_name.count("vmk0") ? "vmk0" : "");
  r.set_management_vmknic(mgmt_dev);
  if (!mgmt_dev.empty()) {
    r.set_management_address(by_name[mgmt_dev]->ipv4().address());
  }
  // NFC: what ESXi hands out: the vmknic selected for vSphereBackupNFC, else the management one.
  std::vector<std::string> nfc = h.nfc_selected;
  std::sort(nfc.begin(), nfc.end());
  if (!nfc.empty()) {
    r.set_nfc_vmknic(nfc.front());  // several: the tag check fails on TAG_ON_SEVERAL_VMKNICS
    const proto::Vmknic& v = *by_name[nfc.front()];
    r.set_nfc_address(!v.ipv4().address().empty() ? v.ipv4().address()
                      : v.ipv6_addresses().empty()
                          ? ""
                          : v.ipv6_addresses(0).substr(0, v.ipv6_addresses(0).find('/')));
  } else {
    r.set_nfc_address(r.management_address());
  }
  return h;
}

CrossCheck CompareNfcAddress(const proto::HostReport& agent, const VsphereHost& api,
                             const std::string& source_name) {
  CrossCheck c;
  auto a = net::IpAddress::Parse(agent.nfc_address());
  auto v = net::IpAddress::Parse(api.report.nfc_address());
  c.agree = a && v && a->ToString() == v->ToString();
  c.evidence = "agent: NFC address " +
               (agent.nfc_address().empty() ? std::string("(none)") : agent.nfc_address()) +
               " on " + (agent.nfc_vmknic().empty() ? "(no tag)" : agent.nfc_vmknic()) + "; " +
               source_name + ": " +
               (api.report.nfc_address().empty() ? "(none)" : api.report.nfc_address()) + " on " +
               (api.report.nfc_vmknic().empty() ? "(no vSphereBackupNFC selection)"
                                                : api.report.nfc_vmknic());
  return c;
}

}  // namespace bnfc::vsphere
