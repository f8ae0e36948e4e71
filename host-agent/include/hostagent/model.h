// Values read from an ESXi host: what the esxcli parsers produce and what the decisions consume.
// A field the output did not have (old builds, missing columns) is std::nullopt.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bnfc::hostagent {

inline constexpr const char* kNfcTag = "vSphereBackupNFC";
inline constexpr const char* kManagementTag = "Management";
inline constexpr const char* kDefaultNetstack = "defaultTcpipStack";

// esxcli system version get
struct VersionInfo {
  std::optional<std::string> product;
  std::optional<std::string> version;
  std::optional<std::string> build;
  std::optional<std::string> update;
  std::optional<std::string> patch;
};

// esxcli network ip interface list (one record)
struct InterfaceRow {
  std::string name;
  std::optional<std::string> mac;
  std::optional<bool> enabled;
  std::optional<std::string> portset;
  std::optional<std::string> portgroup;  // nullopt when the output says N/A (VDS ports)
  std::optional<std::string> netstack;   // missing before 5.5
  std::optional<std::string> vds_name;
  std::optional<int> mtu;
};

// esxcli network vswitch standard portgroup list (one row)
struct PortgroupRow {
  std::string name;
  std::string vswitch;
  std::optional<long long> active_clients;
  int vlan_id = 0;  // 0 = untagged, 4095 = all VLANs (trunk to the guest)
};

// esxcli network ip interface ipv4 get (one row)
struct Ipv4Row {
  std::string name;
  std::optional<std::string> address;  // nullopt for N/A or empty (no IPv4 configured)
  std::optional<std::string> netmask;
  std::optional<int> prefix;  // derived from the netmask
  std::optional<std::string> broadcast;
  std::optional<std::string> type;     // STATIC | DHCP | NONE
  std::optional<std::string> gateway;  // column missing on old builds
  std::optional<bool> dhcp_dns;
};

// esxcli network ip interface ipv6 address list (one row)
struct Ipv6Row {
  std::string interface;
  std::string address;
  int prefix = 0;
  std::optional<std::string> type;
  std::optional<std::string> status;
};

// esxcli network ip netstack list (one record)
struct NetstackRow {
  std::string key;
  std::optional<std::string> name;
  std::optional<long long> state;
};

// esxcli network ip neighbor list (one row)
struct NeighborRow {
  std::string ip;
  std::string mac;
  std::string vmknic;
  std::optional<long long> expiry_s;
  std::optional<std::string> state;  // usually empty -> nullopt
  std::optional<std::string> type;   // Dynamic | Unknown | Static; column missing on 5.x
};

// esxcli network ip route ipv4 list (one row)
struct RouteRow {
  std::string network;
  std::string netmask;
  std::string gateway;
  std::string interface;
  std::optional<std::string> source;
};

// vmkping / ping output
struct PingResult {
  std::string target;  // the address in the PING line
  int payload_bytes = 0;
  int transmitted = 0;
  int received = 0;
  int loss_percent = 0;
  int replies = 0;  // "N bytes from" lines
  std::optional<double> rtt_min_ms;
  std::optional<double> rtt_avg_ms;
  std::optional<double> rtt_max_ms;
  std::vector<std::string> send_errors;  // "Message too long", "Host is down", ...
  bool message_too_long = false;
};

// One vmknic with everything known about it (interface list + ipv4 + ipv6 + tags).
struct Ipv4Config {
  std::string address;
  std::optional<std::string> netmask;
  std::optional<int> prefix;
  std::optional<std::string> gateway;
  std::optional<std::string> type;
};

struct VmknicInfo {
  std::string name;
  std::optional<std::string> portgroup;
  std::optional<std::string> portset;   // standard vSwitch name ("DvsPortset-N" on a VDS)
  std::optional<std::string> vds_name;  // set: the vmknic is on this distributed switch
  std::optional<int> vlan_id;           // from the portgroup list (standard switches only)
  std::optional<std::string> netstack;
  std::optional<std::string> mac;
  std::optional<int> mtu;
  std::optional<bool> enabled;
  std::optional<Ipv4Config> ipv4;
  std::vector<std::string> ipv6;                 // "addr/len"
  std::optional<std::vector<std::string>> tags;  // nullopt: not read
  bool HasTag(const std::string& tag) const;
  bool OnVds() const { return vds_name.has_value(); }
  // The VDS name on a VDS, else the standard vSwitch (Portset); "" when unknown.
  std::string SwitchName() const;
};

struct HostState {
  VersionInfo version;
  std::vector<VmknicInfo> vmknics;
  std::vector<NeighborRow> neighbors;
  std::vector<RouteRow> routes;
  std::vector<std::string> netstacks;
  const VmknicInfo* Find(const std::string& name) const;
  VmknicInfo* Find(const std::string& name);
};

// Merges the per-command rows into per-vmknic records (in interface-list order).
std::vector<VmknicInfo> MergeVmknics(const std::vector<InterfaceRow>& interfaces,
                                     const std::vector<Ipv4Row>& ipv4,
                                     const std::vector<Ipv6Row>& ipv6);

// Sets vlan_id of every standard-switch vmknic whose portgroup (by name AND vSwitch) is in `rows`;
// clears it otherwise (VDS vmknics, unknown portgroup, no list). A VDS port's VLAN is not in the
// standard portgroup list, so it stays unknown.
void ApplyPortgroups(const std::vector<PortgroupRow>* rows, std::vector<VmknicInfo>* vmknics);

}  // namespace bnfc::hostagent
