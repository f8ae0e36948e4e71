// Enrolment of host keys, in the style of salt-key without auto-accept: an unknown key that tries
// to connect is recorded as pending and refused; an operator accepts (binding the key to a host id
// and source prefixes), rejects or revokes. One JSON file, mode 0600, replaced atomically under an
// advisory lock so the daemon (recording pending keys) and the CLI (deciding) can both write it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bnfc/clock.h"
#include "bnfc/expected.h"
#include "bnfc/net.h"
#include "bnfc/zap.h"

namespace bnfc::enrol {

enum class KeyState { kPending, kAccepted, kRejected };
const char* KeyStateName(KeyState s);

struct KeyRecord {
  std::string public_z85;
  std::string fingerprint;
  KeyState state = KeyState::kPending;
  std::string host_id;               // empty while pending
  std::vector<std::string> sources;  // allowed source prefixes once accepted
  std::string last_address;          // where it last tried to connect from
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  int64_t decided_ms = 0;
  uint64_t attempts = 0;
};

struct Selector {  // picks one pending or known record; exactly one field set
  std::string fingerprint;
  std::string public_z85;
  std::string address;
};

class KeyStore {
 public:
  static constexpr size_t kMaxPending = 256;  // oldest pending entries are dropped beyond this

  KeyStore(std::string path, const Clock& clock) : path_(std::move(path)), clock_(clock) {}

  Expected<std::vector<KeyRecord>> List() const;
  // Called for every refused unknown key. Bounded: a flood of new keys cannot grow the file.
  Status RecordPending(const std::string& public_z85, const std::string& address);
  // Binds a pending key (chosen by `which`) to `host_id`. Sources default to the /32 or /128 of
  // the address it connected from. Refuses a host id already bound to another accepted key.
  Expected<KeyRecord> Accept(const std::string& host_id, const Selector& which,
                             std::vector<std::string> sources);
  // Enrols a key given out of band (e.g. copied from `bnfc-hostd key show`).
  Expected<KeyRecord> Add(const std::string& host_id, const std::string& public_z85,
                          std::vector<std::string> sources);
  Expected<KeyRecord> Reject(const Selector& which);
  // Revokes every accepted key of `host_id`; returns how many.
  Expected<size_t> Revoke(const std::string& host_id);

  // Rebuilds a ZAP allow-list from the accepted records.
  Status FillAllowList(channel::AllowList* allow) const;
  const std::string& path() const { return path_; }

 private:
  template <typename F>
  Status Mutate(F change);

  std::string path_;
  const Clock& clock_;
};

// Pure (de)serialisation, exposed for tests.
std::string Serialize(const std::vector<KeyRecord>& records);
Expected<std::vector<KeyRecord>> Deserialize(const std::string& text, const std::string& source);

}  // namespace bnfc::enrol
