// Small helpers for the tests that drive real tools (promtool, prometheus, chromium): find an
// executable, run it and capture its output, keep one running in the background, temp folders.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace bnfc::report::testing {

inline std::string FindExecutable(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path != nullptr ? path : "/usr/bin:/bin";
  std::stringstream ss(p);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string full = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(full.c_str(), X_OK) == 0) {
      return full;
    }
  }
  return "";
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bnfc-report-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    if (!path_.empty() && std::getenv("BNFC_KEEP_TEMP") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream o;
  o << in.rdbuf();
  return o.str();
}

inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

struct ProcessResult {
  int exit_code = -1;  // -1: did not exit normally (signal, timeout, exec failure)
  std::string out;
  std::string err;
};

// Starts argv with stdin/stdout/stderr redirected to files ("" for /dev/null).
inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& in_path,
                   const std::string& out_path, const std::string& err_path) {
  pid_t pid = ::fork();
  if (pid != 0) {
    return pid;
  }
  auto redirect = [](const std::string& path, int fd, int flags) {
    int f = ::open(path.empty() ? "/dev/null" : path.c_str(), flags, 0600);
    if (f >= 0) {
      ::dup2(f, fd);
      ::close(f);
    }
  };
  redirect(in_path, 0, O_RDONLY);
  redirect(out_path, 1, O_WRONLY | O_CREAT | O_TRUNC);
  redirect(err_path, 2, O_WRONLY | O_CREAT | O_TRUNC);
  ::setpgid(0, 0);  // own process group: the whole tree can be stopped by this pid
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

// Runs to completion (killed after `timeout`), output captured through files in `dir`.
inline ProcessResult Run(const std::vector<std::string>& argv, const std::string& dir,
                         const std::string& stdin_path = "",
                         std::chrono::seconds timeout = std::chrono::seconds(120)) {
  const std::string out = dir + "/.run-out";
  const std::string err = dir + "/.run-err";
  ProcessResult r;
  pid_t pid = Spawn(argv, stdin_path, out, err);
  if (pid < 0) {
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.err = "timed out\n";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  }
  r.out = ReadAll(out);
  r.err += ReadAll(err);
  return r;
}

// A process that runs until Stop() or destruction (SIGTERM to its group, then SIGKILL).
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::string& log_path)
      : pid_(Spawn(argv, "", log_path, log_path)) {}
  ~Background() { Stop(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  bool started() const { return pid_ > 0; }
  bool Running() {
    if (pid_ <= 0) {
      return false;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void Stop() {
    if (pid_ <= 0) {
      return;
    }
    ::kill(-pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace bnfc::report::testing
