// File helpers: bounded reads and atomic replacement, with errors that name the file and errno.
#include "bnfc/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bnfc::fs {
namespace {

const char* ErrnoName(int err) {
  switch (err) {
    case ENOENT:
      return "ENOENT";
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case EISDIR:
      return "EISDIR";
    case ENOTDIR:
      return "ENOTDIR";
    case ELOOP:
      return "ELOOP";
    case ENAMETOOLONG:
      return "ENAMETOOLONG";
    case EROFS:
      return "EROFS";
    case ENOSPC:
      return "ENOSPC";
    case EDQUOT:
      return "EDQUOT";
    case EFBIG:
      return "EFBIG";
    case EEXIST:
      return "EEXIST";
    case EXDEV:
      return "EXDEV";
    case EBUSY:
      return "EBUSY";
    case EIO:
      return "EIO";
    case EMFILE:
      return "EMFILE";
    case ENFILE:
      return "ENFILE";
    case EINVAL:
      return "EINVAL";
    case ETXTBSY:
      return "ETXTBSY";
    default:
      return nullptr;
  }
}

ErrorCode CodeFor(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return ErrorCode::kNotFound;
    case EACCES:
    case EPERM:
    case EROFS:
      return ErrorCode::kPermission;
    default:
      return ErrorCode::kIo;
  }
}

// "cannot read '/etc/x': No such file or directory (ENOENT)"
Error SysError(const std::string& what, const std::string& path, int err) {
  const char* name = ErrnoName(err);
  std::string suffix =
      name ? std::string(" (") + name + ")" : " (errno " + std::to_string(err) + ")";
  return Error(CodeFor(err), what + " '" + path + "': " + std::strerror(err) + suffix);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  if (slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Expected<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    return SysError("cannot open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return SysError("cannot stat", path, errno);
  }
  if (S_ISDIR(st.st_mode)) {
    return SysError("cannot read", path, EISDIR);
  }
  if (!S_ISREG(st.st_mode)) {
    // A FIFO, socket or device can block or never end: the files we read are regular.
    return Unexpected(ErrorCode::kInvalidArgument,
                      "cannot read '" + path + "': not a regular file (a FIFO, socket or device)");
  }
  if (int flags = ::fcntl(fd.get(), F_GETFL); flags >= 0) {
    ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  }
  std::string out;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    if (static_cast<unsigned long long>(st.st_size) > max_bytes) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "cannot read '" + path + "': it has " + std::to_string(st.st_size) +
                            " bytes, more than the limit of " + std::to_string(max_bytes));
    }
    out.reserve(static_cast<size_t>(st.st_size));
  }
  // Read to EOF rather than trusting st_size: /proc files report 0, files may grow.
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return SysError("cannot read", path, errno);
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return Unexpected(ErrorCode::kInvalidArgument, "cannot read '" + path +
                                                         "': it is larger than the limit of " +
                                                         std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status WriteFileAtomic(const std::string& path, const std::string& contents, mode_t mode) {
  std::string dir = DirName(path);
  std::string tmp = dir + "/." + BaseName(path) + ".tmp.XXXXXX";
  int raw = ::mkostemp(&tmp[0], O_CLOEXEC);
  if (raw < 0) {
    return SysError("cannot create a temporary file in", dir, errno);
  }
  Fd fd(raw);
  auto fail = [&](const std::string& what, int err) -> Status {
    ::unlink(tmp.c_str());
    return SysError(what, path, err);
  };
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail("cannot write the new contents of", errno);
    }
    done += static_cast<size_t>(n);
  }
  // Set the final mode explicitly: neither mkostemp's 0600 nor the umask decides it.
  if (::fchmod(fd.get(), mode & 07777) != 0) {
    return fail("cannot set the mode of the new", errno);
  }
  if (::fsync(fd.get()) != 0) {
    return fail("cannot fsync the new contents of", errno);
  }
  if (::close(fd.release()) != 0) {
    return fail("cannot close the new contents of", errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail("cannot rename the new file over", errno);
  }
  // Make the rename itself durable.
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) {
    return SysError("cannot open the directory of", path, errno);
  }
  if (::fsync(dir_fd.get()) != 0 && errno != EINVAL) {
    return SysError("cannot fsync the directory of", path, errno);
  }
  return OkStatus();
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace bnfc::fs
