#include "daemon.h"

#include <sys/stat.h>

#include <mutex>
#include <set>

#include "bnfc/log.h"
#include "bnfc/text.h"

namespace bnfc::proxyd {

Daemon::Daemon(ProxyConfig config, keys::KeyPair server_keys, NetworkSide& network,
               const Environment& env)
    : config_(std::move(config)),
      server_keys_(std::move(server_keys)),
      network_(network),
      clock_(env.clock),
      allow_(std::make_shared<channel::AllowList>()),
      store_(config_.state_dir + "/enrolment.json", env.clock),
      stamper_(config_.proxy_id, env.clock) {}

Status Daemon::Start() {
  int64_t read_ns = clock_.NowUnixMs() * 1000000;
  auto snapshot = store_.Read();
  if (!snapshot) {
    return snapshot.error();  // no last good allow-list to fall back on: refuse to start
  }
  if (auto s = ApplyStore(std::move(*snapshot), read_ns); !s) {
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
  channel::ServerOptions options{config_.listen, server_keys_};
  options.guard.max_per_source = config_.max_connections_per_source;
  options.handshake_timeout = config_.handshake_timeout;
  auto server = channel::SecureServer::Create(context_, zap_, options);
  if (!server) {
    zap_->Stop();
    return server.error();
  }
  server_ = std::move(*server);
  log::Info("listening on " + server_->endpoint() + " with " + std::to_string(allow_->size()) +
            " enrolled host key(s)");
  return OkStatus();
}

namespace {

// Accepted records as comparable text, to tell an access change from bookkeeping (pending keys).
std::set<std::string> AccessOf(const std::vector<enrol::KeyRecord>& records) {
  std::set<std::string> out;
  for (const auto& r : records) {
    if (r.state == enrol::KeyState::kAccepted) {
      std::string line = r.public_z85 + " " + r.host_id;
      for (const auto& s : r.sources) {
        line += " " + s;
      }
      out.insert(line);
    }
  }
  return out;
}

std::set<std::string> EnrolledHosts(const std::vector<enrol::KeyRecord>& records) {
  std::set<std::string> out;
  for (const auto& r : records) {
    if (r.state == enrol::KeyState::kAccepted) {
      out.insert(r.host_id);
    }
  }
  return out;
}

}  // namespace

KeyStoreHealth Daemon::keystore_health() const {
  std::lock_guard<std::mutex> lock(health_mu_);
  return health_;
}

Status Daemon::ApplyStore(enrol::StoreSnapshot snapshot, int64_t read_unix_ns) {
  if (snapshot.text == applied_.text && snapshot.stamp.exists == applied_.stamp.exists) {
    applied_.stamp = snapshot.stamp;  // same bytes: only remember that they were seen again
    applied_read_unix_ns_ = read_unix_ns;
    return OkStatus();
  }
  auto by_key = enrol::KeyStore::AllowListOf(snapshot.records, store_.path());
  if (!by_key) {
    return by_key.error();
  }
  if (auto s = allow_->ReplaceAll(std::move(*by_key)); !s) {
    return s;
  }
  bool access_changed = AccessOf(snapshot.records) != AccessOf(applied_.records);
  std::set<std::string> enrolled = EnrolledHosts(snapshot.records);
  std::set<std::string> gone;
  for (const auto& id : EnrolledHosts(applied_.records)) {
    if (enrolled.count(id) == 0) {
      gone.insert(id);
    }
  }
  for (const auto& [id, entry] : hosts_.hosts()) {
    // Hosts read through the vSphere API have no key to enrol.
    if (enrolled.count(id) == 0 && entry.source == "agent") {
      gone.insert(id);
    }
  }
  applied_ = std::move(snapshot);
  applied_read_unix_ns_ = read_unix_ns;
  stats_.keystore_reloads++;
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    health_.revision = applied_.revision;
    health_.keys_by_state.clear();
    for (const auto& r : applied_.records) {
      health_.keys_by_state[enrol::KeyStateName(r.state)]++;
    }
  }
  if (access_changed) {
    log::Info("enrolment store revision " + std::to_string(applied_.revision) +
              " in force: " + std::to_string(allow_->size()) + " enrolled host key(s)");
  }
  // Revoked hosts leave the table at once (their pins follow on the next cycle) and lose their
  // replay state, so that re-enrolling a host is also the way out of any replay-window mistake.
  for (const auto& id : gone) {
    if (hosts_.Find(id) != nullptr) {
      log::Info("host " + id + " is no longer enrolled; forgetting it");
      hosts_.Remove(id);
    }
    if (server_) {
      server_->replay_guard().Forget(id);
    }
  }
  return OkStatus();
}

void Daemon::StoreFailed(const Error& error, const enrol::FileStamp& stamp) {
  std::string problem = "enrolment store not applied, revision " +
                        std::to_string(applied_.revision) + " stays in force: " + error.message;
  {
    std::lock_guard<std::mutex> lock(health_mu_);
    health_.reload_failures++;
    health_.stale = true;
    health_.problem = problem;
  }
  // Once per distinct failure (message and file), not once per cycle.
  std::string key = problem + "@" + std::to_string(stamp.inode) + ":" +
                    std::to_string(stamp.mtime_ns) + ":" + std::to_string(stamp.ctime_ns);
  if (key != failure_logged_) {
    failure_logged_ = key;
    log::Error(problem + "; retrying every interval");
  }
}

void Daemon::ReloadKeysIfChanged() {
  bool stale = keystore_health().stale;
  auto stamp = enrol::StampOf(store_.path());
  // The stat is only a cheap first look; after a failure, or while the timestamps cannot tell a
  // same-tick write apart, the file is read and compared byte for byte.
  if (stamp && !stale && !enrol::StoreMayHaveChanged(applied_, applied_read_unix_ns_, *stamp)) {
    return;
  }
  int64_t read_ns = clock_.NowUnixMs() * 1000000;
  auto snapshot = store_.Read();
  if (!snapshot) {
    StoreFailed(snapshot.error(), stamp.value_or(enrol::FileStamp{}));
    return;  // nothing recorded as seen: the next cycle reads again
  }
  enrol::FileStamp read_stamp = snapshot->stamp;
  if (auto s = ApplyStore(std::move(*snapshot), read_ns); !s) {
    StoreFailed(s.error(), read_stamp);
    return;
  }
  if (stale) {
    {
      std::lock_guard<std::mutex> lock(health_mu_);
      health_.stale = false;
      health_.problem.clear();
    }
    failure_logged_.clear();
    log::Info("enrolment store applied again: revision " + std::to_string(applied_.revision) +
              " in force");
  }
}

void Daemon::Handle(const channel::Incoming& in) {
  if (!in.envelope.has_host_report()) {
    return;
  }
  const auto& report = in.envelope.host_report();
  const HostEntry* before = hosts_.Find(in.identity);
  const bool remap = before == nullptr || MappingInputsChanged(*before, in.peer_address, report);
  const int64_t now = clock_.NowUnixMs();
  bool moved = hosts_.Update(in.identity, in.peer_address, in.routing_id, report, now);
  stats_.reports_accepted++;
  if (moved) {
    log::Info("host " + text::QuoteUntrusted(in.identity, 80) + " hands out NFC address " +
              text::QuoteUntrusted(report.nfc_address(), 64));
  }
  if (remap) {
    network_.HostChanged(hosts_, in.identity, now);  // before the reply: it names the mapping
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
  auto last_cycle_end = next_cycle - kMinEventCycleGap;
  bool kernel_changed = false;
  while (!stop.load()) {
    auto now = clock_.Steady();
    // A change stays pending across turns until the gap since the last cycle has passed.
    kernel_changed = network_.KernelChanged() || kernel_changed;
    if (kernel_changed && now - last_cycle_end >= kMinEventCycleGap) {
      next_cycle = now;
    }
    if (now >= next_cycle) {
      kernel_changed = false;
      ReloadKeysIfChanged();
      if (vsphere_ != nullptr) {
        for (const auto& read : vsphere_->TakeReads()) {
          ApplyVsphereRead(read, hosts_, config_.freshness.count(), clock_.NowUnixMs());
        }
      }
      network_.Cycle(hosts_, clock_.NowUnixMs());
      if (vsphere_ != nullptr) {
        vsphere_->OfferProofs(RouteEnsureProofs(hosts_, network_.TakeEnsureProofs()));
      }
      // From the cycle's end: a cycle that overruns the interval must still leave a full
      // interval for reading reports, or it would run again after every single message.
      now = clock_.Steady();
      last_cycle_end = now;
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
