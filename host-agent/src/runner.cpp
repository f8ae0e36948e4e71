// CommandRunner: the launch counter and the fork/exec implementation (the scripted fake is in
// host-agent/testing/, a test-only target).
#include "hostagent/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bnfc::hostagent {

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i > 0) {
      out += ' ';
    }
    out += argv[i];
  }
  return out;
}

Expected<CommandResult> CommandRunner::Run(const std::vector<std::string>& argv,
                                           std::chrono::milliseconds timeout) {
  if (argv.empty() || argv[0].empty()) {
    return Unexpected(ErrorCode::kInvalidArgument, "cannot run an empty command line");
  }
  ++launches_;
  return DoRun(argv, timeout);
}

namespace {

void CloseFd(int* fd) {
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

ErrorCode CodeForErrno(int e) {
  if (e == ENOENT || e == ENOTDIR) {
    return ErrorCode::kNotFound;
  }
  if (e == EACCES || e == EPERM) {
    return ErrorCode::kPermission;
  }
  return ErrorCode::kIo;
}

}  // namespace

Expected<CommandResult> PosixCommandRunner::DoRun(const std::vector<std::string>& argv,
                                                  std::chrono::milliseconds timeout) {
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int exec_pipe[2] = {-1, -1};  // carries errno from a failed exec, closed on success
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
      pipe2(exec_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    for (int* fd :
         {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1], &exec_pipe[0], &exec_pipe[1]}) {
      CloseFd(fd);
    }
    return Unexpected(ErrorCode::kIo, std::string("cannot create pipes: ") + std::strerror(e));
  }
  std::vector<char*> cargv;
  for (const std::string& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));
  }
  cargv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    for (int* fd :
         {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1], &exec_pipe[0], &exec_pipe[1]}) {
      CloseFd(fd);
    }
    return Unexpected(ErrorCode::kIo, std::string("fork failed: ") + std::strerror(e));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on. Its own process group, so that what it
    // starts can be cleaned up with it.
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) {
      dup2(devnull, 0);
    }
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execvp(cargv[0], cargv.data());
    int e = errno;
    ssize_t ignored = write(exec_pipe[1], &e, sizeof(e));
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);  // also from here: whichever side runs first, the group exists
  CloseFd(&out_pipe[1]);
  CloseFd(&err_pipe[1]);
  CloseFd(&exec_pipe[1]);

  int exec_errno = 0;
  ssize_t n = 0;
  do {
    n = read(exec_pipe[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  CloseFd(&exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    CloseFd(&out_pipe[0]);
    CloseFd(&err_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return Unexpected(CodeForErrno(exec_errno),
                      "cannot run '" + argv[0] + "': " + std::strerror(exec_errno));
  }

  CommandResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[8192];
  while (out_pipe[0] >= 0 || err_pipe[0] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2];
    nfds_t count = 0;
    for (int fd : {out_pipe[0], err_pipe[0]}) {
      if (fd >= 0) {
        fds[count].fd = fd;
        fds[count].events = POLLIN;
        fds[count].revents = 0;
        ++count;
      }
    }
    int r = poll(fds, count, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (r < 0 && errno != EINTR) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    for (nfds_t i = 0; r > 0 && i < count; ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      int* fd = fds[i].fd == out_pipe[0] ? &out_pipe[0] : &err_pipe[0];
      std::string& sink = fds[i].fd == out_pipe[0] ? result.out : result.err;
      ssize_t got = read(*fd, buf, sizeof(buf));
      if (got > 0) {
        size_t room = sink.size() < max_output_ ? max_output_ - sink.size() : 0;
        sink.append(buf, std::min(room, static_cast<size_t>(got)));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        CloseFd(fd);
      }
    }
  }
  CloseFd(&out_pipe[0]);
  CloseFd(&err_pipe[0]);
  // Until the command is reaped its pid cannot be reused, so its group id still names only what
  // it started: wait without reaping, kill the stragglers, then reap.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
    result.exit_code = -1;
  }
  if (result.timed_out) {
    result.exit_code = -1;
  }
  return result;
}

}  // namespace bnfc::hostagent
