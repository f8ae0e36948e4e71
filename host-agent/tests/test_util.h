// Helpers shared by the host-agent tests.
#pragma once

#include <cstdlib>
#include <string>

#include "bnfc/fs.h"

namespace bnfc::hostagent::testing {

inline std::string SourceDir() {
  const char* d = std::getenv("BNFC_SOURCE_DIR");
  return d ? d : ".";
}

inline std::string FixturePath(const std::string& name) {
  return SourceDir() + "/tests/fixtures/esxcli/" + name;
}

// Reads a fixture; an empty string when it cannot be read (the test then fails on its values).
inline std::string Fixture(const std::string& name) {
  auto r = fs::ReadFile(FixturePath(name));
  return r.ok() ? *r : std::string();
}

}  // namespace bnfc::hostagent::testing
