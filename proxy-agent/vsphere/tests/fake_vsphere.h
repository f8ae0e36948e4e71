// A scripted vSphere SOAP server behind the Transport seam: sessions (cookie), ServiceContent,
// container views, RetrievePropertiesEx paging with tokens, faults, and a log of every request.
// Its responses follow the shapes of the vSphere WSDL (urn:vim25) as a vCenter sends them.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "client.h"

namespace bnfc::vsphere::testing {

struct TestVmknic {
  std::string device;
  std::string portgroup;  // "" on a distributed switch
  std::string ipv4;
  std::string mask = "255.255.255.0";
  std::vector<std::pair<std::string, int>> ipv6;
  std::string mac;
  int mtu = 1500;
  std::string netstack = "defaultTcpipStack";
  std::string dvport;  // distributed port key, when on a VDS
};

struct TestPortgroup {
  std::string name;
  int vlan = 0;
  std::string vswitch;
};

struct TestHost {
  std::string moref;
  std::string name;
  std::string cluster;
  std::vector<TestVmknic> vmknics;
  std::vector<TestPortgroup> portgroups;
  std::vector<std::string> management;  // selected devices per nic type
  std::vector<std::string> nfc;
  std::string vnic_manager;  // "" = not populated
  std::string connection_state = "connected";
};

inline TestVmknic Vmk(std::string device, std::string portgroup, std::string ipv4, std::string mac,
                      int mtu = 1500) {
  TestVmknic v;
  v.device = std::move(device);
  v.portgroup = std::move(portgroup);
  v.ipv4 = std::move(ipv4);
  v.mac = std::move(mac);
  v.mtu = mtu;
  return v;
}

inline std::string SoapEnvelope(const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soapenv:Envelope "
         "xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\" "
         "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n<soapenv:Body>\n" +
         body + "\n</soapenv:Body>\n</soapenv:Envelope>";
}

inline std::string SoapFault(const std::string& type, const std::string& message) {
  return SoapEnvelope("<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>" +
                      message + "</faultstring><detail><" + type +
                      "Fault xmlns=\"urn:vim25\" xsi:type=\"" + type + "\"></" + type +
                      "Fault></detail></soapenv:Fault>");
}

inline std::string VnicKey(const std::string& device) {
  return "key-vim.host.VirtualNic-" + device;
}

inline std::string HostVirtualNicXml(const TestVmknic& v, const std::string& element,
                                     const std::string& key_prefix = "") {
  std::string ip6;
  if (!v.ipv6.empty()) {
    ip6 =
        "<ipV6Config><dhcpV6Enabled>false</dhcpV6Enabled><autoConfigurationEnabled>false"
        "</autoConfigurationEnabled>";
    for (const auto& [a, len] : v.ipv6) {
      ip6 += "<ipV6Address><ipAddress>" + a + "</ipAddress><prefixLength>" + std::to_string(len) +
             "</prefixLength><origin>manual</origin><state>preferred</state></ipV6Address>";
    }
    ip6 += "</ipV6Config>";
  }
  std::string dvs;
  if (!v.dvport.empty()) {
    dvs = "<distributedVirtualPort><switchUuid>50 2a 1b</switchUuid><portKey>" + v.dvport +
          "</portKey></distributedVirtualPort>";
  }
  return "<" + element + "><device>" + v.device + "</device><key>" + key_prefix +
         VnicKey(v.device) + "</key><portgroup>" + v.portgroup +
         "</portgroup><spec><ip><dhcp>false</dhcp>" +
         (v.ipv4.empty()
              ? ""
              : "<ipAddress>" + v.ipv4 + "</ipAddress><subnetMask>" + v.mask + "</subnetMask>") +
         ip6 + "</ip><mac>" + v.mac + "</mac>" + dvs + "<mtu>" + std::to_string(v.mtu) +
         "</mtu><tsoEnabled>true</tsoEnabled><netStackInstanceKey>" + v.netstack +
         "</netStackInstanceKey></spec><port>key-vim.host.PortGroup.Port-33554436</port></" +
         element + ">";
}

inline std::string NetConfigXml(const TestHost& h, const std::string& nic_type,
                                const std::vector<std::string>& selected) {
  std::string x = "<VirtualNicManagerNetConfig><nicType>" + nic_type +
                  "</nicType><multiSelectAllowed>true</multiSelectAllowed>";
  for (const auto& v : h.vmknics) {
    x += HostVirtualNicXml(v, "candidateVnic", nic_type + ".");
  }
  for (const auto& s : selected) {
    x += "<selectedVnic>" + nic_type + "." + VnicKey(s) + "</selectedVnic>";
  }
  return x + "</VirtualNicManagerNetConfig>";
}

inline std::string HostObjectXml(const TestHost& h, const std::vector<std::string>& paths) {
  std::string x = "<objects><obj type=\"HostSystem\">" + h.moref + "</obj>";
  for (const auto& p : paths) {
    std::string val;
    if (p == "name") {
      val = "<val xsi:type=\"xsd:string\">" + h.name + "</val>";
    } else if (p == "config.network.vnic") {
      val = "<val xsi:type=\"ArrayOfHostVirtualNic\">";
      for (const auto& v : h.vmknics) {
        val += HostVirtualNicXml(v, "HostVirtualNic");
      }
      val += "</val>";
    } else if (p == "config.network.portgroup") {
      val = "<val xsi:type=\"ArrayOfHostPortGroup\">";
      for (const auto& g : h.portgroups) {
        val += "<HostPortGroup><key>key-vim.host.PortGroup-" + g.name +
               "</key><vswitch>key-vim.host.VirtualSwitch-" + g.vswitch + "</vswitch><spec><name>" +
               g.name + "</name><vlanId>" + std::to_string(g.vlan) + "</vlanId><vswitchName>" +
               g.vswitch + "</vswitchName><policy></policy></spec></HostPortGroup>";
      }
      val += "</val>";
    } else if (p == "config.virtualNicManagerInfo.netConfig") {
      val = "<val xsi:type=\"ArrayOfVirtualNicManagerNetConfig\">" +
            NetConfigXml(h, "management", h.management) +
            NetConfigXml(h, "vSphereBackupNFC", h.nfc) + NetConfigXml(h, "vmotion", {}) + "</val>";
    } else if (p == "runtime.connectionState") {
      val = "<val xsi:type=\"HostSystemConnectionState\">" + h.connection_state + "</val>";
    } else if (p == "configManager.virtualNicManager") {
      if (h.vnic_manager.empty()) {
        x += "<missingSet><path>" + p +
             "</path><fault><fault xsi:type=\"NoPermission\"></fault></fault></missingSet>";
        continue;
      }
      val = "<val type=\"HostVirtualNicManager\" xsi:type=\"ManagedObjectReference\">" +
            h.vnic_manager + "</val>";
    } else {
      continue;
    }
    x += "<propSet><name>" + p + "</name>" + val + "</propSet>";
  }
  return x + "</objects>";
}

struct Request {
  std::string action;
  std::string method;
  std::string body;
  std::string cookie;
};

// The fake answers each method like a vCenter; `override` lets a test replace one answer.
class FakeVsphere : public Transport {
 public:
  std::vector<TestHost> hosts;
  std::map<std::string, std::string> clusters;  // moref -> name
  std::string username = "backup@vsphere.local";
  std::string password = "s3cret";
  int page_size_cap = 1000000;  // the server may return fewer than maxObjects
  std::vector<Request> log;
  // method -> queue of canned (status, body) answers used before the default behaviour.
  std::map<std::string, std::deque<std::pair<int, std::string>>> canned;
  int sessions_created = 0;
  std::string live_cookie;

