// Facts for a pair where every isolation condition holds; tests break one thing at a time.
#pragma once

#include "bnfc/report/verdict.h"

namespace bnfc::report::testing {

inline PairFacts GoodFacts(const std::string& host_id = "esx01",
                           const std::string& nfc = "10.99.0.11") {
  PairFacts f;
  f.proxy_id = "proxy01";
  f.host_id = host_id;
  f.has_report = true;
  f.report_age_ms = 4'000;
  f.freshness_limit_ms = 90'000;
  f.observed_unix_ms = 1718100000000;  // 2024-06-11T10:00:00Z
  HostSide& h = f.host;
  h.hostname = host_id;
  h.esxi_version = "8.0.3 (Releasebuild-24677879)";
  h.agent_version = "0.1.0";
  h.tag_policy = "ensure";
  h.nfc_vmknic = "vmk2";
  h.nfc_address = nfc;
  h.nfc_netstack = "defaultTcpipStack";
  h.nfc_vmknic_mac = "00:50:56:6a:bb:01";
  h.nfc_vmknic_mtu = 9000;
  h.management_vmknic = "vmk0";
  h.management_address = "10.98.0.11";
  // vmk0: management on vSwitch0 VLAN 10; vmk2: backup on vSwitch0 VLAN 20, its own subnet.
  HostVmknic vmk0;
  vmk0.name = "vmk0";
  vmk0.portgroup = "Management Network";
  vmk0.netstack = "defaultTcpipStack";
  vmk0.ipv4 = "10.98.0.11";
  vmk0.ipv4_prefix = 24;
  vmk0.tags = {"Management"};
  vmk0.switch_name = "vSwitch0";
  vmk0.vlan_known = true;
  vmk0.vlan_id = 10;
  HostVmknic vmk2 = vmk0;
  vmk2.name = "vmk2";
  vmk2.portgroup = "Backup";
  vmk2.ipv4 = nfc;
  vmk2.tags = {"vSphereBackupNFC"};
  vmk2.vlan_id = 20;
  h.vmknics = {vmk0, vmk2};
  HostL2Check c;
  c.proxy_address = "10.99.0.100";
  c.vmknic = "vmk2";
  c.ran = true;
  c.in_subnet = true;
  c.ping_sent = 3;
  c.ping_received = 3;
  c.expected_mtu = 9000;
  c.largest_df_payload = 8972;
  c.df_at_mtu_ok = true;
  c.neighbor_mac = "02:00:00:00:00:64";
  c.evidence = "vmkping -I vmk2 -c 3 10.99.0.100\n3 packets transmitted, 3 packets received";
  h.checks.push_back(c);
  f.mapping.ran = true;
  f.mapping.interface = "eth1";
  f.mapping.source_address = "10.99.0.100";
  f.mapping.interface_mac = "02:00:00:00:00:64";
  f.mapping.interface_mtu = 9000;
  f.mapping.l2_adjacent = true;
  f.mapping.detail = "eth1 holds 10.99.0.0/24";
  f.path.ran = true;
  f.path.management_address = "10.98.0.11";
  f.path.management_interface = "eth0";
  f.path.management_next_hop = "10.98.0.11";
  f.path.management_next_hop_mac = "00:50:56:6a:aa:01";
  f.path.control_peer = "10.98.0.11";
  f.path.control_interface = "eth0";
  f.path.backup_probe_ran = true;  // nobody answered for 10.98.0.11 on eth1
  f.path.backup_probe_evidence = "1 ARP probe on eth1 for 300 ms";
  f.pin = PinFacts{true, true, "10.99.0.11 dev eth1 src 10.99.0.100 table 902 proto 190"};
  f.neighbor =
      NeighborFacts{true, "00:50:56:6a:bb:01", "10.99.0.11 dev eth1 lladdr 00:50:56:6a:bb:01"};
  f.flows = FlowFacts{true, 2, 0, ""};
  return f;
}

}  // namespace bnfc::report::testing

#include "bnfc/report/report.h"

namespace bnfc::report::testing {

// One pair per verdict, like the demo: isolated, tag missing, stale, ping failing, pin missing.
inline std::vector<PairFacts> SampleFacts() {
  std::vector<PairFacts> v;
  v.push_back(GoodFacts("esx01", "10.99.0.11"));
  PairFacts tag = GoodFacts("esx02", "10.98.0.12");
  tag.host.nfc_vmknic.clear();
  v.push_back(tag);
  PairFacts stale = GoodFacts("esx03", "10.99.0.13");
  stale.report_age_ms = 600'000;
  v.push_back(stale);
  PairFacts down = GoodFacts("esx04", "10.99.0.14");
  down.host.checks[0].ping_received = 0;
  v.push_back(down);
  PairFacts pin = GoodFacts("esx05", "10.99.0.15");
  pin.pin.installed = false;
  v.push_back(pin);
  return v;
}

inline Report SampleReport() {
  // 2024-06-11T10:00:00Z
  return BuildReport("proxy01", "0.1.0", 1718100000000, SampleFacts());
}

}  // namespace bnfc::report::testing
