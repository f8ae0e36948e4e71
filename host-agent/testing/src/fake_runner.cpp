#include "hostagent/testing/fake_runner.h"

#include <utility>

namespace bnfc::hostagent {

void FakeCommandRunner::Script(const std::string& argv_joined, Response r) {
  scripts_[argv_joined].push_back(std::move(r));
}

void FakeCommandRunner::Script(const std::string& argv_joined, const std::string& out,
                               int exit_code, const std::string& err) {
  Response r;
  r.result.out = out;
  r.result.err = err;
  r.result.exit_code = exit_code;
  Script(argv_joined, std::move(r));
}

void FakeCommandRunner::ScriptTimeout(const std::string& argv_joined) {
  Response r;
  r.result.timed_out = true;
  r.result.exit_code = -1;
  Script(argv_joined, std::move(r));
}

void FakeCommandRunner::ScriptLaunchError(const std::string& argv_joined) {
  Response r;
  r.launch_error = true;
  Script(argv_joined, std::move(r));
}

size_t FakeCommandRunner::CountCalls(const std::string& prefix) const {
  size_t n = 0;
  for (const std::string& c : calls_) {
    if (c.compare(0, prefix.size(), prefix) == 0) {
      ++n;
    }
  }
  return n;
}

Expected<CommandResult> FakeCommandRunner::DoRun(const std::vector<std::string>& argv,
                                                 std::chrono::milliseconds /*timeout*/) {
  const std::string key = JoinArgv(argv);
  calls_.push_back(key);
  auto it = scripts_.find(key);
  if (it == scripts_.end() || it->second.empty()) {
    CommandResult r;
    r.exit_code = 127;
    r.err = "fake: no script for '" + key + "'\n";
    return r;
  }
  Response resp = it->second.front();
  if (it->second.size() > 1) {
    it->second.pop_front();
  }
  if (resp.launch_error) {
    return Unexpected(ErrorCode::kNotFound, "cannot run '" + argv[0] + "': No such file");
  }
  return resp.result;
}

}  // namespace bnfc::hostagent
