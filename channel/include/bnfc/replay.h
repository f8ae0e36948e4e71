// Replay protection above CURVE. CURVE protects one connection; a reconnecting or recorded peer
// could otherwise resend old envelopes. Per sender, (boot_id, sequence) must strictly increase.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "bnfc.pb.h"
#include "bnfc/clock.h"

namespace bnfc::channel {

// A pair a sender's own stamper could never move past would lock that sender out until the
// receiver restarts. So a pair is refused, and not remembered, when its sequence is at or above
// 2^63 (stampers count up from 1) or its boot id (start time in microseconds) lies more than a day
// ahead of the receiver's clock. The furthest a sender can push its own window is thus a day ahead
// of real time, and revoking and re-enrolling a host clears its window at once.
inline constexpr uint64_t kMaxSequence = (uint64_t{1} << 63) - 1;
inline constexpr uint64_t kMaxBootIdAheadUs = uint64_t{24} * 3600 * 1000000;

enum class ReplayVerdict { kAccepted, kNotNewer, kImplausible };

class ReplayGuard {
 public:
  // `clock` null: no boot id bound (the host agent, whose clock may be far off, about its proxies).
  explicit ReplayGuard(const Clock* clock = &SystemClock::Instance()) : clock_(clock) {}
  // kAccepted (and remembered) when (boot_id, sequence) is newer than the last accepted pair from
  // `sender`; kNotNewer for duplicates, reordered and replayed envelopes; kImplausible (never
  // remembered) for pairs outside the bounds above.
  ReplayVerdict Check(const std::string& sender, uint64_t boot_id, uint64_t sequence);
  bool Accept(const std::string& sender, uint64_t boot_id, uint64_t sequence) {
    return Check(sender, boot_id, sequence) == ReplayVerdict::kAccepted;
  }
  void Forget(const std::string& sender) { last_.erase(sender); }
  size_t senders() const { return last_.size(); }

 private:
  const Clock* clock_;
  std::map<std::string, std::pair<uint64_t, uint64_t>> last_;
};

// Fills the envelope header for one sender: protocol version, host id, boot id, the next sequence
// number and the send time. The boot id is the start time in microseconds, so a restarted agent
// continues above its previous boot as long as the wall clock does not go back.
class EnvelopeStamper {
 public:
  EnvelopeStamper(std::string host_id, const Clock& clock);
  EnvelopeStamper(std::string host_id, uint64_t boot_id, const Clock& clock);
  void Stamp(proto::Envelope* envelope);
  uint64_t boot_id() const { return boot_id_; }
  uint64_t last_sequence() const { return sequence_; }

 private:
  std::string host_id_;
  uint64_t boot_id_;
  uint64_t sequence_ = 0;
  const Clock& clock_;
};

}  // namespace bnfc::channel
