// Enrolment of host keys, in the style of salt-key without auto-accept: an unknown key that tries
// to connect is recorded as pending and refused; an operator accepts (binding the key to a host id
// and source prefixes), rejects or revokes. One JSON file, mode 0600, replaced atomically under an
// advisory lock so the daemon (recording pending keys) and the CLI (deciding) can both write it.
//
// Every write goes through one validator (ValidateRecords, the same the daemon loads with) and
// bumps the store's revision, so nothing the daemon would refuse is ever written and every
// committed change is visible to the daemon even when the file's timestamps do not move.
#pragma once

#include <cstdint>
#include <map>
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

// One consistent read of the store file: what it held and the file it was read from.
struct FileStamp {
  bool exists = false;
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileStamp& o) const {
    return exists == o.exists && device == o.device && inode == o.inode && size == o.size &&
           mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
  }
  bool operator!=(const FileStamp& o) const { return !(*this == o); }
};

struct StoreSnapshot {
  uint64_t revision = 0;  // 0 for a missing file
  std::vector<KeyRecord> records;
  std::string text;  // the exact bytes read ("" for a missing file)
  FileStamp stamp;   // fstat of the descriptor the bytes were read from
};

// Timestamps are written at the kernel's clock tick (or coarser on some filesystems): a write in
// the same tick as the one a reader saw leaves mtime unchanged. Stat data is trusted to mean
// "unchanged" only once the file's mtime and ctime are this much older than the read that saw it.
inline constexpr int64_t kRacyStampWindowNs = 2'000'000'000;

// The cheap first look: false only when `now` is the file `last` was read from and that read came
// safely after the file's last change (see kRacyStampWindowNs). Pure, for tests.
bool StoreMayHaveChanged(const StoreSnapshot& last, int64_t last_read_unix_ns,
                         const FileStamp& now);

// Stat of `path` (exists = false when it does not exist).
Expected<FileStamp> StampOf(const std::string& path);

class KeyStore {
 public:
  static constexpr size_t kMaxPending = 256;  // oldest pending entries are dropped beyond this

  KeyStore(std::string path, const Clock& clock) : path_(std::move(path)), clock_(clock) {}

  Expected<std::vector<KeyRecord>> List() const;
  // Reads and validates the whole store once, from one descriptor.
  Expected<StoreSnapshot> Read() const;
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
  static Expected<std::map<std::string, channel::Peer>> AllowListOf(
      const std::vector<KeyRecord>& records, const std::string& source);
  const std::string& path() const { return path_; }

 private:
  template <typename F>
  Status Mutate(F change);

  std::string path_;
  const Clock& clock_;
};

inline constexpr int kStoreVersion = 1;
inline constexpr size_t kMaxStoreBytes = 16u << 20;

// The one validator, used before every write and on every read (CLI and daemon): keys valid and
// unique, host ids in the host-id grammar (bnfc/host_id.h), one accepted key per host id, every
// accepted key with at least one source prefix, every prefix and address parseable.
Status ValidateRecords(const std::vector<KeyRecord>& records, const std::string& source);

// Pure (de)serialisation, exposed for tests. Parse refuses documents of another version (and
// never rewrites them) and runs ValidateRecords.
std::string Serialize(const std::vector<KeyRecord>& records, uint64_t revision = 0);
Expected<StoreSnapshot> Parse(const std::string& text, const std::string& source);
Expected<std::vector<KeyRecord>> Deserialize(const std::string& text, const std::string& source);

}  // namespace bnfc::enrol
