#include "keystore.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "bnfc/fs.h"
#include "bnfc/host_id.h"
#include "bnfc/keys.h"
#include "bnfc/text.h"

namespace bnfc::enrol {
namespace {

using nlohmann::json;

// Holds an flock on "<path>.lock" for the lifetime of the object.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    error_ = fd_ < 0 ? std::strerror(errno) : "";
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }
  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

Expected<KeyState> ParseState(const std::string& s) {
  if (s == "pending")
    return KeyState::kPending;
  if (s == "accepted")
    return KeyState::kAccepted;
  if (s == "rejected")
    return KeyState::kRejected;
  return Unexpected(ErrorCode::kParse, "unknown key state '" + s + "'");
}

FileStamp StampFrom(const struct stat& st) {
  FileStamp f;
  f.exists = true;
  f.device = static_cast<uint64_t>(st.st_dev);
  f.inode = static_cast<uint64_t>(st.st_ino);
  f.size = static_cast<int64_t>(st.st_size);
  f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  f.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return f;
}

Unexpected IoError(const std::string& what, const std::string& path) {
  int e = errno;
  return Unexpected(e == EACCES || e == EPERM ? ErrorCode::kPermission : ErrorCode::kIo,
                    "cannot " + what + " " + path + ": " + std::strerror(e));
}

// One descriptor for the stat and the bytes, so the stamp describes exactly what was parsed.
Expected<StoreSnapshot> ReadStore(const std::string& path) {
  // O_NONBLOCK: a FIFO put in the store's place must not hang the daemon; it is refused below.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) {
      return StoreSnapshot{};  // no store yet: nothing enrolled
    }
    return IoError("open", path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto e = IoError("stat", path);
    ::close(fd);
    return e;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Unexpected(ErrorCode::kInvalidArgument, path + " is not a regular file");
  }
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      auto e = IoError("read", path);
      ::close(fd);
      return e;
    }
    if (n == 0) {
      break;
    }
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxStoreBytes) {
      ::close(fd);
      return Unexpected(
          ErrorCode::kInvalidArgument,
          path + " is larger than " + std::to_string(kMaxStoreBytes) + " bytes; not a key store");
    }
  }
  ::close(fd);
  auto snapshot = Parse(text, path);
  if (!snapshot) {
    return snapshot.error();
  }
  snapshot->stamp = StampFrom(st);
  return snapshot;
}

bool Matches(const KeyRecord& r, const Selector& s) {
  if (!s.fingerprint.empty())
    return r.fingerprint == s.fingerprint;
  if (!s.public_z85.empty())
    return r.public_z85 == s.public_z85;
  if (!s.address.empty())
    return r.last_address == s.address;
  return false;
}

// The one pending record `which` selects: kNotFound when none, kConflict when several (accept and
// reject act on exactly one key).
Expected<KeyRecord*> OnePending(std::vector<KeyRecord>& records, const Selector& which) {
  std::vector<KeyRecord*> found;
  for (auto& r : records) {
    if (r.state == KeyState::kPending && Matches(r, which)) {
      found.push_back(&r);
    }
  }
  if (found.empty()) {
    return Unexpected(ErrorCode::kNotFound,
                      "no pending key matches; `bnfc-proxyd keys list` shows pending keys");
  }
  if (found.size() > 1) {
    return Unexpected(
        ErrorCode::kConflict,
        std::to_string(found.size()) + " pending keys match; choose one with --fingerprint");
  }
  return found.front();
}

Expected<std::vector<std::string>> NormaliseSources(const std::vector<std::string>& sources) {
  std::vector<std::string> out;
  for (const auto& s : sources) {
    auto p = net::Prefix::Parse(s);
    if (!p) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "source prefix " + text::QuoteUntrusted(s, 64) + ": " + p.error().message);
    }
    out.push_back(p->Network().ToString());
  }
  return out;
}

}  // namespace

const char* KeyStateName(KeyState s) {
  switch (s) {
    case KeyState::kPending:
      return "pending";
    case KeyState::kAccepted:
      return "accepted";
    case KeyState::kRejected:
      return "rejected";
  }
  return "pending";
}

std::string Serialize(const std::vector<KeyRecord>& records, uint64_t revision) {
  json keys = json::array();
  for (const auto& r : records) {
    keys.push_back({{"public_key", r.public_z85},
                    {"fingerprint", r.fingerprint},
                    {"state", KeyStateName(r.state)},
                    {"host_id", r.host_id},
                    {"sources", r.sources},
                    {"last_address", r.last_address},
                    {"first_seen_ms", r.first_seen_ms},
                    {"last_seen_ms", r.last_seen_ms},
                    {"decided_ms", r.decided_ms},
                    {"attempts", r.attempts}});
  }
  // Replacing invalid UTF-8 cannot happen after ValidateRecords; it keeps dump() from throwing.
  return json{{"version", kStoreVersion}, {"revision", revision}, {"keys", keys}}.dump(
             2, ' ', false, json::error_handler_t::replace) +
         "\n";
}

