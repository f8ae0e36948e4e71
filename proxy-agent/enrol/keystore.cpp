#include "keystore.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <map>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "bnfc/fs.h"
#include "bnfc/keys.h"

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

Expected<std::vector<KeyRecord>> Load(const std::string& path) {
  if (!fs::Exists(path)) {
    return std::vector<KeyRecord>{};
  }
  auto text = fs::ReadFile(path);
  if (!text) {
    return text.error();
  }
  return Deserialize(*text, path);
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

Expected<std::vector<std::string>> NormaliseSources(const std::vector<std::string>& sources) {
  std::vector<std::string> out;
  for (const auto& s : sources) {
    auto p = net::Prefix::Parse(s);
    if (!p) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "source prefix '" + s + "': " + p.error().message);
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

std::string Serialize(const std::vector<KeyRecord>& records) {
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
  return json{{"version", 1}, {"keys", keys}}.dump(2) + "\n";
}

Expected<std::vector<KeyRecord>> Deserialize(const std::string& text, const std::string& source) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return Unexpected(ErrorCode::kParse,
                      source + ": not a key store (expected a JSON object with a \"keys\" array)");
  }
  std::vector<KeyRecord> out;
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
      out.push_back(std::move(r));
    } catch (const json::exception& e) {
      return Unexpected(ErrorCode::kParse, where + ": " + e.what());
    }
  }
  return out;
}

template <typename F>
Status KeyStore::Mutate(F change) {
  FileLock lock(path_);
  if (!lock.ok()) {
    return Unexpected(ErrorCode::kIo, "cannot lock " + path_ + ".lock: " + lock.error());
  }
  auto records = Load(path_);
  if (!records) {
    return records.error();
  }
  if (auto s = change(*records); !s) {
    return s;
  }
  return fs::WriteFileAtomic(path_, Serialize(*records), 0600);
}

Expected<std::vector<KeyRecord>> KeyStore::List() const {
  return Load(path_);
}

Status KeyStore::RecordPending(const std::string& public_z85, const std::string& address) {
  if (!keys::ValidateKey(public_z85, "key").ok()) {
    return Unexpected(ErrorCode::kInvalidArgument, "refusing to record an invalid or test key");
  }
  int64_t now = clock_.NowUnixMs();
  return Mutate([&](std::vector<KeyRecord>& records) -> Status {
    for (auto& r : records) {
      if (r.public_z85 == public_z85) {
        r.last_seen_ms = now;
        r.last_address = address;
        r.attempts++;
        return OkStatus();
      }
    }
    KeyRecord r;
    r.public_z85 = public_z85;
    r.fingerprint = keys::Fingerprint(public_z85);
    r.last_address = address;
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
  KeyRecord result;
  auto status = Mutate([&](std::vector<KeyRecord>& records) -> Status {
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
    for (const auto& r : records) {
      if (r.state == KeyState::kAccepted && r.host_id == host_id) {
        return Unexpected(ErrorCode::kConflict, "host '" + host_id +
                                                    "' already has an accepted key (" +
                                                    r.fingerprint + "); revoke it first");
      }
    }
    KeyRecord& r = *found.front();
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
    std::vector<KeyRecord*> found;
    for (auto& r : records) {
      if (r.state == KeyState::kPending && Matches(r, which)) {
        found.push_back(&r);
      }
    }
    if (found.size() != 1) {
      return Unexpected(found.empty() ? ErrorCode::kNotFound : ErrorCode::kConflict,
                        found.empty() ? "no pending key matches"
                                      : "several pending keys match; use --fingerprint");
    }
    found.front()->state = KeyState::kRejected;
    found.front()->decided_ms = clock_.NowUnixMs();
    result = *found.front();
    return OkStatus();
  });
  if (!status) {
    return status.error();
  }
  return result;
}

Expected<size_t> KeyStore::Revoke(const std::string& host_id) {
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

Status KeyStore::FillAllowList(channel::AllowList* allow) const {
  auto records = List();
  if (!records) {
    return records.error();
  }
  std::map<std::string, channel::Peer> by_key;
  for (const auto& r : *records) {
    if (r.state != KeyState::kAccepted) {
      continue;
    }
    channel::Peer peer{r.host_id, {}};
    for (const auto& s : r.sources) {
      auto p = net::Prefix::Parse(s);
      if (!p) {
        return Unexpected(ErrorCode::kParse, path_ + ": host '" + r.host_id + "' source '" + s +
                                                 "': " + p.error().message);
      }
      peer.allowed_sources.push_back(*p);
    }
    by_key[r.public_z85] = std::move(peer);
  }
  return allow->ReplaceAll(std::move(by_key));
}

}  // namespace bnfc::enrol
