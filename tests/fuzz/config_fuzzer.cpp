// Fuzz entry point for the config parser (common/include/bnfc/config.h) and the value parsers its
// types use. Invariants, checked by aborting: every input gives a config or an error whose message
// names the file; a parsed config answers every typed getter for the keys it has; addresses,
// prefixes and MACs that parse print back to text that parses to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bnfc/config.h"
#include "bnfc/net.h"

namespace {

using bnfc::config::KeySpec;
using bnfc::config::Schema;
using bnfc::config::Type;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "config_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Shaped like the agents' own files: every type, required, repeated and defaulted keys.
const Schema& FuzzSchema() {
  static const Schema schema = {
      KeySpec::Make("host_id", Type::kString, "name of this host").Required(),
      KeySpec::Make("proxy", Type::kIpAddress, "proxy address").Repeated(),
      KeySpec::Make("port", Type::kInt, "proxy port").Range(1, 65535).Default("9902"),
      KeySpec::Make("retries", Type::kInt, "any integer").Range(0, -1),
      KeySpec::Make("interval", Type::kDuration, "check interval").Default("30s"),
      KeySpec::Make("failover", Type::kBool, "failover to management").Default("no"),
      KeySpec::Make("tag_policy", Type::kEnum, "tag policy").Choices({"ensure", "observe"}),
      KeySpec::Make("backup_subnet", Type::kPrefix, "backup subnet").Repeated(),
      KeySpec::Make("key_file", Type::kPath, "secret key file"),
      KeySpec::Make("log_level", Type::kString, "log level").Default("info"),
  };
  return schema;
}

void CheckConfig(const bnfc::config::Config& config) {
  for (const KeySpec& spec : FuzzSchema()) {
    const std::string& k = spec.key;
    bool has = config.Has(k);
    if (has != config.GetString(k).has_value()) {
      Fail("Has() disagrees with GetString()", k);
    }
    if (!spec.repeated && config.GetAll(k).size() > 1) {
      Fail("non-repeated key with several values", k);
    }
    if (!has) {
      if (spec.required) {
        Fail("required key missing from a parsed config", k);
      }
      continue;
    }
    bool typed = true;
    switch (spec.type) {
      case Type::kInt: {
        auto v = config.GetInt(k);
        typed = v.has_value() &&
                (spec.max_int < spec.min_int || (*v >= spec.min_int && *v <= spec.max_int));
        break;
      }
      case Type::kBool:
        typed = config.GetBool(k).has_value();
        break;
      case Type::kDuration:
        typed = config.GetDuration(k).has_value() && config.GetDuration(k)->count() >= 0;
        break;
      case Type::kIpAddress:
        typed = config.GetIpAddress(k).has_value();
        break;
      case Type::kPrefix:
        typed = config.GetPrefix(k).has_value();
        break;
      case Type::kPath:
        typed = !config.GetString(k)->empty() && (*config.GetString(k))[0] == '/';
        break;
      case Type::kEnum:
      case Type::kString:
        break;
    }
    if (!typed) {
      Fail("validated value has no typed reading", k + " = " + *config.GetString(k));
    }
  }
}

void CheckValueParsers(const std::string& text) {
  using bnfc::net::IpAddress;
  using bnfc::net::MacAddress;
  using bnfc::net::Prefix;
  if (auto a = IpAddress::Parse(text); a.ok()) {
    auto again = IpAddress::Parse(a->ToString());
    if (!again.ok() || *again != *a) {
      Fail("IP address does not round-trip", text);
    }
  } else if (a.error().message.empty()) {
    Fail("IP address error without a message", text);
  }
  if (auto p = Prefix::Parse(text); p.ok()) {
    auto again = Prefix::Parse(p->ToString());
    if (!again.ok() || !(*again == *p) || !p->Network().Contains(p->address) ||
        !p->Overlaps(p->Network())) {
      Fail("prefix does not round-trip", text);
    }
  }
  if (auto m = MacAddress::Parse(text); m.ok()) {
    auto again = MacAddress::Parse(m->ToString());
    if (!again.ok() || *again != *m) {
      Fail("MAC address does not round-trip", text);
    }
  }
  if (auto d = bnfc::config::ParseDuration(text); !d.ok() && d.error().message.empty()) {
    Fail("duration error without a message", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto config = bnfc::config::ParseText(text, "fuzz.conf", FuzzSchema());
  if (config.ok()) {
    CheckConfig(*config);
  } else {
    const std::string& m = config.error().message;
    if (m.empty()) {
      Fail("error without a message", "");
    }
    if (m.rfind("fuzz.conf", 0) != 0) {
      Fail("error does not name the file", m);
    }
  }
  if (size <= 128) {
    CheckValueParsers(text);
  }
  return 0;
}
