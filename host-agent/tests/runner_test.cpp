#include "hostagent/runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <thread>

#include "hostagent/testing/fake_runner.h"

namespace bnfc::hostagent {
namespace {

using std::chrono::milliseconds;

TEST(PosixRunner, CapturesStdoutStderrAndExitCode) {
  PosixCommandRunner r;
  auto res = r.Run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, milliseconds(10000));
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  EXPECT_EQ(res->out, "out\n");
  EXPECT_EQ(res->err, "err\n");
  EXPECT_EQ(res->exit_code, 3);
  EXPECT_FALSE(res->timed_out);
  EXPECT_FALSE(res->ok());
  EXPECT_EQ(r.launches(), 1u);
}

TEST(PosixRunner, PassesArgvWithoutAShell) {
  PosixCommandRunner r;
  // A shell would expand $HOME and split on the space; argv-only must not.
  auto res = r.Run({"/bin/echo", "$HOME a;b", "x"}, milliseconds(10000));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->out, "$HOME a;b x\n");
  EXPECT_TRUE(res->ok());
}

TEST(PosixRunner, KillsOnTimeout) {
  PosixCommandRunner r;
  auto res = r.Run({"/bin/sleep", "30"}, milliseconds(200));
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(res->timed_out);
  EXPECT_EQ(res->exit_code, -1);
  EXPECT_FALSE(res->ok());
}

TEST(PosixRunner, MissingProgramIsALaunchError) {
  PosixCommandRunner r;
  auto res = r.Run({"/nonexistent/bnfc-no-such-program"}, milliseconds(1000));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ErrorCode::kNotFound);
  EXPECT_NE(res.error().message.find("bnfc-no-such-program"), std::string::npos);
  EXPECT_EQ(r.launches(), 1u);
}

TEST(PosixRunner, LargeOutputIsCappedNotHung) {
  PosixCommandRunner r(1000);
  auto res = r.Run({"/bin/sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x"}, milliseconds(10000));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->out.size(), 1000u);
  EXPECT_EQ(res->exit_code, 0);
}

TEST(PosixRunner, EmptyArgvIsRejected) {
  PosixCommandRunner r;
  EXPECT_FALSE(r.Run({}, milliseconds(100)).ok());
  EXPECT_EQ(r.launches(), 0u);
}

TEST(FakeRunner, ReplaysScriptsInOrderAndRepeatsTheLast) {
  FakeCommandRunner f;
  f.Script("esxcli a", "one");
  f.Script("esxcli a", "two", 1);
  auto a = f.Run({"esxcli", "a"}, milliseconds(1));
  auto b = f.Run({"esxcli", "a"}, milliseconds(1));
  auto c = f.Run({"esxcli", "a"}, milliseconds(1));
  EXPECT_EQ(a->out, "one");
  EXPECT_EQ(b->out, "two");
  EXPECT_EQ(b->exit_code, 1);
  EXPECT_EQ(c->out, "two");
  EXPECT_EQ(f.launches(), 3u);
  EXPECT_EQ(f.CountCalls("esxcli a"), 3u);
}

TEST(FakeRunner, UnscriptedAndLaunchErrorsAndTimeouts) {
  FakeCommandRunner f;
  f.ScriptLaunchError("esxcli x");
  f.ScriptTimeout("esxcli y");
  auto u = f.Run({"esxcli", "z"}, milliseconds(1));
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->exit_code, 127);
  EXPECT_FALSE(f.Run({"esxcli", "x"}, milliseconds(1)).ok());
  auto y = f.Run({"esxcli", "y"}, milliseconds(1));
  EXPECT_TRUE(y->timed_out);
  EXPECT_EQ(f.calls().size(), 3u);
}

// Polls (bounded) until `pid` no longer exists; false when it still does after 20 s.
bool Gone(pid_t pid) {
  for (int i = 0; i < 2000; ++i) {
    if (kill(pid, 0) != 0 && errno == ESRCH) {
      return true;
    }
    waitpid(pid, nullptr, WNOHANG);  // in case it became our child
    std::this_thread::sleep_for(milliseconds(10));
  }
  return false;
}

// A command that leaves a background process behind (not holding its pipes): the straggler is
// killed with the command's process group.
TEST(PosixRunner, StragglersAreKilledWithTheCommand) {
  PosixCommandRunner r;
  auto res = r.Run({"/bin/sh", "-c", "sleep 300 </dev/null >/dev/null 2>&1 & echo $!"},
                   milliseconds(10000));
  ASSERT_TRUE(res.ok());
  ASSERT_EQ(res->exit_code, 0);
  const pid_t straggler = static_cast<pid_t>(std::stol(res->out));
  EXPECT_TRUE(Gone(straggler)) << "pid " << straggler << " outlived its command";
}

TEST(HelperRunner, RunsCommandsInTheHelperProcess) {
  HelperCommandRunner r;
  ASSERT_TRUE(r.Start().ok());
  ASSERT_GT(r.helper_pid(), 0);
  auto res = r.Run({"/bin/sh", "-c", "echo $PPID; echo err >&2; exit 4"}, milliseconds(10000));
  ASSERT_TRUE(res.ok()) << res.error().ToString();
  EXPECT_EQ(res->out, std::to_string(r.helper_pid()) + "\n");  // started by the helper
  EXPECT_EQ(res->err, "err\n");
  EXPECT_EQ(res->exit_code, 4);
  auto missing = r.Run({"/nonexistent/bnfc-no-such-program"}, milliseconds(1000));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto slow = r.Run({"/bin/sleep", "30"}, milliseconds(200));
  ASSERT_TRUE(slow.ok());
  EXPECT_TRUE(slow->timed_out);
  auto big = r.Run({"/bin/sh", "-c", "head -c 3000000 /dev/zero"}, milliseconds(10000));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->out.size(), 3000000u);
  EXPECT_EQ(r.launches(), 4u);
}

TEST(HelperRunner, ADeadHelperIsAnErrorNotAHang) {
  HelperCommandRunner r;
  ASSERT_TRUE(r.Start().ok());
  ASSERT_EQ(kill(r.helper_pid(), SIGKILL), 0);
  auto res = r.Run({"/bin/true"}, milliseconds(1000));
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().message.find("command helper"), std::string::npos) << res.error().message;
  EXPECT_FALSE(r.helper_alive());
}

}  // namespace
}  // namespace bnfc::hostagent
