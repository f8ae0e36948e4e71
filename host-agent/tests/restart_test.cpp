// Restarts of the real bnfc-hostd daemon (`run`, killed with SIGKILL) against esxsim: the
// vSphereBackupNFC tag must never flap because a process died and a new one started.
//
// Every esxcli/localcli/vmkping launch goes through a shell shim that logs it (launches.log), can
// hold it until the test decides (so the agent is killed while exactly that command is in flight)
// and logs it again right before exec'ing esxsim (reached.log: the commands that really reached
// the host). The test synchronises only on these files and on the state file; every wait is a
// bounded poll that fails with a message, never a timing assertion. Network traffic: the agent's
// report channel to a fake proxy on 127.0.0.1 that acknowledges every report (ensure changes a
// tag only once a proxy has acknowledged one).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bnfc/channel.h"
#include "bnfc/clock.h"
#include "bnfc/fs.h"
#include "bnfc/keys.h"
#include "bnfc/zap.h"
#include "hostagent/model.h"
#include "hostagent/runner.h"
#include "test_util.h"

namespace bnfc::hostagent {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kWaitLimit = std::chrono::seconds(60);
constexpr const char* kInterfaceList = "network ip interface list";
constexpr const char* kAddOnBackup = "tag add -i vmk2 -t vSphereBackupNFC";
constexpr const char* kRemoveFromBackup = "tag remove -i vmk2 -t vSphereBackupNFC";
constexpr const char* kRemoveFromManagement = "tag remove -i vmk0 -t vSphereBackupNFC";
constexpr const char* kAnyAdd = " tag add ";
constexpr const char* kAnyRemove = " tag remove ";

// Polls `done` until it holds or the limit passes; false on timeout.
bool WaitUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  auto text = fs::ReadFile(path);
  if (!text.ok()) {
    return out;
  }
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

size_t CountFrom(const std::vector<std::string>& lines, size_t from, const std::string& what) {
  size_t n = 0;
  for (size_t i = from; i < lines.size(); ++i) {
    n += lines[i].find(what) != std::string::npos ? 1 : 0;
  }
  return n;
}

// A proxy on 127.0.0.1 that acknowledges every report of the host key it is given.
class AckingProxy {
 public:
  ~AckingProxy() { Stop(); }
  Status Start(const std::string& host_public_z85) {
    auto server_keys = keys::Generate();
    if (!server_keys) {
      return server_keys.error();
    }
    server_public_ = server_keys->public_z85;
    allow_ = std::make_shared<channel::AllowList>();
    if (auto a = allow_->Add(host_public_z85, {"esx01", {*net::Prefix::Parse("127.0.0.1/32")}});
        !a) {
      return a;
    }
    zap_ = std::make_shared<channel::ZapHandler>(context_, allow_);
    if (auto z = zap_->Start(); !z) {
      return z;
    }
    auto server =
        channel::SecureServer::Create(context_, zap_, {"tcp://127.0.0.1:*", *server_keys});
    if (!server) {
      return server.error();
    }
    server_ = std::move(*server);
    thread_ = std::thread([this] {
      channel::EnvelopeStamper stamper("proxy01", SystemClock::Instance());
      while (!stop_) {
        auto in = server_->Receive(std::chrono::milliseconds(20));
        if (in.ok() && in->has_value()) {
          proto::Envelope ack;
          ack.mutable_ack()->set_acked_sequence((*in)->envelope.sequence());
          stamper.Stamp(&ack);
          (void)server_->Send((*in)->routing_id, ack);
        }
      }
    });
    return OkStatus();
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
    server_.reset();
    if (zap_) {
      zap_->Stop();
      zap_.reset();
    }
  }
  std::string endpoint() const { return server_->endpoint(); }
  const std::string& server_public() const { return server_public_; }

