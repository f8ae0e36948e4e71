// Fuzz entry point for the agents' own configuration readers on top of the generic parser:
// bnfc-hostd's config (ParseAgentConfig: selectors, proxies with pinned keys, probes, cross-key
// checks), bnfc-proxyd's config (ProxyConfigFromText: listen addresses, mapping lines) and the
// enrolment store (enrol::Deserialize, JSON). Every input goes through all three. Invariants,
// checked by aborting: an error has a message that names the source; an accepted config has sane
// values; an accepted key store serialises back to text that reads to the same records.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hostagent/agent_config.h"
#include "keystore.h"
#include "proxy_config.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "agent_config_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckError(const char* reader, const bnfc::Error& e, const std::string& source) {
  if (e.message.find(source) == std::string::npos) {
    Fail(reader, "error does not name the source: " + e.message);
  }
}

void CheckHostConfig(const std::string& text) {
  auto c = bnfc::hostagent::ParseAgentConfig(text, "hostd.conf");
  if (!c.ok()) {
    CheckError("hostd config", c.error(), "hostd.conf");
    return;
  }
  if (c->interval.count() <= 0) {
    Fail("hostd config", "accepted a non-positive interval");
  }
  for (const auto& p : c->proxies) {
    if (p.endpoint.rfind("tcp://", 0) != 0 || p.server_key.size() != 40) {
      Fail("hostd config", "accepted a proxy without endpoint or 40-character key: " + p.endpoint);
    }
  }
}

void CheckProxyConfig(const std::string& text) {
  auto c = bnfc::proxyd::ProxyConfigFromText(text, "proxyd.conf");
  if (!c.ok()) {
    CheckError("proxyd config", c.error(), "proxyd.conf");
    return;
  }
  if (c->proxy_id.empty() || c->nfc_port < 1 || c->nfc_port > 65535 || c->interval.count() <= 0 ||
      c->listen.rfind("tcp://", 0) != 0) {
    Fail("proxyd config", "accepted an out-of-range value");
  }
  for (const auto& m : c->mappings) {
    if (m.prefix.empty() || m.interface.empty() || m.line <= 0) {
      Fail("proxyd config", "accepted an incomplete mapping line");
    }
  }
}

bool SameRecords(const std::vector<bnfc::enrol::KeyRecord>& a,
                 const std::vector<bnfc::enrol::KeyRecord>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& x = a[i];
    const auto& y = b[i];
    if (x.public_z85 != y.public_z85 || x.fingerprint != y.fingerprint || x.state != y.state ||
        x.host_id != y.host_id || x.sources != y.sources || x.last_address != y.last_address ||
        x.first_seen_ms != y.first_seen_ms || x.last_seen_ms != y.last_seen_ms ||
        x.decided_ms != y.decided_ms || x.attempts != y.attempts) {
      return false;
    }
  }
  return true;
}

void CheckKeyStore(const std::string& text) {
  auto records = bnfc::enrol::Deserialize(text, "enrolment.json");
  if (!records.ok()) {
    CheckError("key store", records.error(), "enrolment.json");
    return;
  }
  auto again = bnfc::enrol::Deserialize(bnfc::enrol::Serialize(*records), "enrolment.json");
  if (!again.ok() || !SameRecords(*records, *again)) {
    Fail("key store", "records do not survive a write and a read");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  CheckHostConfig(text);
  CheckProxyConfig(text);
  CheckKeyStore(text);
  return 0;
}
