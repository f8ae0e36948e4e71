// bnfc-hostd command-line dispatcher. Everything testable lives in bnfc_hostagent_lib.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "bnfc/version.h"
#include "hostagent/cli.h"
#include "hostagent/userworld.h"
#include "hostd_daemon.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--version") {
    std::cout << "bnfc-hostd " << BNFC_VERSION << "\n";
    return 0;
  }
  // `run`, `keygen` and `key show` with --help: their usage on stdout, exit 0.
  static const char* const kDaemonUsage[][2] = {
      {"run",
       "usage: bnfc-hostd run [--config FILE] [--foreground]\n"
       "  runs the agent: a cycle every `interval`, reports to every configured proxy\n"},
      {"keygen",
       "usage: bnfc-hostd keygen [--config FILE | --dir DIR]\n"
       "  creates this host's CURVE key pair if missing (DIR/hostd.key, "
       "DIR/hostd.key_secret)\n"},
      {"key",
       "usage: bnfc-hostd key show [--config FILE | --dir DIR]\n"
       "  prints this host's public key and its fingerprint\n"}};
  for (const auto& [command, usage] : kDaemonUsage) {
    if (!args.empty() && args[0] == command) {
      for (const auto& a : args) {
        if (a == "--help" || a == "-h") {
          std::cout << usage;
          return 0;
        }
      }
    }
  }
  // Before any thread, libsodium or libzmq: ESXi's userworld (memory, randomness).
  if (auto prepared = bnfc::hostagent::PrepareUserworld(); !prepared) {
    std::cerr << "bnfc-hostd: " << prepared.error().message << "\n";
    return 1;
  }
  // The long-running agent and key handling need the secure channel; the rest is in RunCli.
  if (!args.empty() && args[0] == "run") {
    std::string config = "/etc/bnfc/hostd.conf";
    bool foreground = false;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--config" && i + 1 < args.size()) {
        config = args[++i];
      } else if (args[i] == "--foreground" || args[i] == "-f") {
        foreground = true;
      } else {
        std::cerr << "usage: bnfc-hostd run [--config FILE] [--foreground]\n";
        return 2;
      }
    }
    return bnfc::hostagent::RunDaemon(config, foreground, std::cerr);
  }
  if (!args.empty() && args[0] == "keygen") {
    return bnfc::hostagent::Keygen(args, std::cout, std::cerr);
  }
  if (!args.empty() && args[0] == "key") {
    return bnfc::hostagent::KeyShow(args, std::cout, std::cerr);
  }
  return bnfc::hostagent::RunCli(args, std::cout, std::cerr);
}
