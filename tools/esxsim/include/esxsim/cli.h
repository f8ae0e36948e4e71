// The command lines of esxcli, localcli and vmkping as esxsim answers them. Parsing comes first:
// an unknown command or --help is answered without any state file.
#pragma once

#include <string>
#include <vector>

#include "esxsim/system.h"

namespace esxsim {

struct RunResult {
  int code = 0;
  std::string out;
  std::string err;
};

struct Env {
  std::string state_path;  // ESXSIM_STATE; a --state option overrides it
  System* system = nullptr;
};

// prog is "esxcli" or "localcli" (hostd faults only affect esxcli); args exclude argv[0].
RunResult RunEsxcli(const std::string& prog, const std::vector<std::string>& args, Env& env);
RunResult RunVmkping(const std::string& prog, const std::vector<std::string>& args, Env& env);
// Dispatch on the basename of argv[0]; `esxsim esxcli ...` works too.
RunResult RunMain(const std::vector<std::string>& argv, Env& env);

// Every esxcli command path esxsim implements ("network ip interface list", ...).
std::vector<std::string> CommandPaths();

}  // namespace esxsim
