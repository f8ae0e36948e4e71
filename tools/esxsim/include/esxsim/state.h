// The simulated host: a JSON state file (schema in docs/esxsim.md), loaded into typed structs with
// precise errors, and updated under a lock with an atomic rename (unknown fields are kept).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bnfc/expected.h"

namespace esxsim {

using Json = nlohmann::ordered_json;

struct HostInfo {
  std::string hostname = "esx01";
  std::string product = "VMware ESXi";
  std::string version = "8.0.3";
  std::string build = "Releasebuild-24677879";
  std::string update = "3";
  std::string patch = "0";
  std::string acceptance_level = "PartnerSupported";
};

struct Ipv4Config {
  std::string address;  // empty: no IPv4
  std::string netmask;
  std::string broadcast;  // computed from address/netmask when absent
  std::string gateway = "0.0.0.0";
  std::string type = "STATIC";
  bool dhcp_dns = false;
};

struct Ipv6Address {
  std::string address;
  int64_t prefix = 64;
  std::string type = "STATIC";
  std::string status = "PREFERRED";
};

struct Vmknic {
  std::string name;
  std::string portgroup;
  std::string portset = "vSwitch0";  // state key "vswitch" (or the older "portset")
  std::string vds;                   // non-empty: on this VDS (no standard portgroup)
  int64_t vlan = 0;                  // its standard portgroup's VLAN ID
  std::string netstack = "defaultTcpipStack";
  std::string mac;
  int64_t mtu = 1500;
  bool enabled = true;
  Ipv4Config ipv4;
  std::vector<Ipv6Address> ipv6;
  std::vector<std::string> tags;
  std::string vds_name = "N/A";
  std::string vds_uuid = "N/A";
  std::string vds_port = "N/A";
  int64_t vds_connection = -1;
  std::string opaque_network_id = "N/A";
  std::string opaque_network_type = "N/A";
  std::string external_id = "N/A";
  int64_t tso_mss = 65535;
  int64_t rxdispqueue_size = 4;
  int64_t port_id = 0;  // default: 67108879 + index
  int64_t urpf = 0;
};

// A standard-switch portgroup (`network vswitch standard portgroup list`).
struct Portgroup {
  std::string name;
  std::string vswitch = "vSwitch0";
  int64_t vlan = 0;
  int64_t active_clients = -1;  // -1: the number of vmknics in it
};

struct Neighbor {
  std::string ip;
  std::string mac;
  std::string vmknic;
  int64_t expiry_s = 1200;
  std::string type = "Dynamic";
  std::string state;
  std::string netstack;  // default: the vmknic's netstack
};

struct Route {
  std::string network;
  std::string netmask;
  std::string gateway;
  std::string interface;
  std::string source = "MANUAL";
  std::string netstack = "defaultTcpipStack";
};

struct Netstack {
  std::string key;
  std::string name;
  int64_t state = 4660;
};

struct Ruleset {
  std::string name;
  bool enabled = false;
  bool enable_disable_configurable = true;
  bool allowed_ip_configurable = true;
};

struct Vib {
  std::string name;
  std::string version;
  std::string vendor;
  std::string acceptance_level = "CommunitySupported";
  std::string install_date;
  std::string platforms = "host";
  std::string source;  // what `software vib install` was given
  std::string Id() const { return vendor + "_bootbank_" + name + "_" + version; }
};

// A static-mode ping target: who answers and how (times are in milliseconds).
struct PingTarget {
  std::string ip;
  std::string vmknic;          // empty: any vmknic
  std::vector<double> rtt_ms;  // reply times, used in turn (cycled); default 0.2 ms
  int64_t ttl = 64;
  int64_t path_mtu = 0;  // 0: no limit beyond the vmknic MTU
};

struct Faults {
  std::map<std::string, std::string> latency;  // command path or "*" -> "1.5s"
  bool hostd_down = false;
  bool fail_tag_add = false;
  std::string fail_tag_add_message;
  std::map<std::string, std::string> garble;  // command path -> "truncate" | "garbage"
};

struct Options {
  bool allow_multi_nfc_tag = true;
  bool tag_requires_default_netstack = false;
  std::vector<std::string> valid_tags;  // empty: the built-in list
};

struct State {
  HostInfo host;
  bool live = false;
  std::vector<Vmknic> vmknics;
  // The `portgroups` list plus the portgroups of standard-switch vmknics, sorted by name, active
  // clients resolved (computed at load; never written back).
  std::vector<Portgroup> portgroups;
  std::vector<Netstack> netstacks;
  std::vector<Neighbor> neighbors;
  std::vector<Route> routes;
  std::vector<Ruleset> firewall_rulesets;
  std::vector<Vib> vibs;
  std::vector<PingTarget> ping_targets;
  Faults faults;
  Options options;

  const Vmknic* FindVmknic(const std::string& name) const;
};

// Typed view of a parsed document; errors name the JSON path ("vmknics[1].mtu: expected ...").
bnfc::Expected<State> StateFromJson(const Json& doc);

// Reads and validates a state file.
bnfc::Expected<State> LoadState(const std::string& path);

// Runs `mutate` on the document under an exclusive flock of `<path>.lock`, validates the result
// and replaces the file atomically. `mutate` returning an error leaves the file untouched.
bnfc::Status UpdateState(const std::string& path,
                         const std::function<bnfc::Status(Json& doc, const State& st)>& mutate);

// "1.5s", "200ms", "2" (seconds), "0s" -> milliseconds; error for anything else.
bnfc::Expected<int64_t> ParseDurationMs(const std::string& text);

// Version tuple from "8.0.3" (missing parts are 0).
struct Version {
  int major = 0, minor = 0, micro = 0, update = 0;
  bool AtLeast(int ma, int mi, int up = 0) const;
};
Version HostVersion(const HostInfo& h);

}  // namespace esxsim
