#include "bnfc/replay.h"

#include "bnfc/protocol.h"

namespace bnfc::channel {

ReplayVerdict ReplayGuard::Check(const std::string& sender, uint64_t boot_id, uint64_t sequence) {
  if (sequence > kMaxSequence) {
    return ReplayVerdict::kImplausible;
  }
  if (clock_ != nullptr) {
    int64_t now_ms = clock_->NowUnixMs();
    uint64_t now_us = now_ms > 0 ? static_cast<uint64_t>(now_ms) * 1000 : 0;
    if (boot_id > now_us + kMaxBootIdAheadUs) {
      return ReplayVerdict::kImplausible;
    }
  }
  auto it = last_.find(sender);
  std::pair<uint64_t, uint64_t> candidate{boot_id, sequence};
  if (it != last_.end() && !(candidate > it->second)) {
    return ReplayVerdict::kNotNewer;
  }
  last_[sender] = candidate;
  return ReplayVerdict::kAccepted;
}

EnvelopeStamper::EnvelopeStamper(std::string host_id, const Clock& clock)
    : EnvelopeStamper(std::move(host_id), static_cast<uint64_t>(clock.NowUnixMs()) * 1000, clock) {}

EnvelopeStamper::EnvelopeStamper(std::string host_id, uint64_t boot_id, const Clock& clock)
    : host_id_(std::move(host_id)), boot_id_(boot_id), clock_(clock) {}

void EnvelopeStamper::Stamp(proto::Envelope* envelope) {
  envelope->set_protocol_version(protocol::kProtocolVersion);
  envelope->set_host_id(host_id_);
  envelope->set_boot_id(boot_id_);
  envelope->set_sequence(++sequence_);
  envelope->set_sent_unix_ms(clock_.NowUnixMs());
}

}  // namespace bnfc::channel
