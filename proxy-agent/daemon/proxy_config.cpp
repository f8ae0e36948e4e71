#include "proxy_config.h"

#include <unistd.h>

#include <sstream>

#include "bnfc/fs.h"
#include "bnfc/net.h"
#include "bnfc/report/http.h"
#include "bnfc/text.h"

namespace bnfc::proxyd {

const config::Schema& ProxySchema() {
  using config::Type;
  using K = config::KeySpec;
  static const config::Schema schema = {
      K::Make("proxy_id", Type::kString, "name of this proxy in reports (default: host name)"),
      K::Make("listen", Type::kString,
              "ADDRESS:PORT of the CURVE control channel (the management address)")
          .Default("0.0.0.0:9902"),
      K::Make("http_listen", Type::kString, "ADDRESS:PORT of /metrics and the report")
          .Default("127.0.0.1:9903"),
      K::Make("state_dir", Type::kPath, "directory for the key store and server keys")
          .Default("/var/lib/bnfc"),
      K::Make("server_secret_key", Type::kPath, "server secret key (default STATE_DIR/server.key)"),
      K::Make("server_public_key", Type::kPath, "server public key (default STATE_DIR/server.pub)"),
      K::Make("backup_interface", Type::kString, "interface that may carry NBD").Repeated(),
      K::Make("mapping", Type::kString, "PREFIX INTERFACE [via GATEWAY]").Repeated(),
      K::Make("vsphere_source", Type::kPath,
              "file describing one vCenter or ESXi host read through the vSphere API")
          .Repeated(),
      K::Make("route_table", Type::kInt, "routing table for pins")
          .Range(1, 0xFFFFFFF0LL)
          .Default("902"),
      K::Make("rule_priority", Type::kInt, "priority of the policy rules")
          .Range(1, 32765)
          .Default("9020"),
      K::Make("rt_protocol", Type::kInt, "rtm_protocol stamped on routes and rules")
          .Range(5, 254)
          .Default("190"),
      K::Make("nfc_port", Type::kInt, "TCP port of NFC").Range(1, 65535).Default("902"),
      K::Make("freshness", Type::kDuration, "a host report older than this is stale")
          .Default("90s"),
      K::Make("pin_ttl", Type::kDuration, "a silent host's pin is removed after this")
          .Default("168h"),
      K::Make("interval", Type::kDuration, "how often checks and reconcile run").Default("10s"),
      K::Make("tcp_check", Type::kBool, "connect to NFC_ADDRESS:902 from the backup address")
          .Default("true"),
      K::Make("allow_public_plaintext", Type::kBool, "do not recommend NBDSSL for public addresses")
          .Default("false"),
      K::Make("retain_on_stop", Type::kBool, "keep pins when the agent stops").Default("false"),
      K::Make("max_connections_per_source", Type::kInt,
              "concurrent control connections one source address may hold (0: no cap)")
          .Range(0, 1000000)
          .Default("32"),
      K::Make("handshake_timeout", Type::kDuration,
              "a control connection that has not authenticated by then is closed")
          .Default("5s"),
      K::Make("log_level", Type::kEnum, "log level")
          .Choices({"debug", "info", "warning", "error"})
          .Default("info"),
  };
  return schema;
}

namespace {

// "PREFIX INTERFACE [via GATEWAY]": the prefix and gateway must parse and be of one family, the
// interface must be a possible Linux interface name.
Expected<MappingLine> ParseMappingLine(const config::Entry& e) {
  std::istringstream words(e.value);
  MappingLine m;
  m.line = e.line;
  std::string via_word, extra;
  words >> m.prefix >> m.interface >> via_word >> m.via >> extra;
  bool shape_ok = !m.prefix.empty() && !m.interface.empty() && extra.empty() &&
                  (via_word.empty() ? m.via.empty() : (via_word == "via" && !m.via.empty()));
  if (!shape_ok) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "expected 'PREFIX INTERFACE [via GATEWAY]', got '" + e.value + "'");
  }
  auto prefix = net::Prefix::Parse(m.prefix);
  if (!prefix) {
    return Unexpected(ErrorCode::kInvalidArgument, prefix.error().message);
  }
  // IFNAMSIZ is 16 with the terminating NUL; '/' and white space cannot occur in a name.
  if (m.interface.size() > 15 || m.interface.find('/') != std::string::npos) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "'" + m.interface +
                          "' cannot be a Linux interface name (at most 15 "
                          "characters, no '/')");
  }
  if (!m.via.empty()) {
    auto via = net::IpAddress::Parse(m.via);
    if (!via) {
      return Unexpected(ErrorCode::kInvalidArgument, "gateway: " + via.error().message);
    }
    if (via->family != prefix->address.family) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "gateway " + m.via + " is not of the address family of " + m.prefix);
    }
  }
  return m;
}

}  // namespace

