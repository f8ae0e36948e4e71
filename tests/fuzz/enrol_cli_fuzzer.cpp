// Fuzz entry point for the enrolment CLI paths (`bnfc-proxyd keys add|accept|reject|revoke`): the
// KeyStore calls those commands make, with fuzzed host ids, keys, source prefixes, fingerprints
// and addresses, on a store seeded with one pending and one accepted key. Input: fields separated
// by NUL bytes: verb, host id, key, fingerprint, from, source, source. "@pending" and "@accepted"
// as key stand for the seeded keys. Invariants, checked by aborting: no exception escapes; after
// every call the store on disk is one the daemon loads (read, validate, allow-list) - nothing the
// daemon would reject is ever written; a failed call changes nothing.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "bnfc/clock.h"
#include "bnfc/fs.h"
#include "bnfc/keys.h"
#include "bnfc/zap.h"
#include "keystore.h"

namespace {

using bnfc::enrol::KeyRecord;
using bnfc::enrol::KeyState;
using bnfc::enrol::KeyStore;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "enrol_cli_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

struct Fixture {
  std::string dir;
  std::string path;
  bnfc::keys::KeyPair pending;
  bnfc::keys::KeyPair accepted;
  std::string seed;
};

const Fixture& Fix() {
  static const Fixture f = [] {
    Fixture x;
    char tmpl[] = "/tmp/bnfc-enrol-fuzz-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      Fail("setup", "mkdtemp");
    }
    x.dir = tmpl;
    x.path = x.dir + "/enrolment.json";
    x.pending = *bnfc::keys::Generate();
    x.accepted = *bnfc::keys::Generate();
    KeyRecord p;
    p.public_z85 = x.pending.public_z85;
    p.fingerprint = bnfc::keys::Fingerprint(p.public_z85);
    p.state = KeyState::kPending;
    p.last_address = "10.0.0.5";
    KeyRecord a;
    a.public_z85 = x.accepted.public_z85;
    a.fingerprint = bnfc::keys::Fingerprint(a.public_z85);
    a.state = KeyState::kAccepted;
    a.host_id = "esx01";
    a.sources = {"10.0.0.6/32"};
    x.seed = bnfc::enrol::Serialize({p, a});
    return x;
  }();
  return f;
}

std::vector<std::string> Fields(const uint8_t* data, size_t size) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      out.emplace_back();
    } else {
      out.back() += static_cast<char>(data[i]);
    }
  }
  out.resize(7);
  return out;
}

void CheckLoads(const std::string& path, const char* after) {
  KeyStore store(path, bnfc::SystemClock::Instance());
  auto records = store.List();
  if (!records) {
    Fail(after, "the store no longer reads: " + records.error().message);
  }
  bnfc::channel::AllowList allow;
  if (auto s = store.FillAllowList(&allow); !s) {
    Fail(after, "the daemon would refuse the store: " + s.error().message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = Fix();
  if (!bnfc::fs::WriteFileAtomic(f.path, f.seed, 0600).ok()) {
    Fail("setup", "cannot write the seed store");
  }
  auto v = Fields(data, size);
  const std::string& verb = v[0];
  std::string key = v[2] == "@pending"    ? f.pending.public_z85
                    : v[2] == "@accepted" ? f.accepted.public_z85
                                          : v[2];
  bnfc::enrol::Selector which{v[3], key, v[4]};
  std::vector<std::string> sources;
  for (size_t i = 5; i < 7; ++i) {
    if (!v[i].empty()) {
      sources.push_back(v[i]);
    }
  }
  KeyStore store(f.path, bnfc::SystemClock::Instance());
  bool ok = false;
  try {
    if (verb == "add") {
      ok = store.Add(v[1], key, sources).ok();
    } else if (verb == "accept") {
      ok = store.Accept(v[1], which, sources).ok();
    } else if (verb == "reject") {
      ok = store.Reject(which).ok();
    } else if (verb == "revoke") {
      ok = store.Revoke(v[1]).ok();
    } else {
      return 0;
    }
  } catch (const std::exception& e) {
    Fail(verb.c_str(), std::string("exception (an abort in the CLI): ") + e.what());
  }
  CheckLoads(f.path, verb.c_str());
  if (!ok) {
    auto now = bnfc::fs::ReadFile(f.path);
    if (!now || *now != f.seed) {
      Fail(verb.c_str(), "a failed call changed the store");
    }
  }
  return 0;
}
