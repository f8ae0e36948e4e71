#include "reporter.h"

#include <algorithm>
#include <set>

#include "bnfc/log.h"

namespace bnfc::hostagent {

std::chrono::milliseconds BackoffDelay(const BackoffPolicy& policy, int failures) {
  if (failures <= 0) {
    return std::chrono::milliseconds(0);
  }
  // Jitter stretches a delay by up to (1 + jitter): stop doubling where that still fits in max.
  const auto cap = static_cast<int64_t>(policy.max.count() / (1.0 + std::max(0.0, policy.jitter)));
  int64_t delay = policy.initial.count();
  for (int i = 1; i < failures && delay < cap; ++i) {
    delay *= 2;
  }
  return std::chrono::milliseconds(std::min<int64_t>(delay, cap));
}

std::chrono::milliseconds JitteredDelay(const BackoffPolicy& policy,
                                        std::chrono::milliseconds delay, Random& random) {
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const auto lo = static_cast<int64_t>(static_cast<double>(delay.count()) * (1.0 - jitter));
  const auto hi = static_cast<int64_t>(static_cast<double>(delay.count()) * (1.0 + jitter));
  const int64_t spread = std::max<int64_t>(0, hi - lo);
  const int64_t d = lo + static_cast<int64_t>(random.Below(static_cast<uint64_t>(spread) + 1));
  return std::min(policy.max, std::chrono::milliseconds(d));
}

BackoffPolicy BoundedByInterval(BackoffPolicy policy, std::chrono::milliseconds interval) {
  if (interval.count() <= 0) {
    return policy;
  }
  policy.ack_timeout = std::min(policy.ack_timeout, interval / 2);
  policy.max = std::min(policy.max, interval - policy.ack_timeout);
  return policy;
}

ProxyReporter::ProxyReporter(zmq::context_t& context, keys::KeyPair host_keys, std::string host_id,
                             Environment env, BackoffPolicy policy)
    : context_(context),
      keys_(std::move(host_keys)),
      clock_(env.clock),
      random_(env.random),
      policy_(policy),
      stamper_(std::move(host_id), env.clock) {}

Status ProxyReporter::AddProxy(const ProxyEndpoint& endpoint) {
  auto link = std::make_unique<ProxyLink>();
  link->endpoint = endpoint;
  if (auto s = Connect(*link); !s) {
    return s;
  }
  links_.push_back(std::move(link));
  return OkStatus();
}

Status ProxyReporter::Connect(ProxyLink& link) {
  auto client = channel::SecureClient::Create(
      context_, {link.endpoint.endpoint, link.endpoint.server_key, keys_, 1});
  if (!client) {
    return client.error();
  }
  link.client = std::move(*client);  // closes the previous socket and drops what it still held
  return OkStatus();
}

void ProxyReporter::Publish(const proto::HostReport& report) {
  proto::Envelope envelope;
  *envelope.mutable_host_report() = report;
  stamper_.Stamp(&envelope);
  for (auto& link : links_) {
    link->pending = envelope;  // newest state wins: an unsent older report is dropped
    link->has_pending = true;
  }
}

void ProxyReporter::Fail(ProxyLink& link, int64_t failed_at) {
  link.failures++;
  link.awaiting_ack_seq = 0;
  link.next_attempt_ms =
      failed_at + JitteredDelay(policy_, BackoffDelay(policy_, link.failures), random_).count();
  // The next attempt gets a fresh connection. The old socket would keep the unanswered report
  // queued and deliver it, stale, whenever libzmq reconnects, on libzmq's own reconnect back-off
  // (up to 30 s, blind to the report interval). Closing it drops both: the back-off above is the
  // only retry schedule, and a returning proxy gets the newest report, not one from the outage.
  if (auto s = Connect(link); !s) {
    log::Warn("proxy " + link.endpoint.endpoint + ": cannot reconnect: " + s.error().message);
  }
}

void ProxyReporter::SendDue(ProxyLink& link, int64_t now) {
  if (link.awaiting_ack_seq != 0 && now - link.sent_ms > policy_.ack_timeout.count()) {
    // No answer: count a failure and back off before the next attempt, from when the answer was
    // due rather than from when this turn noticed, so the bound in BoundedByInterval is exact.
    Fail(link, link.sent_ms + policy_.ack_timeout.count());
    log::Warn("proxy " + link.endpoint.endpoint + " did not acknowledge (failure " +
              std::to_string(link.failures) + "); backing off");
  }
  if (!link.has_pending || link.awaiting_ack_seq != 0 || now < link.next_attempt_ms) {
    return;
  }
  if (auto s = link.client->Send(link.pending); !s) {
    Fail(link, now);
    return;
  }
  link.awaiting_ack_seq = static_cast<int64_t>(link.pending.sequence());
  link.sent_ms = now;
  link.has_pending = false;
  link.sent++;
}

void ProxyReporter::HandleReply(ProxyLink& link, const proto::Envelope& reply, int64_t now) {
  if (reply.has_probe_request()) {
    link.targets.assign(reply.probe_request().targets().begin(),
                        reply.probe_request().targets().end());
  }
  if (reply.has_ack() || reply.has_probe_request()) {
    uint64_t acked = reply.has_ack() ? reply.ack().acked_sequence() : 0;
    if (!reply.has_ack() || acked >= static_cast<uint64_t>(link.awaiting_ack_seq)) {
      link.awaiting_ack_seq = 0;
      link.failures = 0;
      link.next_attempt_ms = 0;
      link.last_ack_ms = now;
      link.acked++;
    }
  }
}

void ProxyReporter::Pump(std::chrono::milliseconds budget) {
  auto end = clock_.Steady() + budget;
  do {
    int64_t now = clock_.NowUnixMs();
    for (auto& link : links_) {
      SendDue(*link, now);
    }
    std::vector<zmq::pollitem_t> items;
    for (auto& link : links_) {
      items.push_back({link->client->socket().handle(), 0, ZMQ_POLLIN, 0});
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - clock_.Steady());
    try {
      zmq::poll(items.data(), items.size(),
                std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(100)));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) {
        return;  // a signal: the daemon loop checks its stop flag
      }
      throw;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      if (!(items[i].revents & ZMQ_POLLIN)) {
        continue;
      }
      auto reply = links_[i]->client->Receive(std::chrono::milliseconds(0));
      if (reply.ok() && reply->has_value()) {
        HandleReply(*links_[i], **reply, clock_.NowUnixMs());
      }
    }
  } while (clock_.Steady() < end);
}

