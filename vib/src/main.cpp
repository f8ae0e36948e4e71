// bnfc-vib: builds, inspects and verifies VIBs and offline bundles (docs/vib.md).
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "bnfc/vib/cli.h"

int main(int argc, char** argv) {
  // Zip entry times are stored as local time; fix the zone so bundles are the same everywhere.
  setenv("TZ", "UTC", 1);
  tzset();
  return bnfc::vib::RunCli(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
