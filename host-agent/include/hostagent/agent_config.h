// bnfc-hostd configuration: the key=value schema (common/include/bnfc/config.h) and the
// cross-key checks that turn it into EngineSettings. docs/host-agent.md documents every key.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bnfc/config.h"
#include "bnfc/expected.h"
#include "hostagent/cycle.h"

namespace bnfc::hostagent {

struct ProxyConfig {
  std::string endpoint;    // tcp://ADDRESS:PORT (control channel, management network)
  std::string server_key;  // the proxy's CURVE public key, Z85 (40 characters), pinned
};

struct AgentConfig {
  EngineSettings engine;
  std::vector<ProxyConfig> proxies;
  std::string public_key_file;
  std::string secret_key_file;
  std::chrono::milliseconds interval{60000};
  std::string log_level = "info";
};

const config::Schema& HostdSchema();

// `source` names the file in messages. Errors name the file, the line and the key.
Expected<AgentConfig> ParseAgentConfig(const std::string& text, const std::string& source);
Expected<AgentConfig> LoadAgentConfig(const std::string& path);

}  // namespace bnfc::hostagent