Status ValidateProxyId(const std::string& id) {
  constexpr size_t kMax = 64;
  if (id.empty() || id.size() > kMax) {
    return Unexpected(
        ErrorCode::kInvalidArgument,
        "must be 1 to " + std::to_string(kMax) + " characters, not " + std::to_string(id.size()));
  }
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  };
  for (char c : id) {
    if (!allowed(c)) {
      return Unexpected(
          ErrorCode::kInvalidArgument,
          text::QuoteUntrusted(id, 64) + " may contain only letters, digits, '.', '_' and '-'");
    }
  }
  if (id.front() == '.' || id.front() == '_' || id.front() == '-') {
    return Unexpected(ErrorCode::kInvalidArgument,
                      text::QuoteUntrusted(id, 64) + " must start with a letter or digit");
  }
  return OkStatus();
}

std::string LocalHostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) {
    return "";
  }
  return name;
}

Expected<ProxyConfig> ProxyConfigFromText(const std::string& text, const std::string& source) {
  auto parsed = config::ParseText(text, source, ProxySchema());
  if (!parsed) {
    return parsed.error();
  }
  const config::Config& c = *parsed;
  ProxyConfig out;
  out.source = source;
  out.proxy_id = c.GetAll("proxy_id").empty() ? LocalHostName() : *c.GetString("proxy_id");
  if (out.proxy_id.empty() && c.GetAll("proxy_id").empty()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      source + ": proxy_id is not set and the host name is empty");
  }
  if (out.proxy_id.empty()) {
    return config::KeyError(source, c.GetAll("proxy_id").back(), "proxy_id",
                            "must not be empty: it names this proxy in every report");
  }
  if (auto s = ValidateProxyId(out.proxy_id); !s) {
    return config::KeyError(source, c.GetAll("proxy_id").back(), "proxy_id", s.error().message);
  }
  out.listen = "tcp://" + c.GetStringOr("listen", "0.0.0.0:9902");
  out.http_listen = c.GetStringOr("http_listen", "127.0.0.1:9903");
  out.state_dir = c.GetStringOr("state_dir", "/var/lib/bnfc");
  out.server_secret_key = c.GetStringOr("server_secret_key", out.state_dir + "/server.key");
  out.server_public_key = c.GetStringOr("server_public_key", out.state_dir + "/server.pub");
  for (const auto& e : c.GetAll("backup_interface")) {
    out.backup_interfaces.push_back(e.value);
  }
  for (const auto& e : c.GetAll("mapping")) {
    auto m = ParseMappingLine(e);
    if (!m) {
      return config::KeyError(source, e, "mapping", m.error().message);
    }
    out.mappings.push_back(*m);
  }
  for (const auto& e : c.GetAll("vsphere_source")) {
    for (const auto& seen : out.vsphere_sources) {
      if (seen == e.value) {
        return config::KeyError(source, e, "vsphere_source", "names " + e.value + " twice");
      }
    }
    out.vsphere_sources.push_back(e.value);
  }
  out.route_table = static_cast<int>(*c.GetInt("route_table"));
  // 253 (default), 254 (main) and 255 (local) are the kernel's own tables: our pins and their
  // clean-up must never share one with routes we do not own. 0 is "unspecified".
  if (out.route_table == 0 || (out.route_table >= 253 && out.route_table <= 255)) {
    return config::KeyError(source, c.GetAll("route_table").back(), "route_table",
                            "tables 253 (default), 254 (main) and 255 (local) belong to the "
                            "kernel; choose another, e.g. 902");
  }
  out.max_connections_per_source = static_cast<int>(*c.GetInt("max_connections_per_source"));
  out.rule_priority = static_cast<int>(*c.GetInt("rule_priority"));
  out.rt_protocol = static_cast<int>(*c.GetInt("rt_protocol"));
  out.nfc_port = static_cast<int>(*c.GetInt("nfc_port"));
  out.freshness = *c.GetDuration("freshness");
  out.pin_ttl = *c.GetDuration("pin_ttl");
  out.interval = *c.GetDuration("interval");
  // Zero would make a busy loop (interval), a pair stale at once (freshness) or a pin expire as
  // it is made (pin_ttl).
  out.handshake_timeout = *c.GetDuration("handshake_timeout");
  for (const char* key : {"interval", "freshness", "pin_ttl", "handshake_timeout"}) {
    if (c.GetDuration(key)->count() <= 0) {
      auto entries = c.GetAll(key);
      return config::KeyError(source, entries.empty() ? config::Entry{} : entries.back(), key,
                              "must be longer than 0s");
    }
  }
  if (auto http = report::ParseHttpListen(out.http_listen); !http) {
    auto entries = c.GetAll("http_listen");
    return config::KeyError(source, entries.empty() ? config::Entry{} : entries.back(),
                            "http_listen", http.error().message);
  }
  out.tcp_check = *c.GetBool("tcp_check");
  out.allow_public_plaintext = *c.GetBool("allow_public_plaintext");
  out.retain_on_stop = *c.GetBool("retain_on_stop");
  out.log_level = c.GetStringOr("log_level", "info");
  return out;
}

Expected<ProxyConfig> LoadProxyConfig(const std::string& path) {
  auto text = fs::ReadFile(path, 1 << 20);
  if (!text) {
    return text.error();
  }
  return ProxyConfigFromText(*text, path);
}

}  // namespace bnfc::proxyd