  static std::string Between(const std::string& s, const std::string& open,
                             const std::string& close, size_t from = 0) {
    size_t a = s.find(open, from);
    if (a == std::string::npos) {
      return "";
    }
    a += open.size();
    return s.substr(a, s.find(close, a) - a);
  }

  size_t Count(const std::string& method) const {
    size_t n = 0;
    for (const auto& r : log) {
      n += r.method == method;
    }
    return n;
  }

  Expected<HttpResponse> Post(const std::string& action, const std::string& body,
                              const std::string& cookie) override {
    Request r{action, Between(body, "<soapenv:Body><", " "), body, cookie};
    log.push_back(r);
    auto& q = canned[r.method];
    if (!q.empty()) {
      auto [status, text] = q.front();
      q.pop_front();
      return HttpResponse{status, text, ""};
    }
    const std::string resp = r.method + "Response";
    auto ok = [&](const std::string& inner, std::string set_cookie = "") {
      return HttpResponse{
          200, SoapEnvelope("<" + resp + " xmlns=\"urn:vim25\">" + inner + "</" + resp + ">"),
          std::move(set_cookie)};
    };
    if (r.method == "RetrieveServiceContent") {
      return ok(
          "<returnval><rootFolder type=\"Folder\">group-d1</rootFolder><propertyCollector "
          "type=\"PropertyCollector\">propertyCollector</propertyCollector><viewManager "
          "type=\"ViewManager\">ViewManager</viewManager><about><name>VMware vCenter "
          "Server</name><fullName>VMware vCenter Server 8.0.3</fullName><apiVersion>8.0.3.0"
          "</apiVersion></about><setting type=\"OptionManager\">VpxSettings</setting>"
          "<sessionManager type=\"SessionManager\">SessionManager</sessionManager></returnval>");
    }
    if (r.method == "Login") {
      if (Between(body, "<userName>", "</userName>") != username ||
          Between(body, "<password>", "</password>") != password) {
        return HttpResponse{500,
                            SoapFault("InvalidLogin",
                                      "Cannot complete login due to an incorrect user name or "
                                      "password."),
                            ""};
      }
      ++sessions_created;
      live_cookie = "vmware_soap_session=\"s" + std::to_string(sessions_created) + "\"";
      return ok("<returnval><key>52</key><userName>" + username + "</userName></returnval>",
                live_cookie);
    }
    if (cookie.empty() || cookie != live_cookie) {
      return HttpResponse{500, SoapFault("NotAuthenticated", "The session is not authenticated."),
                          ""};
    }
    if (r.method == "Logout" || r.method == "DestroyView") {
      if (r.method == "Logout") {
        live_cookie.clear();
      }
      return ok("");
    }
    if (r.method == "CreateContainerView") {
      views_[++view_seq_] = {Between(body, "\">", "</container>", body.find("<container")),
                             Between(body, "<type>", "</type>")};
      return ok("<returnval type=\"ContainerView\">session[52]view-" + std::to_string(view_seq_) +
                "</returnval>");
    }
    if (r.method == "RetrievePropertiesEx") {
      const std::string view_id =
          Between(body, "<obj type=\"ContainerView\">session[52]view-", "</obj>");
      auto v = views_.find(std::stoi(view_id.empty() ? "0" : view_id));
      if (v == views_.end()) {
        return HttpResponse{500, SoapFault("ManagedObjectNotFound", "view gone"), ""};
      }
      std::vector<std::string> paths;
      for (size_t at = 0; (at = body.find("<pathSet>", at)) != std::string::npos; ++at) {
        paths.push_back(Between(body, "<pathSet>", "</pathSet>", at));
      }
      pending_.clear();
      if (v->second.second == "ClusterComputeResource") {
        for (const auto& [moref, name] : clusters) {
          pending_.push_back("<objects><obj type=\"ClusterComputeResource\">" + moref +
                             "</obj><propSet><name>name</name><val xsi:type=\"xsd:string\">" +
                             name + "</val></propSet></objects>");
        }
      } else {
        for (const auto& h : hosts) {
          bool in = v->second.first == "group-d1" ||
                    (clusters.count(v->second.first) && clusters[v->second.first] == h.cluster);
          if (in) {
            pending_.push_back(HostObjectXml(h, paths));
          }
        }
      }
      max_ = std::min(std::stoi(Between(body, "<maxObjects>", "</maxObjects>")), page_size_cap);
      return Page(ok);
    }
    if (r.method == "ContinueRetrievePropertiesEx") {
      if (Between(body, "<token>", "</token>") != token_) {
        return HttpResponse{500, SoapFault("InvalidArgument", "bad token"), ""};
      }
      return Page(ok);
    }
    if (r.method == "SelectVnicForNicType" || r.method == "DeselectVnicForNicType") {
      const std::string type = Between(body, "<nicType>", "</nicType>");
      const std::string dev = Between(body, "<device>", "</device>");
      for (auto& h : hosts) {
        if (h.vnic_manager == Between(body, "\">", "</_this>", body.find("<_this"))) {
          auto& sel = type == "management" ? h.management : h.nfc;
          if (r.method[0] == 'S') {
            sel.push_back(dev);
          } else {
            sel.erase(std::remove(sel.begin(), sel.end(), dev), sel.end());
          }
          return ok("");
        }
      }
      return HttpResponse{500, SoapFault("ManagedObjectNotFound", "no such manager"), ""};
    }
    return HttpResponse{500, SoapFault("MethodNotFound", r.method), ""};
  }

