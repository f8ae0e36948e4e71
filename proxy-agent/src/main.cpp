#include <cstring>
#include <iostream>

#include "bnfc/version.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << "bnfc-proxyd " << BNFC_VERSION << "\n";
    return 0;
  }
  std::cerr << "usage: bnfc-proxyd --version\n";
  return 2;
}
