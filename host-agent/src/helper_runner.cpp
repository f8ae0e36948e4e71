// HelperCommandRunner: commands started by a single-threaded helper process (see runner.h).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "hostagent/runner.h"

namespace bnfc::hostagent {
namespace {

constexpr uint32_t kMaxArgs = 256;
constexpr uint32_t kMaxField = 64u << 20;

bool WriteAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Reads exactly n bytes. With `deadline_ms` >= 0, gives up (false, *timed_out) when no byte
// arrives for that long; end of file is false too.
bool ReadAll(int fd, void* data, size_t n, int deadline_ms = -1, bool* timed_out = nullptr) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    if (deadline_ms >= 0) {
      pollfd pfd{fd, POLLIN, 0};
      int r = ::poll(&pfd, 1, deadline_ms);
      if (r < 0 && errno == EINTR) {
        continue;
      }
      if (r == 0 && timed_out != nullptr) {
        *timed_out = true;
      }
      if (r <= 0) {
        return false;
      }
    }
    ssize_t got = ::read(fd, p, n);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return false;
    }
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

template <typename T>
void Put(std::string* b, T v) {
  b->append(reinterpret_cast<const char*>(&v), sizeof(v));
}
void PutString(std::string* b, const std::string& s) {
  Put<uint32_t>(b, static_cast<uint32_t>(s.size()));
  b->append(s);
}

template <typename T>
bool Get(int fd, T* v, int deadline_ms = -1, bool* timed_out = nullptr) {
  return ReadAll(fd, v, sizeof(*v), deadline_ms, timed_out);
}
bool GetString(int fd, std::string* s, int deadline_ms = -1, bool* timed_out = nullptr) {
  uint32_t n = 0;
  if (!Get(fd, &n, deadline_ms, timed_out) || n > kMaxField) {
    return false;
  }
  s->resize(n);
  return n == 0 || ReadAll(fd, s->data(), n, deadline_ms, timed_out);
}

// The helper's loop: one request at a time, until the daemon closes its end.
[[noreturn]] void HelperMain(int fd, size_t max_output) {
  PosixCommandRunner runner(max_output);
  for (;;) {
    uint32_t argc = 0;
    if (!Get(fd, &argc) || argc == 0 || argc > kMaxArgs) {
      _exit(0);
    }
    std::vector<std::string> argv(argc);
    for (std::string& a : argv) {
      if (!GetString(fd, &a)) {
        _exit(0);
      }
    }
    int64_t timeout_ms = 0;
    if (!Get(fd, &timeout_ms)) {
      _exit(0);
    }
    Expected<CommandResult> r = runner.Run(argv, std::chrono::milliseconds(timeout_ms));
    std::string reply;
    Put<uint8_t>(&reply, r.ok() ? 0 : 1);
    if (r.ok()) {
      Put<int32_t>(&reply, r->exit_code);
      Put<int32_t>(&reply, r->term_signal);
      Put<uint8_t>(&reply, r->timed_out ? 1 : 0);
      PutString(&reply, r->out);
      PutString(&reply, r->err);
    } else {
      Put<int32_t>(&reply, static_cast<int32_t>(r.error().code));
      PutString(&reply, r.error().message);
    }
    if (!WriteAll(fd, reply.data(), reply.size())) {
      _exit(0);
    }
  }
}

}  // namespace

HelperCommandRunner::~HelperCommandRunner() {
  if (fd_ >= 0) {
    ::close(fd_);  // the helper reads end of file and exits
  }
  if (pid_ > 0) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

Status HelperCommandRunner::Start() {
  if (fd_ >= 0) {
    return OkStatus();
  }
  int sv[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Unexpected(ErrorCode::kIo, std::string("cannot start the command helper: socketpair: ") +
                                          std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    return Unexpected(ErrorCode::kIo,
                      std::string("cannot start the command helper: fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::close(sv[0]);
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (::getppid() != parent) {
      _exit(0);  // the daemon died before the death signal was armed
    }
    // The daemon ignores SIGPIPE and handles SIGTERM/SIGINT; the helper must not inherit that:
    // it stops with the daemon, and commands start with default dispositions.
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    HelperMain(sv[1], max_output_);
  }
  ::close(sv[1]);
  fd_ = sv[0];
  pid_ = pid;
  return OkStatus();
}

Expected<CommandResult> HelperCommandRunner::DoRun(const std::vector<std::string>& argv,
                                                   std::chrono::milliseconds timeout) {
  if (fd_ < 0) {
    return Unexpected(ErrorCode::kIo, "the command helper is not running");
  }
  std::string req;
  Put<uint32_t>(&req, static_cast<uint32_t>(argv.size()));
  for (const std::string& a : argv) {
    PutString(&req, a);
  }
  Put<int64_t>(&req, static_cast<int64_t>(timeout.count()));
  auto lost = [&](const std::string& why) -> Expected<CommandResult> {
    ::close(fd_);
    fd_ = -1;
    return Unexpected(ErrorCode::kIo,
                      "the command helper (pid " + std::to_string(pid_) + ") is gone: " + why);
  };
  if (argv.size() > kMaxArgs || !WriteAll(fd_, req.data(), req.size())) {
    return lost("cannot send the command");
  }
  // The helper enforces the timeout; it answers at most a little after it.
  const int wait_ms = static_cast<int>(std::min<int64_t>(timeout.count() + 10000, INT32_MAX));
  bool timed_out = false;
  uint8_t kind = 0;
  if (!Get(fd_, &kind, wait_ms, &timed_out)) {
    return lost(timed_out ? "no answer" : "end of file");
  }
  if (kind == 1) {
    int32_t code = 0;
    std::string message;
    if (!Get(fd_, &code, wait_ms) || !GetString(fd_, &message, wait_ms)) {
      return lost("truncated answer");
    }
    return Unexpected(static_cast<ErrorCode>(code), message);
  }
  CommandResult r;
  int32_t exit_code = 0;
  int32_t term_signal = 0;
  uint8_t t = 0;
  if (!Get(fd_, &exit_code, wait_ms) || !Get(fd_, &term_signal, wait_ms) ||
      !Get(fd_, &t, wait_ms) || !GetString(fd_, &r.out, wait_ms) ||
      !GetString(fd_, &r.err, wait_ms)) {
    return lost("truncated answer");
  }
  r.exit_code = exit_code;
  r.term_signal = term_signal;
  r.timed_out = t != 0;
  return r;
}

}  // namespace bnfc::hostagent