std::vector<proto::ProbeTarget> ProxyReporter::ProbeTargets() const {
  std::vector<proto::ProbeTarget> out;
  std::set<std::string> seen;
  for (const auto& link : links_) {
    for (const auto& t : link->targets) {
      if (seen.insert(t.address()).second) {
        out.push_back(t);
      }
    }
  }
  return out;
}

std::vector<uint64_t> ProxyReporter::AckCounts() const {
  std::vector<uint64_t> out;
  for (const auto& l : links_) {
    out.push_back(l->acked);
  }
  return out;
}

bool ProxyReporter::AnyAcknowledged() const {
  for (const auto& l : links_) {
    if (l->acked > 0) {
      return true;
    }
  }
  return false;
}

void ChangeJournal::Add(const proto::TagChange& change, const std::vector<uint64_t>& acked) {
  entries_.push_back(Entry{change, acked});
  if (entries_.size() > kMax) {
    entries_.erase(entries_.begin());
  }
}

void ChangeJournal::Prune(const std::vector<uint64_t>& acked) {
  if (acked.empty()) {
    return;
  }
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) {
                                  for (size_t i = 0; i < acked.size(); ++i) {
                                    const uint64_t then =
                                        i < e.acked_at_add.size() ? e.acked_at_add[i] : 0;
                                    if (acked[i] < then + 2) {
                                      return false;
                                    }
                                  }
                                  return true;
                                }),
                 entries_.end());
}

void ChangeJournal::AttachTo(proto::HostReport* report) const {
  report->clear_changes();
  for (const Entry& e : entries_) {
    *report->add_changes() = e.change;
  }
}

}  // namespace bnfc::hostagent