 private:
  zmq::context_t context_;
  std::shared_ptr<channel::AllowList> allow_;
  std::shared_ptr<channel::ZapHandler> zap_;
  std::unique_ptr<channel::SecureServer> server_;
  std::string server_public_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The launch the shim holds: its process (the shim, which becomes esxsim) and its command line.
struct HeldLaunch {
  pid_t pid = -1;
  std::string command;
};

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hostd_ = testing::BinDir() + "/bnfc-hostd";
    const std::string sim = testing::BinDir() + "/esxsim";
    if (access(hostd_.c_str(), X_OK) != 0 || access(sim.c_str(), X_OK) != 0) {
      GTEST_SKIP() << "bnfc-hostd and esxsim are not built next to each other (" << hostd_ << ")";
    }
    // Commands the killed agent leaves in flight become our children, so the test can wait for
    // them before starting the next agent.
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    ASSERT_EQ(mkdir(dir_.File("sim").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(dir_.File("bin").c_str(), 0755), 0);
    ASSERT_EQ(mkfifo(dir_.File("release").c_str(), 0600), 0);
    for (const char* name : {"esxcli", "localcli", "vmkping"}) {
      // esxsim answers as the command its argv[0] names.
      ASSERT_EQ(symlink(sim.c_str(), (dir_.File("sim/") + name).c_str()), 0);
      const std::string shim = dir_.File("bin/") + name;
      dir_.Write("bin/" + std::string(name), ShimScript());
      ASSERT_EQ(chmod(shim.c_str(), 0755), 0);
    }
    launches_ = dir_.File("launches.log");
    reached_ = dir_.File("reached.log");
    state_path_ = dir_.File("state.json");
    config_path_ = dir_.File("hostd.conf");
    setenv("ESXSIM_STATE", state_path_.c_str(), 1);
    auto keygen = runner_.Run({hostd_, "keygen", "--dir", dir_.path()}, std::chrono::seconds(60));
    ASSERT_TRUE(keygen.ok() && keygen->ok())
        << (keygen.ok() ? keygen->err : keygen.error().message);
  }

  void TearDown() override {
    if (agent_ > 0) {
      kill(agent_, SIGKILL);
      waitpid(agent_, nullptr, 0);
    }
    // A launch held when a test failed, whether or not the test saw it.
    std::vector<std::string> held = Lines(dir_.File("held"));
    if (held_.pid <= 0 && !held.empty()) {
      held_.pid = static_cast<pid_t>(std::stol(held[0]));
    }
    if (held_.pid > 0) {
      kill(held_.pid, SIGKILL);
      waitpid(held_.pid, nullptr, 0);
    }
    unsetenv("ESXSIM_STATE");
  }

