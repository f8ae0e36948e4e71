// bnfc-hostd command-line dispatcher. Everything testable lives in bnfc_hostagent_lib.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "bnfc/version.h"
#include "hostagent/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--version") {
    std::cout << "bnfc-hostd " << BNFC_VERSION << "\n";
    return 0;
  }
  return bnfc::hostagent::RunCli(args, std::cout, std::cerr);
}
