// The bnfc-hostd command line, callable from tests: every command declared once with the shared
// kit (bnfc/cli.h) for parsing and `COMMAND --help`.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bnfc/cli.h"

namespace bnfc::hostagent {

// Every bnfc-hostd command: its options, operands and exit statuses.
const std::vector<cli::Command>& Commands();

struct Invocation {
  const cli::Command* command = nullptr;
  cli::Parsed parsed;
};
// The command `args` names, parsed. nullopt when there is nothing to run: help was printed to
// `out` (*exit_code 0) or a usage error to `err` (*exit_code 2). `key` alone means `key show`.
std::optional<Invocation> Resolve(const std::vector<std::string>& args, std::ostream& out,
                                  std::ostream& err, int* exit_code);

// args excludes the program name; runs inventory, check, status and tag (run, keygen and key show
// need the secure channel and live in the binary). Returns the process exit code: 0 success (for
// `check`: the host is ready for isolated NBD), 1 not ready / operation failed, 2 usage or
// configuration error.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace bnfc::hostagent
