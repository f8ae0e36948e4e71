// The bnfc-hostd subcommands (inventory, check, status, tag), callable from tests.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace bnfc::hostagent {

// args excludes the program name. Returns the process exit code: 0 success (for `check`: the host
// is ready for isolated NBD), 1 not ready / operation failed, 2 usage or configuration error.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace bnfc::hostagent
