// Replay protection above CURVE. CURVE protects one connection; a reconnecting or recorded peer
// could otherwise resend old envelopes. Per sender, (boot_id, sequence) must strictly increase.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "bnfc.pb.h"
#include "bnfc/clock.h"

namespace bnfc::channel {

class ReplayGuard {
 public:
  // True (and remembered) when (boot_id, sequence) is newer than the last accepted pair from
  // `sender`; false for duplicates, reordered and replayed envelopes.
  bool Accept(const std::string& sender, uint64_t boot_id, uint64_t sequence);
  void Forget(const std::string& sender) { last_.erase(sender); }
  size_t senders() const { return last_.size(); }

 private:
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
