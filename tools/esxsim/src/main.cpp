// esxsim: esxcli, localcli and vmkping of one simulated ESXi host (test tool, never linked into
// the agents). The personality comes from argv[0]; the host from --state or $ESXSIM_STATE.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "esxsim/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto system = esxsim::MakeLinuxSystem();
  esxsim::Env env;
  if (const char* s = std::getenv("ESXSIM_STATE")) {
    env.state_path = s;
  }
  env.system = system.get();
  const esxsim::RunResult r = esxsim::RunMain(args, env);
  std::fwrite(r.out.data(), 1, r.out.size(), stdout);
  std::fflush(stdout);
  std::fwrite(r.err.data(), 1, r.err.size(), stderr);
  return r.code;
}