 private:
  template <typename Ok>
  HttpResponse Page(Ok ok) {
    std::string x = "<returnval>";
    int n = 0;
    while (!pending_.empty() && n < max_) {
      x += pending_.front();
      pending_.pop_front();
      ++n;
    }
    if (!pending_.empty()) {
      token_ = "tok" + std::to_string(++token_seq_);
      x = "<returnval><token>" + token_ + "</token>" + x.substr(11);
    } else {
      token_.clear();
    }
    return ok(x + "</returnval>");
  }
  std::map<int, std::pair<std::string, std::string>> views_;  // id -> (container, type)
  int view_seq_ = 0;
  std::deque<std::string> pending_;
  int max_ = 0;
  std::string token_;
  int token_seq_ = 0;
};

// Two hosts like a small vCenter: esx01 with a tagged backup vmknic, esx02 without one.
inline std::vector<TestHost> TwoHosts() {
  TestHost a;
  a.moref = "host-21";
  a.name = "ESX01.lab";
  a.cluster = "c1";
  a.vmknics = {Vmk("vmk0", "Management Network", "10.0.0.11", "00:50:56:aa:00:01"),
               Vmk("vmk1", "Backup", "10.77.0.11", "00:50:56:aa:00:02", 9000)};
  a.vmknics[1].ipv6 = {{"fd00:77::11", 64}};
  a.portgroups = {{"Management Network", 0, "vSwitch0"}, {"Backup", 77, "vSwitch1"}};
  a.management = {"vmk0"};
  a.nfc = {"vmk1"};
  a.vnic_manager = "hostVnicMgr-21";
  TestHost b;
  b.moref = "host-22";
  b.name = "esx02.lab";
  b.cluster = "c2";
  b.vmknics = {Vmk("vmk0", "Management Network", "10.0.0.12", "00:50:56:bb:00:01")};
  b.portgroups = {{"Management Network", 0, "vSwitch0"}};
  b.management = {"vmk0"};
  b.vnic_manager = "hostVnicMgr-22";
  return {a, b};
}

}  // namespace bnfc::vsphere::testing
