#include "publish.h"

#include <algorithm>

#include "bnfc/version.h"
#include "daemon.h"

namespace bnfc::proxyd {

report::MetricsSnapshot CycleMetrics(const report::Report& built, const PinOutcome& pins,
                                     const std::vector<report::PairFacts>& facts) {
  report::MetricsSnapshot m;
  m.proxy_id = built.proxy_id;
  m.version = BNFC_VERSION;
  report::FillFromReport(built, m);
  m.pins_installed = pins.installed;
  m.pins_desired = pins.desired;
  for (const auto& f : facts) {
    m.hosts[f.host_id].flows_on_backup = f.flows.on_backup;
    m.hosts[f.host_id].flows_off_backup = f.flows.off_backup;
  }
  return m;
}

void AddDaemonMetrics(const Daemon& daemon, report::MetricsSnapshot& m) {
  // Channel counters are read without a lock: plain integers, a torn read is only a stale value.
  if (const auto* server = daemon.server()) {
    const auto& c = server->counters();
    m.reports_received = c.accepted;
    m.replay_drops = c.dropped_replay;
    m.reports_rejected = {{"oversize", c.dropped_oversize},
                          {"undecodable", c.dropped_undecodable},
                          {"identity_mismatch", c.dropped_identity_mismatch},
                          {"revoked", c.dropped_revoked},
                          {"replay", c.dropped_replay},
                          {"implausible_stamp", c.dropped_implausible_stamp},
                          {"malformed", c.dropped_malformed}};
  }
  if (const auto* server = daemon.server(); server && server->guard()) {
    const auto& g = server->guard()->stats();
    m.connections_refused = {{"per_source_cap", g.refused_per_source.load()},
                             {"total_cap", g.refused_total.load()},
                             {"accept_failed", g.accept_failed.load()}};
    m.handshakes_failed = {{"mechanism", g.handshake_mechanism.load()},
                           {"auth", g.handshake_auth.load()},
                           {"protocol", g.handshake_protocol.load()},
                           {"incomplete", g.handshake_incomplete.load()}};
    m.connections_open = static_cast<uint64_t>(std::max<int64_t>(0, g.open.load()));
  }
  if (const auto* zap = daemon.zap()) {
    m.reports_rejected["unknown_key"] = zap->stats().unknown_key.load();
    m.reports_rejected["wrong_source"] = zap->stats().wrong_source.load();
  }
  auto store = daemon.keystore_health();
  m.keystore_revision = store.revision;
  m.keystore_reload_failures = store.reload_failures;
  m.keystore_stale = store.stale;
  m.enrolment_keys = store.keys_by_state;
}

Publisher::Publisher(Filesystem& files, std::string state_dir)
    : files_(files),
      dir_(std::move(state_dir)),
      history_(HistoryOptions{dir_ + "/history.jsonl"}) {}

void Publisher::Publish(const report::Report& built, const PinOutcome& pins) {
  (void)files_.WriteFileAtomic(dir_ + "/report.json", report::RenderJson(built), 0644);
  (void)files_.WriteFileAtomic(dir_ + "/report.txt", report::RenderText(built), 0644);
  (void)files_.WriteFileAtomic(dir_ + "/report.html", report::RenderHtml(built), 0644);
  (void)files_.WriteFileAtomic(dir_ + "/pins.json", PinsJson(pins.rows, pins.error), 0644);
  (void)files_.WriteFileAtomic(dir_ + "/pins.txt", PinsText(pins.rows, pins.error), 0644);
  history_.Observe(built);  // after report.json: a record never points at a future report
}

}  // namespace bnfc::proxyd
