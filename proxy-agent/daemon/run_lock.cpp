#include "run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bnfc::proxyd {

std::string RunLockPath(const std::string& state_dir) {
  return state_dir + "/proxyd.lock";
}

Expected<int> HoldRunLock(const std::string& state_dir) {
  const std::string path = RunLockPath(state_dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Unexpected(ErrorCode::kIo, "cannot open " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) {
      return Unexpected(ErrorCode::kConflict,
                        "another bnfc-proxyd is running with state directory " + state_dir);
    }
    return Unexpected(ErrorCode::kIo, "cannot lock " + path + ": " + std::strerror(e));
  }
  return fd;
}

bool DaemonRunning(const std::string& state_dir) {
  int fd = ::open(RunLockPath(state_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  // A shared lock we can take means nobody holds the exclusive one.
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the probe's lock, if it got one
  return held;
}

}  // namespace bnfc::proxyd
