// The daemon's liveness signal: held while the holder lives, gone when it ends.
#include "run_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace bnfc::proxyd {
namespace {

std::filesystem::path TempDir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("bnfc-lock-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

TEST(RunLock, NoLockFileMeansNotRunning) {
  auto d = TempDir("none");
  EXPECT_FALSE(DaemonRunning(d.string()));
  std::filesystem::remove_all(d);
}

TEST(RunLock, HeldByAnotherProcessThenReleasedWhenItDies) {
  auto d = TempDir("child");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto fd = HoldRunLock(d.string());
    char c = fd ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();  // killed by the parent, without any clean-up of its own
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_TRUE(DaemonRunning(d.string()));
  // A second daemon on the same state directory is refused.
  auto second = HoldRunLock(d.string());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_FALSE(DaemonRunning(d.string())) << "the kernel drops the lock of a killed process";
  // The lock file stays behind, yet the next daemon takes it.
  auto again = HoldRunLock(d.string());
  EXPECT_TRUE(again.ok());
  ::close(ready[0]);
  ::close(ready[1]);
  std::filesystem::remove_all(d);
}

}  // namespace
}  // namespace bnfc::proxyd