  // Logs the launch; holds it when it is the first launch numbered at least AT whose arguments
  // contain PATTERN (file `hold`: "AT PATTERN"); logs it again right before esxsim runs.
  std::string ShimScript() const {
    std::string script = R"(#!/bin/sh
d='@DIR@'
printf '%s %s\n' "${0##*/}" "$*" >> "$d/launches.log"
if [ -f "$d/hold" ]; then
  n=$(($(wc -l < "$d/launches.log")))
  read -r at pattern < "$d/hold"
  if [ "$n" -ge "$at" ]; then
    case "$*" in
      *"$pattern"*)
        rm -f "$d/hold"
        printf '%s\n%s %s\n' "$$" "${0##*/}" "$*" > "$d/held.tmp"
        mv "$d/held.tmp" "$d/held"
        read -r go < "$d/release"
        ;;
    esac
  fi
fi
printf '%s %s\n' "${0##*/}" "$*" >> "$d/reached.log"
exec "$d/sim/${0##*/}" "$@"
)";
    script.replace(script.find("@DIR@"), 5, dir_.path());
    return script;
  }

  void WriteConfig(int failover_cycles) {
    auto public_key = fs::ReadFile(dir_.File("hostd.key"));
    ASSERT_TRUE(public_key.ok());
    std::string key = *public_key;
    key.erase(key.find_last_not_of(" \n\r\t") + 1);
    auto started = proxy_.Start(key);
    ASSERT_TRUE(started.ok()) << started.error().message;
    std::string endpoint = proxy_.endpoint();
    endpoint = endpoint.substr(endpoint.find("//") + 2);
    const std::string bin = dir_.File("bin/");
    const std::vector<std::string> lines = {
        "host_id = esx01",
        "backup_vmk = vmk2",
        "tag_policy = ensure",
        "fallback = management",
        "fallback_cycles = " + std::to_string(failover_cycles),
        "interval = 50ms",
        "proxy = " + endpoint + " " + proxy_.server_public(),
        "probe = 10.99.0.100 9000",
        "public_key_file = " + dir_.File("hostd.key"),
        "secret_key_file = " + dir_.File("hostd.key_secret"),
        "read_cli = " + bin + "localcli",
        "change_cli = " + bin + "esxcli",
        "fallback_cli = " + bin + "localcli",
        "vmkping = " + bin + "vmkping",
        // Held launches must not time out: the test ends them.
        "command_timeout = 10m",
    };
    std::string text;
    for (const std::string& line : lines) {
      text += line + "\n";
    }
    dir_.Write("hostd.conf", text);
  }

  void WriteState(const json& state) {
    ASSERT_TRUE(fs::WriteFileAtomic(state_path_, state.dump(2), 0644).ok());
  }

  // Changes the state under esxsim's own lock, so a concurrent tag change cannot undo the edit.
  void EditState(const std::function<void(json*)>& edit) {
    int fd = open((state_path_ + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(flock(fd, LOCK_EX), 0);
    json state = json::parse(*fs::ReadFile(state_path_));
    edit(&state);
    const bool written = fs::WriteFileAtomic(state_path_, state.dump(2), 0644).ok();
    flock(fd, LOCK_UN);
    close(fd);
    ASSERT_TRUE(written);
  }

  std::vector<std::string> Tags(const std::string& vmk) {
    json state = json::parse(*fs::ReadFile(state_path_));
    for (const json& v : state["vmknics"]) {
      if (v["name"] == vmk) {
        return v.value("tags", std::vector<std::string>{});
      }
    }
    return {};
  }

  void StartAgent() {
    const std::string log = dir_.File("agent.log");
    std::vector<std::string> args = {hostd_, "run", "--config", config_path_, "--foreground"};
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    agent_ = fork();
    ASSERT_GE(agent_, 0);
    if (agent_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  bool AgentAlive() {
    int status = 0;
    if (agent_ <= 0 || waitpid(agent_, &status, WNOHANG) == 0) {
      return agent_ > 0;
    }
    agent_exit_ = status;
    agent_ = -1;
    return false;
  }

  std::string AgentLog() const {
    auto text = fs::ReadFile(dir_.File("agent.log"));
    return text.ok() ? *text : std::string("(no agent log)");
  }

  void KillAgent() {
    ASSERT_GT(agent_, 0);
    ASSERT_EQ(kill(agent_, SIGKILL), 0);
    ASSERT_EQ(waitpid(agent_, nullptr, 0), agent_);
    agent_ = -1;
  }

  // SIGTERM: the agent finishes its cycle and exits 0.
  void StopAgent() {
    ASSERT_GT(agent_, 0);
    ASSERT_EQ(kill(agent_, SIGTERM), 0);
    ASSERT_TRUE(WaitUntil([&] { return !AgentAlive(); })) << "bnfc-hostd ignored SIGTERM";
    EXPECT_TRUE(WIFEXITED(agent_exit_) && WEXITSTATUS(agent_exit_) == 0) << AgentLog();
  }

  // The first launch numbered `at` or later (1 = the first line of launches.log) whose arguments
  // contain `pattern` is held.
  void Hold(size_t at, const std::string& pattern = "") {
    ASSERT_TRUE(
        fs::WriteFileAtomic(dir_.File("hold"), std::to_string(at) + " " + pattern + "\n", 0644)
            .ok());
  }
  void HoldNext(const std::string& pattern = "") { Hold(Lines(launches_).size() + 1, pattern); }

  void WaitHeld() {
    const std::string held = dir_.File("held");
    ASSERT_TRUE(WaitUntil([&] { return fs::Exists(held) || !AgentAlive(); }))
        << "no launch was held\n"
        << AgentLog();
    ASSERT_TRUE(fs::Exists(held)) << "bnfc-hostd exited before the held launch\n" << AgentLog();
    std::vector<std::string> lines = Lines(held);
    ASSERT_EQ(lines.size(), 2u);
    held_.pid = static_cast<pid_t>(std::stol(lines[0]));
    held_.command = lines[1];
    ASSERT_EQ(unlink(held.c_str()), 0);
  }

  // Lets the held launch run on (it reaches esxsim).
  void ReleaseHeld() {
    const std::string fifo = dir_.File("release");
    int fd = -1;
    ASSERT_TRUE(WaitUntil([&] {
      fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      return fd >= 0;
    })) << "the held shim never waited for its release";
    ASSERT_EQ(write(fd, "go\n", 3), 3);
    close(fd);
  }

  // After the agent died, the held launch is our child: wait until it is over.
  void ReapHeld() {
    ASSERT_TRUE(WaitUntil([&] { return waitpid(held_.pid, nullptr, WNOHANG) == held_.pid; }))
        << "the held launch '" << held_.command << "' did not finish";
    held_ = HeldLaunch{};
  }

  // Waits until the launches since `from` include `n` interface lists (each starts a cycle).
  void WaitForCycleStarts(size_t from, size_t n) {
    ASSERT_TRUE(WaitUntil([&] {
      return CountFrom(Lines(launches_), from, kInterfaceList) >= n || !AgentAlive();
    })) << "fewer than "
        << n << " cycles started\n"
        << AgentLog();
    ASSERT_TRUE(AgentAlive()) << "bnfc-hostd exited\n" << AgentLog();
  }

  testing::TempDir dir_;
  std::string hostd_;
  std::string launches_;
  std::string reached_;
  std::string state_path_;
  std::string config_path_;
  PosixCommandRunner runner_;
  AckingProxy proxy_;
  pid_t agent_ = -1;
  int agent_exit_ = 0;
  HeldLaunch held_;
};

// The tag is missing and the path is good. Twenty agents are killed, each while a different launch
// is in flight (through the first cycle's reads, its tag add and verify, and into the next cycle);
// the held launch either dies with the agent or runs to its end after the agent is gone. A last
// agent runs undisturbed. The tag must have reached esxsim exactly once and never been removed.
TEST_F(RestartTest, KilledAtTwentyPointsTheTagIsAddedOnceAndNeverRemoved) {
  ASSERT_NO_FATAL_FAILURE(WriteState(testing::SimulatedHost()));
  ASSERT_NO_FATAL_FAILURE(WriteConfig(2));
  struct Kill {
    size_t launch;        // which launch of the new process is in flight when it is killed
    bool command_runs;    // whether that launch still reaches esxsim after the kill
    const char* pattern;  // or, when set: the first launch whose arguments contain it
  };
  // A fresh agent's first cycle: version, netstack list, interface list, portgroup list, ipv4 get,
  // tag get vmk0, tag get vmk2, vmkping, neighbor list; the tag is added (then read back) in the
  // first cycle after the proxy acknowledged a report, which is the second or a later one: the
  // kills at the add therefore wait for the add itself.
  const std::vector<Kill> schedule = {
      {1, false, nullptr},      {3, true, nullptr},      {5, false, nullptr},  {7, true, nullptr},
      {1, false, kAddOnBackup}, {1, true, kAddOnBackup}, {2, false, nullptr},  {4, true, nullptr},
      {6, false, nullptr},      {8, true, nullptr},      {10, false, nullptr}, {12, true, nullptr},
      {14, false, nullptr},     {16, true, nullptr},     {11, false, nullptr}, {13, true, nullptr},
      {15, false, nullptr},     {17, true, nullptr},     {9, false, nullptr},  {10, true, nullptr}};
  size_t adds_killed_in_flight = 0;
  size_t adds_finished_after_kill = 0;
  for (size_t restart = 0; restart < schedule.size(); ++restart) {
    SCOPED_TRACE("restart " + std::to_string(restart + 1));
    const Kill& k = schedule[restart];
    const size_t before = Lines(launches_).size();
    ASSERT_NO_FATAL_FAILURE(Hold(before + k.launch, k.pattern ? k.pattern : ""));
    ASSERT_NO_FATAL_FAILURE(StartAgent());
    ASSERT_NO_FATAL_FAILURE(WaitHeld());
    ASSERT_NO_FATAL_FAILURE(KillAgent());
    const bool add = held_.command.find(kAddOnBackup) != std::string::npos;
    if (k.command_runs) {
      ASSERT_NO_FATAL_FAILURE(ReleaseHeld());
      adds_finished_after_kill += add ? 1 : 0;
    } else {
      ASSERT_EQ(kill(held_.pid, SIGKILL), 0);
      adds_killed_in_flight += add ? 1 : 0;
    }
    ASSERT_NO_FATAL_FAILURE(ReapHeld());
  }
  // The schedule must really have hit the tag add both ways (it follows the launch order above).
  EXPECT_GE(adds_killed_in_flight, 1u);
  EXPECT_GE(adds_finished_after_kill, 1u);

  const size_t last_start = Lines(launches_).size();
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  ASSERT_NO_FATAL_FAILURE(WaitForCycleStarts(last_start, 3));  // two whole cycles done
  ASSERT_NO_FATAL_FAILURE(StopAgent());

  const std::vector<std::string> launched = Lines(launches_);
  const std::vector<std::string> reached = Lines(reached_);
  std::cout << "restarts: " << schedule.size()
            << "; tag adds launched: " << CountFrom(launched, 0, kAnyAdd)
            << " (killed in flight: " << adds_killed_in_flight
            << ", finished after the kill: " << adds_finished_after_kill
            << "); reached esxsim: adds " << CountFrom(reached, 0, kAnyAdd) << ", removes "
            << CountFrom(reached, 0, kAnyRemove) << "; launches " << launched.size() << "\n";
  EXPECT_EQ(CountFrom(reached, 0, kAddOnBackup), 1u);
  EXPECT_EQ(CountFrom(reached, 0, kAnyAdd), 1u);
  EXPECT_EQ(CountFrom(reached, 0, kAnyRemove), 0u);
  EXPECT_THAT(Tags("vmk2"), Contains(kNfcTag));
  EXPECT_EQ(Tags("vmk0"), std::vector<std::string>{"Management"});
}

// The backup path is bad (the proxy does not answer vmkping), K = 2: the agent moves the tag to
// management and is killed. A one-shot `tag`, three daemons killed after K bad cycles each and a
// last daemon must all leave the tag on management while the path stays bad; once it is good the
// tag moves back after exactly K good cycles, once.
TEST_F(RestartTest, RestartDuringFailoverKeepsTheTagOnManagementUntilKGoodCycles) {
  constexpr size_t kCycles = 2;
  json state = testing::SimulatedHost();
  state["vmknics"][2]["tags"] = {kNfcTag};
  state["ping_targets"] = json::array();
  state["neighbors"] = json::array();
  ASSERT_NO_FATAL_FAILURE(WriteState(state));
  ASSERT_NO_FATAL_FAILURE(WriteConfig(static_cast<int>(kCycles)));

  ASSERT_NO_FATAL_FAILURE(StartAgent());
  ASSERT_TRUE(WaitUntil([&] {
    return CountFrom(Lines(reached_), 0, kRemoveFromBackup) > 0 || !AgentAlive();
  })) << "no failover\n"
      << AgentLog();
  ASSERT_NO_FATAL_FAILURE(HoldNext());
  ASSERT_NO_FATAL_FAILURE(WaitHeld());
  ASSERT_NO_FATAL_FAILURE(KillAgent());
  ASSERT_EQ(kill(held_.pid, SIGKILL), 0);
  ASSERT_NO_FATAL_FAILURE(ReapHeld());
  ASSERT_THAT(Tags("vmk0"), Contains(kNfcTag));
  ASSERT_THAT(Tags("vmk2"), Not(Contains(kNfcTag)));

  const size_t restarted_at = Lines(reached_).size();
  // A one-shot `tag` is a new process too; failover active counts as placed (exit 0).
  auto one_shot = runner_.Run({hostd_, "tag", "--config", config_path_}, std::chrono::seconds(120));
  ASSERT_TRUE(one_shot.ok()) << one_shot.error().message;
  EXPECT_EQ(one_shot->exit_code, 0) << one_shot->out << one_shot->err;
  EXPECT_THAT(one_shot->out, HasSubstr("failover active"));

  // Daemons killed again, each after K whole bad cycles, at whatever launch comes next.
  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE("daemon " + std::to_string(round));
    const size_t start = Lines(launches_).size();
    ASSERT_NO_FATAL_FAILURE(StartAgent());
    ASSERT_NO_FATAL_FAILURE(WaitForCycleStarts(start, kCycles + 1));
    ASSERT_NO_FATAL_FAILURE(HoldNext());
    ASSERT_NO_FATAL_FAILURE(WaitHeld());
    ASSERT_NO_FATAL_FAILURE(KillAgent());
    ASSERT_EQ(kill(held_.pid, SIGKILL), 0);
    ASSERT_NO_FATAL_FAILURE(ReapHeld());
  }
  const size_t daemon_start = Lines(launches_).size();
  ASSERT_NO_FATAL_FAILURE(StartAgent());
  ASSERT_NO_FATAL_FAILURE(WaitForCycleStarts(daemon_start, 5));  // four whole bad cycles
  {
    const std::vector<std::string> reached = Lines(reached_);
    EXPECT_EQ(CountFrom(reached, restarted_at, kAnyAdd), 0u) << "the tag flapped after a restart";
    EXPECT_EQ(CountFrom(reached, restarted_at, kAnyRemove), 0u)
        << "the tag flapped after a restart";
  }
  EXPECT_THAT(Tags("vmk0"), Contains(kNfcTag));
  EXPECT_THAT(Tags("vmk2"), Not(Contains(kNfcTag)));

  // The proxy answers again from the start of a cycle on.
  ASSERT_NO_FATAL_FAILURE(HoldNext(kInterfaceList));
  ASSERT_NO_FATAL_FAILURE(WaitHeld());
  const size_t good_from = Lines(launches_).size() - 1;  // the held interface list
  const auto answer_again = [](json* s) {
    const json healthy = testing::SimulatedHost();
    (*s)["ping_targets"] = healthy["ping_targets"];
    (*s)["neighbors"] = healthy["neighbors"];
  };
  ASSERT_NO_FATAL_FAILURE(EditState(answer_again));
  ASSERT_NO_FATAL_FAILURE(ReleaseHeld());
  held_ = HeldLaunch{};  // the agent, still alive, reaps it
  ASSERT_TRUE(WaitUntil([&] {
    return CountFrom(Lines(reached_), restarted_at, kRemoveFromManagement) > 0 || !AgentAlive();
  })) << "the tag never moved back\n"
      << AgentLog();
  // A few steady cycles after the move.
  ASSERT_NO_FATAL_FAILURE(WaitForCycleStarts(good_from, kCycles + 3));
  ASSERT_NO_FATAL_FAILURE(StopAgent());

  const std::vector<std::string> launched = Lines(launches_);
  size_t good_cycles_before_move = 0;
  for (size_t i = good_from; i < launched.size(); ++i) {
    if (launched[i].find(kAddOnBackup) != std::string::npos) {
      break;
    }
    good_cycles_before_move += launched[i].find(kInterfaceList) != std::string::npos ? 1 : 0;
  }
  const std::vector<std::string> reached = Lines(reached_);
  std::cout << "after the restart: adds " << CountFrom(reached, restarted_at, kAnyAdd)
            << ", removes " << CountFrom(reached, restarted_at, kAnyRemove)
            << "; moved back in good cycle " << good_cycles_before_move << "\n";
  EXPECT_EQ(good_cycles_before_move, kCycles);
  EXPECT_EQ(CountFrom(reached, restarted_at, kAddOnBackup), 1u);
  EXPECT_EQ(CountFrom(reached, restarted_at, kRemoveFromManagement), 1u);
  EXPECT_EQ(CountFrom(reached, restarted_at, kAnyAdd), 1u);
  EXPECT_EQ(CountFrom(reached, restarted_at, kAnyRemove), 1u);
  EXPECT_THAT(Tags("vmk2"), Contains(kNfcTag));
  EXPECT_EQ(Tags("vmk0"), std::vector<std::string>{"Management"});
}

}  // namespace
}  // namespace bnfc::hostagent
