// The cycle engine (see cycle.h for the read/launch budget).
#include "hostagent/cycle.h"

#include "hostagent/cycle_phases.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bnfc/net.h"
#include "bnfc/version.h"
#include "hostagent/inventory.h"

namespace bnfc::hostagent {
CycleEngine::CycleEngine(CommandRunner& runner, EngineSettings settings)
    : s_(std::move(settings)), cli_(runner, s_) {}

CycleResult CycleEngine::RunCycle(const CycleOptions& options) {
  CycleResult res;
  std::vector<Finding>& findings = res.findings;
  proto::HostReport& rep = res.report;
  const unsigned launches_before = cli_.launches();
  cli_.BeginCycle();
  ++cycles_;
  rep.set_agent_version(BNFC_VERSION);
  rep.set_tag_policy(TagPolicyName(s_.policy));

  HostReader::Result read = reader_.Read(cli_, s_, cycles_, &findings);
  HostState& st = read.state;
  Selection sel;
  if (read.ok) {
    sel = SelectBackupVmknic(st, s_.selector);
  }
  const bool backup_tags_ok = tags_.Read(cli_, s_, cycles_, sel, &st, &findings);
  const Validation validation = ValidateCycle(st, sel, read.ok, backup_tags_ok, &rep, &findings);

  // L2 reachability of every proxy backup address from the backup vmknic.
  const VmknicInfo* backup = sel.vmknic.empty() ? nullptr : st.Find(sel.vmknic);
  ProbePhase::Result probed =
      ProbePhase::Run(cli_, s_, backup, MergeProbes(s_.probes, options.extra_probes), &findings);
  if (probed.neighbors) {
    st.neighbors = *probed.neighbors;
  }
  for (proto::L2Check& c : probed.checks) {
    *rep.add_checks() = std::move(c);
  }

  const std::vector<proto::L2Check> checks(rep.checks().begin(), rep.checks().end());
  TagDecision decision = planner_.Decide(
      s_, DecideInput{st, sel, validation, probed.health, checks, options}, &findings);
  res.planned = std::move(decision.planned);
  res.blockers = std::move(decision.blockers);
  if (res.blockers.empty() && !res.planned.empty()) {
    ApplyPlan(cli_, tags_, res.planned, options.now_unix_ms, &st, &rep, &findings);
  }
  if (validation.valid) {
    std::vector<Finding> t =
        TagFindings(st, sel.vmknic, validation.management, planner_.failover().active);
    findings.insert(findings.end(), t.begin(), t.end());
  }

  AssembleReport(st, s_.host_id, planner_.failover().active, cli_.hostd_available(), findings,
                 &rep);
  rep.set_command_launches(cli_.launches() - launches_before);
  res.ready = Ready(findings) && read.ok;
  res.state = std::move(st);
  return res;
}

std::string CycleResultJson(const CycleResult& r) {
  using nlohmann::json;
  const proto::HostReport& rep = r.report;
  json j;
  j["host"] = HostJson(r.state.version);
  j["host_id"] = rep.host().hostname();
  j["vmknics"] = json::array();
  for (const VmknicInfo& v : r.state.vmknics) {
    j["vmknics"].push_back(VmknicJson(v));
  }
  auto str_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  j["backup_vmknic"] = str_or_null(rep.backup_vmknic());
  j["nfc_vmknic"] = str_or_null(rep.nfc_vmknic());
  j["nfc_address"] = str_or_null(rep.nfc_address());
  j["management_vmknic"] = str_or_null(rep.management_vmknic());
  j["management_address"] = str_or_null(rep.management_address());
  j["tag_policy"] = rep.tag_policy();
  j["failover_active"] = rep.failover_active();
  j["hostd_available"] = rep.hostd_available();
  j["command_launches"] = rep.command_launches();
  j["ready"] = r.ready;
  j["checks"] = json::array();
  for (const proto::L2Check& c : rep.checks()) {
    j["checks"].push_back(json{{"proxy_address", c.proxy_address()},
                               {"vmknic", c.vmknic()},
                               {"in_subnet", c.in_subnet()},
                               {"ran", c.ran()},
                               {"ping_sent", c.ping_sent()},
                               {"ping_received", c.ping_received()},
                               {"expected_mtu", c.expected_mtu()},
                               {"largest_df_payload", c.largest_df_payload()},
                               {"df_at_mtu_ok", c.df_at_mtu_ok()},
                               {"neighbor_mac", str_or_null(c.neighbor_mac())},
                               {"evidence", c.evidence()}});
  }
  j["planned"] = json::array();
  for (const TagAction& a : r.planned) {
    j["planned"].push_back(
        json{{"vmknic", a.vmknic}, {"action", a.add ? "add" : "remove"}, {"reason", a.reason}});
  }
  // Why `planned` was not applied (empty when it was, or when nothing is planned).
  j["not_applied_because"] = r.planned.empty() ? json::array() : json(r.blockers);
  j["changes"] = json::array();
  for (const proto::TagChange& c : rep.changes()) {
    j["changes"].push_back(json{{"vmknic", c.vmknic()},
                                {"action", c.action()},
                                {"reason", c.reason()},
                                {"ok", c.ok()},
                                {"at_unix_ms", c.at_unix_ms()}});
  }
  j["findings"] = json::array();
  for (const Finding& f : r.findings) {
    j["findings"].push_back(json{{"code", f.code},
                                 {"detail", f.detail},
                                 {"blocking", f.blocking},
                                 {"evidence", f.evidence}});
  }
  return j.dump(2, ' ', false, json::error_handler_t::replace);  // invalid UTF-8 must not throw
}

std::string CycleResultText(const CycleResult& r) {
  const proto::HostReport& rep = r.report;
  std::ostringstream o;
  o << "host:          " << rep.host().product() << " " << rep.host().version() << " "
    << rep.host().build() << "\n";
  o << "backup vmknic: " << (rep.backup_vmknic().empty() ? "(none)" : rep.backup_vmknic()) << "\n";
  o << "NFC address:   " << (rep.nfc_address().empty() ? "(none)" : rep.nfc_address())
    << (rep.nfc_vmknic().empty() ? " (no vmknic carries vSphereBackupNFC)"
                                 : " (" + rep.nfc_vmknic() + ")")
    << "\n";
  o << "tag policy:    " << rep.tag_policy() << (rep.failover_active() ? ", failover active" : "")
    << "\n";
  for (const proto::L2Check& c : rep.checks()) {
    o << "check " << c.proxy_address() << " from " << c.vmknic() << ": "
      << (!c.in_subnet()
              ? "outside the subnet"
              : (c.ran() ? std::to_string(c.ping_received()) + "/" + std::to_string(c.ping_sent()) +
                               " replies, DF at MTU " + std::to_string(c.expected_mtu()) + " " +
                               (c.df_at_mtu_ok() ? "ok" : "failed") + ", neighbor " +
                               (c.neighbor_mac().empty() ? "-" : c.neighbor_mac())
                         : "not run"))
      << "\n";
  }
  for (const proto::TagChange& c : rep.changes()) {
    o << "change: " << c.action() << " vSphereBackupNFC on " << c.vmknic() << " ("
      << (c.ok() ? "done" : "FAILED") << ")\n";
  }
  for (const Finding& f : r.findings) {
    o << (f.blocking ? "FINDING " : "note    ") << f.code << ": " << f.detail << "\n";
  }
  o << "commands run:  " << rep.command_launches() << "\n";
  o << (r.ready ? "READY for isolated NBD\n" : "NOT READY for isolated NBD\n");
  return o.str();
}

}  // namespace bnfc::hostagent
