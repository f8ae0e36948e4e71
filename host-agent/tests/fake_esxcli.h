// esxcli/vmkping output of a small fake host, for the cycle engine's and its phases' tests.
#pragma once

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "hostagent/model.h"
#include "hostagent/testing/fake_runner.h"

namespace bnfc::hostagent {

struct FakeVmk {
  std::string name;
  std::string ip;  // empty: no IPv4
  std::string netstack = kDefaultNetstack;
  int mtu = 1500;
  std::vector<std::string> tags;
  std::string portgroup;
  std::string mac;
};

// Where a vmknic is plugged (by vmknic name; absent: vSwitch0, VLAN 0).
struct FakeL2 {
  int vlan = 0;                      // the portgroup's VLAN (standard switch)
  std::string portset = "vSwitch0";  // standard switch
  std::string vds;                   // non-empty: on this distributed switch
};
using FakeL2Map = std::map<std::string, FakeL2>;

inline FakeL2 L2Of(const FakeL2Map& l2, const std::string& vmk) {
  auto it = l2.find(vmk);
  return it == l2.end() ? FakeL2{} : it->second;
}

inline std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    out += (i ? ", " : "") + v[i];
  }
  return out;
}

inline std::string InterfaceListText(const std::vector<FakeVmk>& vmks, const FakeL2Map& l2) {
  std::string o;
  for (const FakeVmk& v : vmks) {
    const FakeL2 w = L2Of(l2, v.name);
    const bool vds = !w.vds.empty();
    o += v.name + "\n   Name: " + v.name + "\n   MAC Address: " + v.mac +
         "\n   Enabled: true\n   Portset: " + (vds ? "DvsPortset-0" : w.portset) +
         "\n   Portgroup: " + (vds ? "N/A" : v.portgroup) +
         "\n   Netstack Instance: " + v.netstack + "\n   VDS Name: " + (vds ? w.vds : "N/A") +
         "\n   MTU: " + std::to_string(v.mtu) + "\n\n";
  }
  return o;
}

inline std::string Ipv4Text(const std::vector<FakeVmk>& vmks) {
  std::string o =
      "Name  IPv4 Address  IPv4 Netmask   IPv4 Broadcast  Address Type  Gateway  DHCP DNS\n"
      "----  ------------  -------------  --------------  ------------  -------  --------\n";
  for (const FakeVmk& v : vmks) {
    std::string ip = v.ip.empty() ? "N/A" : v.ip;
    std::string mask = v.ip.empty() ? "N/A" : "255.255.255.0";
    char line[256];
    std::snprintf(line, sizeof(line), "%-4s  %-12s  %-13s  %-14s  %-12s  %-7s  %8s\n",
                  v.name.c_str(), ip.c_str(), mask.c_str(), "N/A", "STATIC", "N/A", "false");
    o += line;
  }
  return o;
}

// esxcli network vswitch standard portgroup list for the standard-switch vmknics.
inline std::string PortgroupText(const std::vector<FakeVmk>& vmks, const FakeL2Map& l2) {
  std::string o =
      "Name                Virtual Switch  Active Clients  VLAN ID\n"
      "------------------  --------------  --------------  -------\n";
  for (const FakeVmk& v : vmks) {
    const FakeL2 w = L2Of(l2, v.name);
    if (w.vds.empty()) {
      char line[256];
      std::snprintf(line, sizeof(line), "%-18s  %-14s  %14d  %7d\n", v.portgroup.c_str(),
                    w.portset.c_str(), 1, w.vlan);
      o += line;
    }
  }
  return o;
}

inline std::string TagsText(const std::vector<std::string>& tags) {
  return "   Tags: " + Join(tags) + "\n";
}

inline std::string PingText(const std::string& addr, int payload, int sent, int received,
                            bool too_long = false) {
  std::string o = "PING " + addr + " (" + addr + "): " + std::to_string(payload) + " data bytes\n";
  for (int i = 0; i < received; ++i) {
    o += std::to_string(payload + 8) + " bytes from " + addr + ": icmp_seq=" + std::to_string(i) +
         " ttl=64 time=0.200 ms\n";
  }
  for (int i = received; too_long && i < sent; ++i) {
    o += "sendto() failed (Message too long)\n";
  }
  o += "\n--- " + addr + " ping statistics ---\n" + std::to_string(sent) +
       " packets transmitted, " + std::to_string(received) + " packets received, " +
       std::to_string(sent ? (sent - received) * 100 / sent : 0) + "% packet loss\n";
  if (received > 0) {
    o += "round-trip min/avg/max = 0.200/0.200/0.200 ms\n";
  }
  return o;
}

inline const char* const kNeighbors =
    "Neighbor     Mac Address        Vmknic  Expiry    State  Type\n"
    "-----------  -----------------  ------  --------  -----  -------\n"
    "10.99.0.100  00:11:22:33:44:55  vmk2    1199 sec         Dynamic\n"
    "10.98.0.1    00:11:22:33:44:01  vmk0     300 sec         Dynamic\n";

inline std::string NetstackListText(const std::vector<FakeVmk>& vmks) {
  std::vector<std::string> stacks{kDefaultNetstack};
  for (const FakeVmk& v : vmks) {
    if (std::find(stacks.begin(), stacks.end(), v.netstack) == stacks.end()) {
      stacks.push_back(v.netstack);
    }
  }
  std::string o;
  for (const std::string& n : stacks) {
    o += (o.empty() ? "" : "\n") + n + "\n   Key: " + n + "\n   Name: " + n + "\n   State: 4660\n";
  }
  return o;
}

// Scripts every read a cycle makes of the host `vmks` describes through `cli`: version,
// netstacks, interfaces, IPv4, portgroups, each vmknic's tags and the neighbor table. The
// answers that follow the vmknics replace earlier ones; the others queue behind anything
// scripted before (a test may script a first failing read, then this).
inline void ScriptHostReads(FakeCommandRunner& fake, const std::vector<FakeVmk>& vmks,
                            const FakeL2Map& l2, const std::string& cli = "localcli") {
  auto replace = [&](const std::string& key, const std::string& out) {
    fake.Clear(key);
    fake.Script(key, out);
  };
  fake.Script(cli + " system version get",
              "   Product: VMware ESXi\n   Version: 8.0.3\n   Build: Releasebuild-24677879\n");
  fake.Script(cli + " network ip netstack list", NetstackListText(vmks));
  replace(cli + " network ip interface list", InterfaceListText(vmks, l2));
  replace(cli + " network ip interface ipv4 get", Ipv4Text(vmks));
  for (const FakeVmk& v : vmks) {
    replace(cli + " network ip interface tag get -i " + v.name, TagsText(v.tags));
  }
  fake.Script(cli + " network ip neighbor list", kNeighbors);
  replace(cli + " network vswitch standard portgroup list", PortgroupText(vmks, l2));
}

}  // namespace bnfc::hostagent
