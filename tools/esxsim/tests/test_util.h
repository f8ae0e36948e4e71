// Helpers shared by the esxsim tests: fixture access, a scratch directory, running the real
// esxsim binary with a state file.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace esxsim_test {

// Bytes of <fixtures>/esxcli/<name> (../shared/fixtures unless BNFC_FIXTURES_DIR); fails the test
// (ADD_FAILURE) and returns "" if missing.
std::string Fixture(const std::string& name);
std::vector<std::string> FixtureNames();

// A private directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

struct ToolRun {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs BNFC_BIN_DIR/<tool> (a symlink such as esxcli) with args. ESXSIM_STATE is set to
// `state_path` when not empty and removed otherwise.
ToolRun RunTool(const std::string& tool, const std::vector<std::string>& args,
                const std::string& state_path);
// Runs `binary` (a full path) the same way.
ToolRun RunPath(const std::string& binary, const std::vector<std::string>& args,
                const std::string& state_path);
std::string BinDir();

// Lines with trailing spaces removed (for captures whose editor stripped them).
std::string StripTrailingSpaces(const std::string& text);

}  // namespace esxsim_test
