// Helpers shared by the host-agent tests.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include <gtest/gtest.h>

#include "bnfc/fs.h"
#include "bnfc/testing/shell.h"

namespace bnfc::hostagent::testing {

inline std::string SourceDir() {
  const char* d = std::getenv("BNFC_SOURCE_DIR");
  return d ? d : ".";
}

// build/bin: from BNFC_BIN_DIR, else next to the test binary's folder (build/tests/../bin).
inline std::string BinDir() {
  if (const char* d = std::getenv("BNFC_BIN_DIR")) {
    return d;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : (exe.parent_path().parent_path() / "bin").string();
}

// Third-party fixtures live next to the repository, never in it: BNFC_FIXTURES_DIR, else
// <source>/../shared/fixtures.
inline std::string FixturesDir() {
  const char* d = std::getenv("BNFC_FIXTURES_DIR");
  return d ? d : SourceDir() + "/../shared/fixtures";
}

inline std::string FixturePath(const std::string& name) {
  return FixturesDir() + "/esxcli/" + name;
}

// Reads a fixture; an empty string when it cannot be read (the test then fails on its values).
inline std::string Fixture(const std::string& name) {
  auto r = fs::ReadFile(FixturePath(name));
  return r.ok() ? *r : std::string();
}

// A third-party capture read at run time from ../shared/fixtures/esxcli/ next to the source tree
// (never copied into the repository). Missing: the test fails here, naming the path.
inline std::string SharedFixture(const std::string& name) {
  const std::string path = SourceDir() + "/../shared/fixtures/esxcli/" + name;
  auto r = fs::ReadFile(path);
  if (!r.ok()) {
    ADD_FAILURE() << "cannot read the capture " << path << ": " << r.error().message;
    return std::string();
  }
  return *r;
}

using bnfc::testing::RunShell;

// An esxsim state (docs/esxsim.md): vmk0 management, vmk1 on the vMotion stack, vmk2 the backup
// vmknic (MTU 9000, no tags) whose proxy 10.99.0.100 answers vmkping and is in the neighbor table.
inline nlohmann::json SimulatedHost() {
  using nlohmann::json;
  return json{
      {"host", {{"hostname", "esx01"}, {"version", "8.0.3"}}},
      {"vmknics",
       {{{"name", "vmk0"},
         {"portgroup", "Management Network"},
         {"mac", "00:50:56:00:00:00"},
         {"ipv4", {{"address", "10.98.0.11"}, {"netmask", "255.255.255.0"}}},
         {"tags", {"Management"}}},
        {{"name", "vmk1"},
         {"portgroup", "vMotion"},
         {"netstack", "vmotion"},
         {"mac", "00:50:56:00:00:01"},
         {"ipv4", {{"address", "10.97.0.11"}, {"netmask", "255.255.255.0"}}},
         {"tags", {"VMotion"}}},
        {{"name", "vmk2"},
         {"portgroup", "Backup NFC"},
         {"mac", "00:50:56:00:00:02"},
         {"mtu", 9000},
         {"ipv4", {{"address", "10.99.0.11"}, {"netmask", "255.255.255.0"}}},
         {"tags", json::array()}}}},
      {"netstacks",
       {{{"key", "defaultTcpipStack"}, {"name", "defaultTcpipStack"}},
        {{"key", "vmotion"}, {"name", "vmotion"}}}},
      {"neighbors", {{{"ip", "10.99.0.100"}, {"mac", "00:11:22:33:44:55"}, {"vmknic", "vmk2"}}}},
      {"ping_targets", {{{"ip", "10.99.0.100"}, {"vmknic", "vmk2"}}}}};
}

// A temporary directory removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bnfc-hostagent-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) {
      std::filesystem::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  void Write(const std::string& name, const std::string& contents) const {
    FILE* f = std::fopen(File(name).c_str(), "wb");
    if (f != nullptr) {
      std::fwrite(contents.data(), 1, contents.size(), f);
      std::fclose(f);
    }
  }

 private:
  std::string path_;
};

}  // namespace bnfc::hostagent::testing
