#include "daemon.h"

#include <sys/stat.h>

#include <mutex>
#include <set>

#include "bnfc/log.h"

namespace bnfc::proxyd {

Daemon::Daemon(ProxyConfig config, keys::KeyPair server_keys, NetworkSide& network,
               const Clock& clock)
    : config_(std::move(config)),
      server_keys_(std::move(server_keys)),
      network_(network),
      clock_(clock),
      allow_(std::make_shared<channel::AllowList>()),
      store_(config_.state_dir + "/enrolment.json", clock),
      stamper_(config_.proxy_id, clock) {}

Status Daemon::Start() {
  if (auto s = store_.FillAllowList(allow_.get()); !s) {
    return s;
  }
  zap_ = std::make_shared<channel::ZapHandler>(context_, allow_);
  // Unknown keys are recorded as pending for `bnfc-proxyd keys accept`. One write per key and
  // address per minute at most, so a reconnecting stranger cannot keep the disk busy.
  auto recent = std::make_shared<std::map<std::string, int64_t>>();
  auto recent_mu = std::make_shared<std::mutex>();
  zap_->SetUnknownKeyCallback(
      [this, recent, recent_mu](const std::string& key, const std::string& address) {
        int64_t now = clock_.NowUnixMs();
        {
          std::lock_guard<std::mutex> lock(*recent_mu);
          auto& last = (*recent)[key + "@" + address];
          if (last != 0 && now - last < 60000) {
            return;
          }
          last = now;
          if (recent->size() > 4096) {
            recent->clear();
          }
        }
        if (auto s = store_.RecordPending(key, address); !s) {
          log::Warn("cannot record pending key: " + s.error().message);
        }
      });
  if (auto s = zap_->Start(); !s) {
    return s;
  }
  auto server = channel::SecureServer::Create(context_, zap_, {config_.listen, server_keys_});
  if (!server) {
    zap_->Stop();
    return server.error();
  }
  server_ = std::move(*server);
  log::Info("listening on " + server_->endpoint() + " with " + std::to_string(allow_->size()) +
            " enrolled host key(s)");
  return OkStatus();
}

void Daemon::ReloadKeysIfChanged() {
  struct stat st {};
  int64_t mtime = -1;
  if (::stat(store_.path().c_str(), &st) == 0) {
    mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  }
  if (mtime == keystore_mtime_ns_) {
    return;
  }
  keystore_mtime_ns_ = mtime;
  if (auto s = store_.FillAllowList(allow_.get()); !s) {
    // Keep the previous allow-list: a broken file must not open or close access by accident.
    log::Error("key store not reloaded: " + s.error().message);
    stats_.keystore_reload_failures++;
    stats_.keystore_reload_failing = true;
    return;
  }
  stats_.keystore_reloads++;
  stats_.keystore_reload_failing = false;
  // Revoked hosts leave the table at once; their pins follow on the next cycle.
  std::set<std::string> enrolled;
  uint64_t by_state[3] = {0, 0, 0};
  for (const auto& r : store_.List().value_or({})) {
    if (r.state == enrol::KeyState::kAccepted) {
      enrolled.insert(r.host_id);
    }
    by_state[static_cast<int>(r.state)]++;
  }
  stats_.keys_pending = by_state[static_cast<int>(enrol::KeyState::kPending)];
  stats_.keys_accepted = by_state[static_cast<int>(enrol::KeyState::kAccepted)];
  stats_.keys_rejected = by_state[static_cast<int>(enrol::KeyState::kRejected)];
  std::vector<std::string> gone;
  for (const auto& [id, entry] : hosts_.hosts()) {
    if (enrolled.count(id) == 0) {
      gone.push_back(id);
    }
  }
  for (const auto& id : gone) {
    log::Info("host " + id + " is no longer enrolled; forgetting it");
    hosts_.Remove(id);
  }
}

void Daemon::Handle(const channel::Incoming& in) {
  if (!in.envelope.has_host_report()) {
    return;
  }
  const auto& report = in.envelope.host_report();
  bool moved =
      hosts_.Update(in.identity, in.peer_address, in.routing_id, report, clock_.NowUnixMs());
  stats_.reports_accepted++;
  if (moved) {
    log::Info("host " + in.identity + " hands out NFC address " + report.nfc_address());
  }
  proto::Envelope reply;
  auto* probe = reply.mutable_probe_request();
  probe->set_proxy_id(config_.proxy_id);
  for (const auto& t : network_.ProbeTargetsFor(BackupAddressOf(report))) {
    *probe->add_targets() = t;
  }
  stamper_.Stamp(&reply);
  if (!server_->Send(in.routing_id, reply).ok()) {
    stats_.replies_failed++;
  }
}

namespace {
constexpr int kMaxMessagesPerTurn = 10000;
}  // namespace

Status Daemon::Run(const std::atomic<bool>& stop) {
  auto next_cycle = clock_.Steady();
  while (!stop.load()) {
    auto now = clock_.Steady();
    if (now >= next_cycle) {
      ReloadKeysIfChanged();
      network_.Cycle(hosts_, clock_.NowUnixMs());
      // From the cycle's end: a cycle that overruns the interval must still leave a full
      // interval for reading reports, or it would run again after every single message.
      now = clock_.Steady();
      next_cycle = now + config_.interval;
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_cycle - now);
    auto in = server_->Receive(
        std::clamp(wait, std::chrono::milliseconds(0), std::chrono::milliseconds(200)));
    // Drain what is already queued (bounded, so a flood cannot hold off the cycle forever).
    for (int handled = 0; in && in->has_value() && handled < kMaxMessagesPerTurn; ++handled) {
      Handle(**in);
      in = server_->Receive(std::chrono::milliseconds(0));
    }
    if (!in) {
      network_.Stop(config_.retain_on_stop);
      return in.error();
    }
    if (in->has_value()) {
      Handle(**in);
    }
  }
  network_.Stop(config_.retain_on_stop);
  return OkStatus();
}

}  // namespace bnfc::proxyd
