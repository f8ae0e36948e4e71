#include "network_side.h"

#include <chrono>

#include "bnfc/log.h"
#include "bnfc/version.h"
#include "facts_builder.h"
#include "intake.h"

namespace bnfc::proxyd {

ProxyNetworkSide::ProxyNetworkSide(const ProxyConfig& config, ProxyEnvironment env)
    : config_(config),
      env_(env),
      lifetimes_(Lifetimes::Of(config)),
      rules_(MappingRules::Of(config)),
      pins_(env.kernel,
            pin::Ownership{config.route_table, config.rt_protocol, config.rule_priority,
                           config.nfc_port},
            lifetimes_),
      publisher_(env.base.files, config.state_dir) {
  auto watch = env_.kernel.WatchLinks();
  if (watch)
    watch_ = std::move(*watch);
  else
    log::Warn("no link change notifications (" + watch.error().message +
              "); changes are seen at the next interval");
}

std::vector<pin::LocalAddress> ProxyNetworkSide::ReadAddresses() {
  if (auto local = env_.kernel.Addresses())
    local_ = std::move(*local);
  return local_;
}

std::vector<proto::ProbeTarget> ProxyNetworkSide::ProbeTargetsFor(const std::string& nfc) {
  auto local = env_.kernel.Addresses();
  std::vector<proto::ProbeTarget> out;
  if (!local)
    return out;
  auto m = MapNfc(AddressFact::Of(nfc), *local, rules_, management_.For(nfc));
  if (m.ok) {
    proto::ProbeTarget t;
    t.set_address(m.source.ToString());
    t.set_mtu(static_cast<uint32_t>(m.mtu));
    t.set_interface(m.interface);
    out.push_back(t);
  }
  return out;
}

void ProxyNetworkSide::Cycle(const HostTable& hosts, int64_t now_ms) {
  RunPipeline(Intake(hosts), now_ms);
}

void ProxyNetworkSide::HostChanged(const HostTable& hosts, const std::string& host_id,
                                   int64_t now_ms) {
  if (const HostEntry* e = hosts.Find(host_id))
    Repin(FactsFromAgentReport(*e), now_ms);
}

void ProxyNetworkSide::Repin(const HostFacts& host, int64_t now_ms) {
  const auto local = ReadAddresses();
  HostMapping hm = MapHost(env_.observer, local, rules_, host);
  management_.Add(host, ManagementInterfaces(hm.path));
  auto rec = pins_.Repin(host, hm.map, now_ms);
  if (!rec)
    log::Warn("pin for " + host.host_id + " not updated: " + rec.error().message);
}

bool ProxyNetworkSide::KernelChanged() {
  if (!watch_)
    return false;
  auto changed = watch_->Drain();
  if (!changed) {
    log::Warn("link change notifications lost (" + changed.error().message +
              "); changes are seen at the next interval");
    watch_.reset();
    return false;
  }
  return *changed;
}

void ProxyNetworkSide::RunPipeline(const HostFactsTable& hosts, int64_t now_ms) {
  const auto started = env_.base.clock.Steady();
  const auto local = ReadAddresses();

  // Map: the management side first, since automatic mapping must never choose its interface.
  HostMappings maps;
  management_.Clear();
  for (const auto& [id, h] : hosts) {
    maps[id] = MapHost(env_.observer, local, rules_, h);
    management_.Add(h, ManagementInterfaces(maps[id].path));
  }
  ProbeBackupSegments(env_.observer, local, ObserveOptions{}.arp_timeout_ms, maps);

  // Pin, then observe through the pins.
  const PinOutcome pinned = pins_.Run(hosts, maps, local, now_ms);
  last_pin_dumps_ = pinned.dumps;
  ObserveOptions observe;
  observe.nfc_port = config_.nfc_port;
  observe.tcp_check = config_.tcp_check;
  const Observations seen = Observe(env_.observer, observe, lifetimes_, hosts, maps, local, now_ms);
  ensure_proofs_ = EnsureProofs(env_.observer, observe, rules_, hosts, maps, local, seen);

  // Facts (pure) -> verdicts (pure) -> publish.
  const FactsBuilderOptions options{config_.proxy_id, lifetimes_.freshness_ms,
                                    config_.allow_public_plaintext};
  const auto facts = BuildPairFacts(options, hosts, maps, pinned.facts, seen, local, now_ms);
  report::Report built = report::BuildReport(config_.proxy_id, BNFC_VERSION, now_ms, facts);
  for (const auto& [id, h] : hosts) {
    if (h.agent_changes)
      report::AttachAgentChanges(built, id, *h.agent_changes);
  }
  report::MetricsSnapshot metrics = CycleMetrics(built, pinned, facts);
  const double secs = std::chrono::duration<double>(env_.base.clock.Steady() - started).count();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& timing = metrics_.checks["cycle"];
    timing.runs++;
    timing.total_seconds += secs;
    timing.last_seconds = secs;
    metrics.checks = metrics_.checks;
    report_ = built;
    metrics_ = metrics;
  }
  publisher_.Publish(built, pinned);
}

std::map<std::string, std::vector<vsphere::DfProof>> ProxyNetworkSide::TakeEnsureProofs() {
  std::map<std::string, std::vector<vsphere::DfProof>> out;
  out.swap(ensure_proofs_);
  return out;
}

void ProxyNetworkSide::Stop(bool retain) {
  pins_.Stop(retain);
}

report::Report ProxyNetworkSide::LatestReport() const {
  std::lock_guard<std::mutex> lock(mu_);
  return report_;
}

report::MetricsSnapshot ProxyNetworkSide::Metrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return metrics_;
}

}  // namespace bnfc::proxyd
