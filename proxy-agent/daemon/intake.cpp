#include "intake.h"

#include "ensure.h"

namespace bnfc::proxyd {

HostFacts FactsFromAgentReport(const HostEntry& e) {
  HostFacts f;
  f.host_id = e.host_id;
  f.source = e.source == "vsphere" ? FactsSource::kVsphere : FactsSource::kAgent;
  f.received_ms = e.received_ms;
  f.nfc = AddressFact::Of(e.report.nfc_address());
  f.management = AddressFact::Of(e.report.management_address());
  f.backup = AddressFact::Of(BackupAddressOf(e.report));
  f.control_peer = AddressFact::Of(e.peer_address);
  f.host = report::HostSideFromReport(e.report);
  f.host.source = FactsSourceName(f.source);
  // The agent always states its checks (an empty list is a statement too: none ran); the vSphere
  // API cannot run them.
  if (f.source == FactsSource::kAgent) {
    f.l2_checks = std::move(f.host.checks);
    f.agent_changes = report::AgentChangesFromReport(e.report);
  }
  // Under ensure the proxy tags the host through the API itself: its changes ride in the read.
  if (f.source == FactsSource::kVsphere && e.report.tag_policy() == "ensure") {
    f.agent_changes = report::AgentChangesFromReport(e.report);
    for (report::AgentChange& c : *f.agent_changes) {
      c.by = vsphere::ApiChangeAuthor(e.source_name);
    }
  }
  for (const auto& v : e.report.vmknics()) {
    if (!e.report.backup_vmknic().empty() && v.name() == e.report.backup_vmknic()) {
      f.backup_mtu = v.mtu();
    }
  }
  f.host.checks.clear();
  f.source_disagreement = e.cross_check;
  if (f.source == FactsSource::kAgent && !e.api_view_source.empty()) {
    // Against the agent's latest report, not the one the API read was compared with.
    vsphere::VsphereHost api;
    api.report = e.api_view;
    auto c = vsphere::CompareNfcAddress(e.report, api, e.api_view_source);
    f.source_disagreement = c.agree ? "" : c.evidence;
  }
  return f;
}

HostFactsTable Intake(const HostTable& hosts) {
  HostFactsTable out;
  for (const auto& [id, e] : hosts.hosts()) {
    HostFacts f = FactsFromAgentReport(e);
    f.host_id = id;  // the table's key is the authenticated identity
    out.emplace(id, std::move(f));
  }
  return out;
}

}  // namespace bnfc::proxyd
