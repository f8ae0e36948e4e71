// bnfc-proxyd configuration (key = value, see docs/proxy-agent.md).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bnfc/config.h"
#include "bnfc/expected.h"

namespace bnfc::proxyd {

struct MappingLine {
  std::string prefix;
  std::string interface;
  std::string via;  // empty: directly attached
  int line = 0;
};

struct ProxyConfig {
  std::string source;  // file name, for messages
  std::string proxy_id;
  std::string listen;       // tcp://ADDRESS:PORT of the CURVE ROUTER (management address)
  std::string http_listen;  // ADDRESS:PORT of /metrics and the report
  std::string state_dir;    // key store, server keys, last report
  std::string server_secret_key;
  std::string server_public_key;
  std::vector<std::string> backup_interfaces;  // empty: any interface may be mapped
  std::vector<MappingLine> mappings;
  // Per-source files of the vSphere sources (vCenter or ESXi) read through the API, in file order.
  std::vector<std::string> vsphere_sources;
  int route_table = 902;
  int rule_priority = 9020;
  int rt_protocol = 190;
  int nfc_port = 902;
  std::chrono::milliseconds freshness{std::chrono::seconds(90)};
  std::chrono::milliseconds pin_ttl{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds interval{std::chrono::seconds(10)};
  bool tcp_check = true;
  bool allow_public_plaintext = false;
  bool retain_on_stop = false;
  std::string log_level = "info";
  // Concurrent control connections one source address may hold (0: no cap); see conn_guard.h.
  int max_connections_per_source = 32;
  // A control connection that has not authenticated by then is closed.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds(5)};
};

// proxy_id grammar: 1 to 64 of [A-Za-z0-9._-], starting with a letter or digit. It names the
// proxy in reports, file contents and the envelopes hosts log.
Status ValidateProxyId(const std::string& id);

const config::Schema& ProxySchema();
Expected<ProxyConfig> LoadProxyConfig(const std::string& path);
// gethostname(2): proxy_id's default ("" when it fails).
std::string LocalHostName();
Expected<ProxyConfig> ProxyConfigFromText(const std::string& text, const std::string& source);

}  // namespace bnfc::proxyd
