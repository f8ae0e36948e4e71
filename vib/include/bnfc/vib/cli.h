// `bnfc-vib` command line, as a function so tests can run it in-process.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace bnfc::vib {

// Exit codes: 0 success (verify: no errors), 1 problems found / build failed, 2 usage or I/O error.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace bnfc::vib
