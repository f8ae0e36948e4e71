// The scripted CommandRunner for host-agent tests. Test-only (target hostagent_testing): the
// ESXi binary never links it.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "hostagent/runner.h"

namespace bnfc::hostagent {

// Test double: scripted responses keyed by the argv joined with single spaces. A key may be
// given several responses; they are used in order and the last one repeats. Unscripted argv
// gets exit 127 with "fake: no script for ..." on stderr (and is recorded).
class FakeCommandRunner : public CommandRunner {
 public:
  struct Response {
    CommandResult result;
    bool launch_error = false;  // Run() returns kNotFound instead of a result
  };
  void Script(const std::string& argv_joined, Response r);
  void Script(const std::string& argv_joined, const std::string& out, int exit_code = 0,
              const std::string& err = "");
  void ScriptTimeout(const std::string& argv_joined);
  void ScriptLaunchError(const std::string& argv_joined);
  void Clear(const std::string& argv_joined) { scripts_.erase(argv_joined); }
  const std::vector<std::string>& calls() const { return calls_; }
  size_t CountCalls(const std::string& prefix) const;  // calls starting with prefix
  void ClearCalls() { calls_.clear(); }

 protected:
  Expected<CommandResult> DoRun(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout) override;

 private:
  std::map<std::string, std::deque<Response>> scripts_;
  std::vector<std::string> calls_;
};

}  // namespace bnfc::hostagent