Status ValidateRecords(const std::vector<KeyRecord>& records, const std::string& source) {
  std::set<std::string> seen_keys;
  std::map<std::string, size_t> accepted_host;  // host id -> index of its accepted key
  for (size_t i = 0; i < records.size(); ++i) {
    const KeyRecord& r = records[i];
    std::string where = source + ": keys[" + std::to_string(i) + "]";
    auto fail = [&](const std::string& why) -> Status {
      return Unexpected(ErrorCode::kParse, where + ": " + why);
    };
    if (auto s = keys::ValidateKey(r.public_z85, "public_key"); !s) {
      return fail(s.error().message);
    }
    if (!seen_keys.insert(r.public_z85).second) {
      return fail("the key " + keys::Fingerprint(r.public_z85) + " appears twice");
    }
    if (!r.host_id.empty() || r.state == KeyState::kAccepted) {
      if (auto s = ValidateHostId(r.host_id); !s) {
        return fail(s.error().message);
      }
    }
    channel::Peer peer{r.host_id, {}};
    for (const auto& prefix : r.sources) {
      auto p = net::Prefix::Parse(prefix);
      if (!p) {
        return fail("source " + text::QuoteUntrusted(prefix, 64) + ": " + p.error().message);
      }
      peer.allowed_sources.push_back(*p);
    }
    if (!r.last_address.empty() && !net::IpAddress::Parse(r.last_address)) {
      return fail("last_address " + text::QuoteUntrusted(r.last_address, 64) +
                  " is not an IP address");
    }
    if (r.state != KeyState::kAccepted) {
      continue;
    }
    if (auto s = channel::AllowList::Validate(r.public_z85, peer); !s) {
      return fail(s.error().message);
    }
    auto [it, fresh] = accepted_host.emplace(r.host_id, i);
    if (!fresh) {
      return fail("host '" + r.host_id + "' already has an accepted key (keys[" +
                  std::to_string(it->second) + "]); one accepted key per host");
    }
  }
  return OkStatus();
}

Expected<StoreSnapshot> Parse(const std::string& text, const std::string& source) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return Unexpected(ErrorCode::kParse,
                      source + ": not a key store (expected a JSON object with a \"keys\" array)");
  }
  StoreSnapshot out;
  out.text = text;
  // A store written by a newer release is refused, never read partly and rewritten as ours.
  if (!doc.contains("version") || !doc["version"].is_number_integer() ||
      doc["version"] != kStoreVersion) {
    std::string shown = !doc.contains("version") ? std::string("(missing)")
                        : doc["version"].is_number_integer()
                            ? doc["version"].dump()
                            : text::QuoteUntrusted(doc["version"].dump(), 32);
    return Unexpected(ErrorCode::kParse, source + ": key store version " + shown +
                                             " is not supported (this bnfc-proxyd reads version " +
                                             std::to_string(kStoreVersion) +
                                             "); the file is left unchanged");
  }
  if (doc.contains("revision")) {
    if (!doc["revision"].is_number_unsigned()) {
      return Unexpected(ErrorCode::kParse,
                        source + ": \"revision\" must be a non-negative integer");
    }
    out.revision = doc["revision"].get<uint64_t>();
  }
  size_t index = 0;
  for (const auto& k : doc["keys"]) {
    std::string where = source + ": keys[" + std::to_string(index++) + "]";
    try {
      KeyRecord r;
      r.public_z85 = k.at("public_key").get<std::string>();
      auto state = ParseState(k.at("state").get<std::string>());
      if (!state) {
        return Unexpected(ErrorCode::kParse, where + ": " + state.error().message);
      }
      r.state = *state;
      r.host_id = k.value("host_id", "");
      r.sources = k.value("sources", std::vector<std::string>{});
      r.last_address = k.value("last_address", "");
      r.first_seen_ms = k.value("first_seen_ms", int64_t{0});
      r.last_seen_ms = k.value("last_seen_ms", int64_t{0});
      r.decided_ms = k.value("decided_ms", int64_t{0});
      r.attempts = k.value("attempts", uint64_t{0});
      if (auto s = keys::ValidateKey(r.public_z85, where + ".public_key"); !s) {
        return s.error();
      }
      r.fingerprint = keys::Fingerprint(r.public_z85);
      out.records.push_back(std::move(r));
    } catch (const json::exception& e) {
      return Unexpected(ErrorCode::kParse, where + ": " + e.what());
    }
  }
  if (auto s = ValidateRecords(out.records, source); !s) {
    return s.error();
  }
  return out;
}

