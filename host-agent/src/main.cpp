// bnfc-hostd command-line dispatcher. Everything testable lives in bnfc_hostagent_lib; parsing and
// every command's --help come from its command table (hostagent/cli.h).
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
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    return bnfc::hostagent::RunCli(args, std::cout, std::cerr);
  }
  // `run -f` predates the kit's long options only; watchdog setups written for it keep working.
  if (args[0] == "run") {
    for (auto& a : args) {
      a = a == "-f" ? "--foreground" : a;
    }
  }
  // Help and usage errors first: they need no config, no keys and no userworld preparation.
  int code = 2;
  auto inv = bnfc::hostagent::Resolve(args, std::cout, std::cerr, &code);
  if (!inv) {
    return code;
  }
  // Before any thread, libsodium or libzmq: ESXi's userworld (memory, randomness).
  if (auto prepared = bnfc::hostagent::PrepareUserworld(); !prepared) {
    std::cerr << "bnfc-hostd: " << prepared.error().message << "\n";
    return 1;
  }
  const std::string& name = inv->command->name;
  const auto& p = inv->parsed;
  if (name == "run") {
    return bnfc::hostagent::RunDaemon(p.Get("config", "/etc/bnfc/hostd.conf"), p.Has("foreground"),
                                      std::cerr);
  }
  if (name == "keygen" || name == "key show") {
    // The key commands read their paths from --dir or the config (hostd_daemon.cpp).
    std::vector<std::string> words = name == "keygen" ? std::vector<std::string>{"keygen"}
                                                      : std::vector<std::string>{"key", "show"};
    if (p.Has("dir")) {
      words.insert(words.end(), {"--dir", p.Get("dir")});
    } else if (p.Has("config")) {
      words.insert(words.end(), {"--config", p.Get("config")});
    }
    return name == "keygen" ? bnfc::hostagent::Keygen(words, std::cout, std::cerr)
                            : bnfc::hostagent::KeyShow(words, std::cout, std::cerr);
  }
  return bnfc::hostagent::RunCli(args, std::cout, std::cerr);
}
