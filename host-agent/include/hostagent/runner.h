// The command-runner seam: every esxcli/localcli/vmkping call goes through a CommandRunner. argv
// only (no shell), a timeout per call, stdout/stderr/exit code captured, launches counted.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "bnfc/expected.h"

namespace bnfc::hostagent {

struct CommandResult {
  int exit_code = -1;      // exit status; -1 when killed by a signal or on timeout
  int term_signal = 0;     // the signal that ended the process, 0 if it exited
  bool timed_out = false;  // killed because the timeout elapsed
  std::string out;
  std::string err;
  bool ok() const { return !timed_out && exit_code == 0; }
};

// "esxcli --formatter=xml network ip interface list" (for messages and evidence).
std::string JoinArgv(const std::vector<std::string>& argv);

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Starts argv[0] (looked up in PATH when it has no '/') with argv, waits at most `timeout`
  // (then kills it). An error only when the command could not be started at all (kNotFound,
  // kPermission, kIo); a non-zero exit or a timeout is a CommandResult.
  Expected<CommandResult> Run(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout);
  unsigned launches() const { return launches_; }
  void ResetLaunches() { launches_ = 0; }

 protected:
  virtual Expected<CommandResult> DoRun(const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout) = 0;

 private:
  unsigned launches_ = 0;
};

// fork + execvp, pipes for stdout and stderr, SIGKILL on timeout. Output beyond `max_output`
// bytes per stream is dropped (the process keeps running until it ends or times out). Each
// command leads its own process group, which is killed when the command ends or times out, so
// nothing it started outlives it (stragglers).
class PosixCommandRunner : public CommandRunner {
 public:
  explicit PosixCommandRunner(size_t max_output = 8u << 20) : max_output_(max_output) {}

 protected:
  Expected<CommandResult> DoRun(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout) override;

 private:
  size_t max_output_;
};

// The daemon's runner. A process that runs libzmq threads must not fork (fork copies one thread
// and whatever locks the others held; on ESXi fork from a threaded process is a known problem),
// so Start() forks, before any thread exists, a small single-threaded helper process that starts
// every command for the daemon with a PosixCommandRunner (fork + execvp, timeouts, output caps,
// process-group cleanup) and answers over a socketpair. The helper exits when the daemon goes
// (end of file on the socket; on Linux also PR_SET_PDEATHSIG). A dead helper is an error on every
// later Run: the daemon cannot fork a new one, so it stops and its supervisor restarts it.
class HelperCommandRunner : public CommandRunner {
 public:
  explicit HelperCommandRunner(size_t max_output = 8u << 20) : max_output_(max_output) {}
  ~HelperCommandRunner() override;
  HelperCommandRunner(const HelperCommandRunner&) = delete;
  HelperCommandRunner& operator=(const HelperCommandRunner&) = delete;
  // Forks the helper. Call while the process has a single thread.
  Status Start();
  pid_t helper_pid() const { return pid_; }
  bool helper_alive() const { return fd_ >= 0; }

 protected:
  Expected<CommandResult> DoRun(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout) override;

 private:
  size_t max_output_;
  int fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace bnfc::hostagent