Expected<std::vector<KeyRecord>> Deserialize(const std::string& text, const std::string& source) {
  auto snapshot = Parse(text, source);
  if (!snapshot) {
    return snapshot.error();
  }
  return std::move(snapshot->records);
}

Expected<FileStamp> StampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return FileStamp{};
    }
    return IoError("stat", path);
  }
  return StampFrom(st);
}

bool StoreMayHaveChanged(const StoreSnapshot& last, int64_t last_read_unix_ns,
                         const FileStamp& now) {
  if (now != last.stamp) {
    return true;
  }
  if (!now.exists) {
    return false;
  }
  // Racily clean: a write in the same tick as the one we read would not have moved the stamp.
  return std::max(now.mtime_ns, now.ctime_ns) + kRacyStampWindowNs > last_read_unix_ns;
}

template <typename F>
Status KeyStore::Mutate(F change) {
  FileLock lock(path_);
  if (!lock.ok()) {
    return Unexpected(ErrorCode::kIo, "cannot lock " + path_ + ".lock: " + lock.error());
  }
  auto snapshot = ReadStore(path_);
  if (!snapshot) {
    return snapshot.error();  // an unreadable or foreign store is never overwritten
  }
  std::vector<KeyRecord>& records = snapshot->records;
  if (auto s = change(records); !s) {
    return s;
  }
  if (auto s = ValidateRecords(records, path_); !s) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "refusing to write a store the daemon would "
                      "not load: " +
                          s.error().message);
  }
  // The revision moves on every write, so readers see a change even when the timestamps do not.
  return fs::WriteFileAtomic(path_, Serialize(records, snapshot->revision + 1), 0600);
}

Expected<std::vector<KeyRecord>> KeyStore::List() const {
  auto snapshot = ReadStore(path_);
  if (!snapshot) {
    return snapshot.error();
  }
  return std::move(snapshot->records);
}

Expected<StoreSnapshot> KeyStore::Read() const {
  return ReadStore(path_);
}

Status KeyStore::RecordPending(const std::string& public_z85, const std::string& address) {
  if (!keys::ValidateKey(public_z85, "key").ok()) {
    return Unexpected(ErrorCode::kInvalidArgument, "refusing to record an invalid or test key");
  }
  int64_t now = clock_.NowUnixMs();
  // The address comes from libzmq; anything but an IP address is not kept.
  const std::string usable_address = net::IpAddress::Parse(address) ? address : "";
  return Mutate([&](std::vector<KeyRecord>& records) -> Status {
    for (auto& r : records) {
      if (r.public_z85 == public_z85) {
        r.last_seen_ms = now;
        r.last_address = usable_address;
        r.attempts++;
        return OkStatus();
      }
    }
    KeyRecord r;
    r.public_z85 = public_z85;
    r.fingerprint = keys::Fingerprint(public_z85);
    r.last_address = usable_address;
    r.first_seen_ms = r.last_seen_ms = now;
    r.attempts = 1;
    records.push_back(std::move(r));
    // Bound the pending set: drop the least recently seen pending keys.
    size_t pending = std::count_if(records.begin(), records.end(), [](const KeyRecord& k) {
      return k.state == KeyState::kPending;
    });
    while (pending > kMaxPending) {
      auto oldest = records.end();
      for (auto it = records.begin(); it != records.end(); ++it) {
        if (it->state == KeyState::kPending &&
            (oldest == records.end() || it->last_seen_ms < oldest->last_seen_ms)) {
          oldest = it;
        }
      }
      records.erase(oldest);
      --pending;
    }
    return OkStatus();
  });
}

Expected<KeyRecord> KeyStore::Accept(const std::string& host_id, const Selector& which,
                                     std::vector<std::string> sources) {
  if (auto s = ValidateHostId(host_id); !s) {
    return s.error();
  }
  KeyRecord result;
  auto status = Mutate([&](std::vector<KeyRecord>& records) -> Status {
    auto found = OnePending(records, which);
    if (!found) {
      return found.error();
    }
    for (const auto& r : records) {
      if (r.state == KeyState::kAccepted && r.host_id == host_id) {
        return Unexpected(ErrorCode::kConflict, "host '" + host_id +
                                                    "' already has an accepted key (" +
                                                    r.fingerprint + "); revoke it first");
      }
    }
    KeyRecord& r = **found;
    if (sources.empty()) {
      auto address = net::IpAddress::Parse(r.last_address);
      if (!address) {
        return Unexpected(ErrorCode::kInvalidArgument,
                          "the pending key has no usable source address; give --source PREFIX");
      }
      sources.push_back(address->ToString() + "/" + std::to_string(address->BitLength()));
    }
    auto normalised = NormaliseSources(sources);
    if (!normalised) {
      return normalised.error();
    }
    r.state = KeyState::kAccepted;
    r.host_id = host_id;
    r.sources = *normalised;
    r.decided_ms = clock_.NowUnixMs();
    result = r;
    return OkStatus();
  });
  if (!status) {
    return status.error();
  }
  return result;
}

