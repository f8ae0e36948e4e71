// `bnfc-hostd run`, `keygen` and `key show`: the long-running host agent and its key handling.
#pragma once

#include <atomic>
#include <ostream>
#include <string>
#include <vector>

namespace bnfc::hostagent {

// Returns the process exit code. Runs cycles every `interval`, reports to every proxy, takes the
// proxies' ProbeRequest targets into the next cycle, until SIGTERM/SIGINT.
int RunDaemon(const std::string& config_path, bool foreground, std::ostream& err);
// Creates the host key pair named in the config (or in DIR as host.key/host.pub) if missing.
int Keygen(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
// Prints this host's public key and its fingerprint.
int KeyShow(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace bnfc::hostagent
