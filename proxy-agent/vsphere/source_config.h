// One vSphere source (a vCenter or a standalone ESXi host) the proxy reads hosts from: the
// per-source key=value file named by `vsphere_source = PATH` in proxyd.conf, and its credentials
// file (docs/vsphere-source.md).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "bnfc/config.h"
#include "bnfc/expected.h"

namespace bnfc::vsphere {

enum class ScopeKind { kAll, kHosts, kCluster, kDatacenter };
const char* ScopeKindName(ScopeKind k);  // "all" | "hosts" | "cluster" | "datacenter"

struct Scope {
  ScopeKind kind = ScopeKind::kAll;
  std::vector<std::string> hosts;  // kHosts: lower-cased host names
  std::string name;                // kCluster / kDatacenter
};

// "all" | "hosts: a, b" | "cluster: NAME" | "datacenter: NAME".
Expected<Scope> ParseScope(const std::string& text);

struct Url {
  std::string host;
  int port = 443;
  std::string path = "/sdk";
};
// https only: credentials never cross the wire in clear text.
Expected<Url> ParseHttpsUrl(const std::string& text);

// "AA:BB:..." (32 bytes, colon-separated hex, case-insensitive) -> lower-case "aa:bb:...".
Expected<std::string> NormalizeThumbprint(const std::string& text);

struct Credentials {
  std::string username;
  std::string password;
};

struct SourceConfig {
  std::string file;  // the per-source file, for messages
  std::string name;
  std::string url_text;
  Url url;
  std::string credentials_file;
  std::string thumbprint;  // normalized; "" when ca_file or insecure
  std::string ca_file;     // "" when thumbprint or insecure
  bool insecure = false;   // shown in the report; discouraged
  Scope scope;
  std::string tag_policy = "observe";  // observe | ensure
  // The backup vmknic of every host in scope, in the words PlanApiTagChanges takes: "vmk1"
  // (backup_vmk) or "portgroup: NAME" (backup_portgroup). "" when neither key is set (then
  // tag_policy must be observe).
  std::string backup_vmknic;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

const config::Schema& SourceSchema();
const config::Schema& CredentialsSchema();

// Pure: the per-source file's text (relative credentials/ca_file paths stay as written).
Expected<SourceConfig> SourceConfigFromText(const std::string& text, const std::string& source);
Expected<SourceConfig> LoadSourceConfig(const std::string& path);

// The credentials file: refused unless a regular file (not a symlink), mode 0600 or 0400 and
// owned by `service_uid`; then parsed (username and password required, non-empty).
Expected<Credentials> LoadCredentials(const std::string& path, uid_t service_uid);
Expected<Credentials> CredentialsFromText(const std::string& text, const std::string& source);

}  // namespace bnfc::vsphere