Expected<KeyRecord> KeyStore::Add(const std::string& host_id, const std::string& public_z85,
                                  std::vector<std::string> sources) {
  if (auto s = ValidateHostId(host_id); !s) {
    return s.error();
  }
  if (auto s = keys::ValidateKey(public_z85, "key for '" + host_id + "'"); !s) {
    return s.error();
  }
  if (sources.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "give at least one --source PREFIX the host connects from");
  }
  auto normalised = NormaliseSources(sources);
  if (!normalised) {
    return normalised.error();
  }
  KeyRecord result;
  auto status = Mutate([&](std::vector<KeyRecord>& records) -> Status {
    for (const auto& r : records) {
      if (r.state == KeyState::kAccepted && r.host_id == host_id && r.public_z85 != public_z85) {
        return Unexpected(ErrorCode::kConflict, "host '" + host_id +
                                                    "' already has an accepted key (" +
                                                    r.fingerprint + "); revoke it first");
      }
    }
    records.erase(std::remove_if(records.begin(), records.end(),
                                 [&](const KeyRecord& r) { return r.public_z85 == public_z85; }),
                  records.end());
    KeyRecord r;
    r.public_z85 = public_z85;
    r.fingerprint = keys::Fingerprint(public_z85);
    r.state = KeyState::kAccepted;
    r.host_id = host_id;
    r.sources = *normalised;
    r.first_seen_ms = r.decided_ms = clock_.NowUnixMs();
    records.push_back(r);
    result = r;
    return OkStatus();
  });
  if (!status) {
    return status.error();
  }
  return result;
}

Expected<KeyRecord> KeyStore::Reject(const Selector& which) {
  KeyRecord result;
  auto status = Mutate([&](std::vector<KeyRecord>& records) -> Status {
    auto found = OnePending(records, which);
    if (!found) {
      return found.error();
    }
    (*found)->state = KeyState::kRejected;
    (*found)->decided_ms = clock_.NowUnixMs();
    result = **found;
    return OkStatus();
  });
  if (!status) {
    return status.error();
  }
  return result;
}

Expected<size_t> KeyStore::Revoke(const std::string& host_id) {
  if (auto s = ValidateHostId(host_id); !s) {
    return s.error();
  }
  size_t revoked = 0;
  auto status = Mutate([&](std::vector<KeyRecord>& records) -> Status {
    for (auto& r : records) {
      if (r.state == KeyState::kAccepted && r.host_id == host_id) {
        r.state = KeyState::kRejected;
        r.decided_ms = clock_.NowUnixMs();
        ++revoked;
      }
    }
    if (revoked == 0) {
      return Unexpected(ErrorCode::kNotFound, "host '" + host_id + "' has no accepted key");
    }
    return OkStatus();
  });
  if (!status) {
    return status.error();
  }
  return revoked;
}

Expected<std::map<std::string, channel::Peer>> KeyStore::AllowListOf(
    const std::vector<KeyRecord>& records, const std::string& source) {
  std::map<std::string, channel::Peer> by_key;
  for (const auto& r : records) {
    if (r.state != KeyState::kAccepted) {
      continue;
    }
    channel::Peer peer{r.host_id, {}};
    for (const auto& s : r.sources) {
      auto p = net::Prefix::Parse(s);
      if (!p) {
        return Unexpected(ErrorCode::kParse, source + ": host '" + r.host_id + "' source " +
                                                 text::QuoteUntrusted(s, 64) + ": " +
                                                 p.error().message);
      }
      peer.allowed_sources.push_back(*p);
    }
    by_key[r.public_z85] = std::move(peer);
  }
  return by_key;
}

Status KeyStore::FillAllowList(channel::AllowList* allow) const {
  auto records = List();
  if (!records) {
    return records.error();
  }
  auto by_key = AllowListOf(*records, path_);
  if (!by_key) {
    return by_key.error();
  }
  return allow->ReplaceAll(std::move(*by_key));
}

}  // namespace bnfc::enrol
