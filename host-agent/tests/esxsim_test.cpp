// The real cycle engine with the real runner against esxsim (tools/esxsim), a simulator of
// esxcli/localcli/vmkping driven by a JSON state file (ESXSIM_STATE). Skipped when esxsim is not
// built next to bnfc-hostd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "bnfc/fs.h"
#include "hostagent/cli.h"
#include "hostagent/cycle.h"
#include "test_util.h"

namespace bnfc::hostagent {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class EsxsimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string sim = testing::BinDir() + "/esxsim";
    if (access(sim.c_str(), X_OK) != 0) {
      GTEST_SKIP() << "esxsim is not built (" << sim << ")";
    }
    for (const char* p : {"esxcli", "localcli", "vmkping"}) {
      ASSERT_EQ(symlink(sim.c_str(), dir_.File(p).c_str()), 0);
    }
    state_path_ = dir_.File("state.json");
    setenv("ESXSIM_STATE", state_path_.c_str(), 1);
    state_ = testing::SimulatedHost();
    settings_.host_id = "esx01";
    settings_.selector = Selector::ByName("vmk2");
    settings_.read_cli = dir_.File("localcli");
    settings_.change_cli = dir_.File("esxcli");
    settings_.fallback_cli = dir_.File("localcli");
    settings_.vmkping = dir_.File("vmkping");
    settings_.command_timeout = std::chrono::seconds(20);
    settings_.probes = {ProbeAddress{"10.99.0.100", 9000, "config"}};
  }
  void TearDown() override { unsetenv("ESXSIM_STATE"); }

  void Save() { ASSERT_TRUE(fs::WriteFileAtomic(state_path_, state_.dump(2), 0644).ok()); }
  // vmk2 tagged, its proxy neither answering vmkping nor in the neighbor table; failover on, K=2.
  void TaggedBackupWithDeadPathAndFailover() {
    state_["vmknics"][2]["tags"] = {kNfcTag};
    state_["ping_targets"] = json::array();
    state_["neighbors"] = json::array();
    Save();
    settings_.failover = true;
    settings_.failover_cycles = 2;
  }
  std::vector<std::string> Tags(const std::string& vmk) {
    auto text = fs::ReadFile(state_path_);
    json doc = json::parse(*text);
    for (const json& v : doc["vmknics"]) {
      if (v["name"] == vmk) {
        return v.value("tags", std::vector<std::string>{});
      }
    }
    return {};
  }
  static std::vector<std::string> Codes(const CycleResult& r) {
    std::vector<std::string> out;
    for (const Finding& f : r.findings) {
      out.push_back(f.code);
    }
    return out;
  }
  // As the daemon runs a cycle once a proxy has acknowledged a report (consent given).
  CycleResult Run(CycleEngine& e, bool allow_changes = true) {
    CycleOptions o;
    o.allow_changes = allow_changes;
    o.consent_missing = "";
    return e.RunCycle(o);
  }
  // Config lines pointing bnfc-hostd at the simulator.
  std::string SimulatorLines() const {
    return "read_cli = " + dir_.File("localcli") + "\nchange_cli = " + dir_.File("esxcli") +
           "\nfallback_cli = " + dir_.File("localcli") + "\nvmkping = " + dir_.File("vmkping") +
           "\n";
  }

  testing::TempDir dir_;
  std::string state_path_;
  json state_;
  EngineSettings settings_;
  PosixCommandRunner runner_;
};

TEST_F(EsxsimTest, TagAddedWhenMissingThenNothingWhenPresent) {
  Save();
  CycleEngine e(runner_, settings_);
  CycleResult first = Run(e);
  EXPECT_THAT(Tags("vmk2"), Contains(kNfcTag)) << CycleResultText(first);
  EXPECT_THAT(Tags("vmk0"), Not(Contains(kNfcTag)));
  EXPECT_EQ(first.report.changes_size(), 1);
  EXPECT_TRUE(first.ready) << CycleResultText(first);
  EXPECT_EQ(first.report.nfc_address(), "10.99.0.11");
  CycleResult second = Run(e);
  EXPECT_EQ(second.report.changes_size(), 0);
  EXPECT_LE(second.report.command_launches(), 6u) << CycleResultText(second);
  EXPECT_TRUE(second.ready) << CycleResultText(second);
}

// The state keys the lab writes (vswitch, vds, vlan) arrive in the HostReport through both
// formatters, within the steady-cycle budget.
TEST_F(EsxsimTest, SwitchAndVlanOfEveryVmknicReachTheReport) {
  state_["vmknics"][0]["vlan"] = 10;
  state_["vmknics"][1]["vds"] = "dvs-vmotion";
  state_["vmknics"][2]["vswitch"] = "vSwitch1";
  state_["vmknics"][2]["vlan"] = 4095;
  state_["vmknics"][2]["tags"] = {kNfcTag};
  Save();
  for (Format f : {Format::kXml, Format::kText}) {
    settings_.format = f;
    CycleEngine e(runner_, settings_);
    Run(e);
    CycleResult r = Run(e);
    EXPECT_TRUE(r.ready) << CycleResultText(r);
    EXPECT_LE(r.report.command_launches(), 6u) << CycleResultText(r);
    ASSERT_EQ(r.report.vmknics_size(), 3);
    const proto::Vmknic& vmk0 = r.report.vmknics(0);
    EXPECT_EQ(vmk0.switch_name(), "vSwitch0");
    EXPECT_FALSE(vmk0.on_vds());
    EXPECT_TRUE(vmk0.vlan_known());
    EXPECT_EQ(vmk0.vlan_id(), 10u);
    const proto::Vmknic& vmk1 = r.report.vmknics(1);
    EXPECT_EQ(vmk1.switch_name(), "dvs-vmotion");
    EXPECT_TRUE(vmk1.on_vds());
    EXPECT_FALSE(vmk1.vlan_known());
    const proto::Vmknic& vmk2 = r.report.vmknics(2);
    EXPECT_EQ(vmk2.switch_name(), "vSwitch1");
    EXPECT_TRUE(vmk2.vlan_known());
    EXPECT_EQ(vmk2.vlan_id(), 4095u);
  }
}

TEST_F(EsxsimTest, ObserveChangesNothing) {
  settings_.policy = TagPolicy::kObserve;
  Save();
  CycleEngine e(runner_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Tags("vmk2"), Not(Contains(kNfcTag)));
  EXPECT_THAT(Codes(r), Contains(codes::kTagMissing));
  EXPECT_FALSE(r.ready);
}

TEST_F(EsxsimTest, RefusesVmk0AndTheVmotionStack) {
  Save();
  settings_.selector = Selector::ByName("vmk0");
  CycleEngine on_vmk0(runner_, settings_);
  CycleResult a = Run(on_vmk0);
  EXPECT_THAT(Codes(a), Contains(codes::kBackupVmkIsVmk0));
  settings_.selector = Selector::ByName("vmk1");
  CycleEngine on_vmk1(runner_, settings_);
  CycleResult b = Run(on_vmk1);
  EXPECT_THAT(Codes(b), Contains(codes::kWrongNetstack));
  EXPECT_THAT(Tags("vmk0"), Not(Contains(kNfcTag)));
  EXPECT_THAT(Tags("vmk1"), Not(Contains(kNfcTag)));
  EXPECT_EQ(a.report.changes_size() + b.report.changes_size(), 0);
}

TEST_F(EsxsimTest, ExclusiveRemovesTheTagElsewhere) {
  state_["vmknics"][0]["tags"] = {"Management", kNfcTag};
  Save();
  settings_.exclusive = true;
  CycleEngine e(runner_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Tags("vmk2"), Contains(kNfcTag)) << CycleResultText(r);
  EXPECT_EQ(Tags("vmk0"), std::vector<std::string>{"Management"});
  EXPECT_TRUE(r.ready) << CycleResultText(r);
}

TEST_F(EsxsimTest, HostdDownFallsBackToLocalcli) {
  state_["faults"] = {{"hostd_down", true}};
  Save();
  settings_.read_cli = dir_.File("esxcli");
  CycleEngine e(runner_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Tags("vmk2"), Contains(kNfcTag)) << CycleResultText(r);
  EXPECT_FALSE(r.report.hostd_available());
  EXPECT_THAT(Codes(r), Contains(codes::kHostdDown));
}

TEST_F(EsxsimTest, GarbledOutputIsAPreciseErrorAndChangesNothing) {
  state_["faults"] = {{"garble", {{"network ip interface list", "garbage"}}}};
  Save();
  CycleEngine e(runner_, settings_);
  CycleResult r = Run(e);
  EXPECT_THAT(Tags("vmk2"), Not(Contains(kNfcTag)));
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [](const Finding& f) { return f.code == codes::kParseError; });
  ASSERT_NE(it, r.findings.end()) << CycleResultText(r);
  EXPECT_THAT(it->detail, HasSubstr("esxcli network ip interface list: line"));
  EXPECT_FALSE(r.ready);
}

TEST_F(EsxsimTest, FailoverMovesTheTagAndMovesItBack) {
  TaggedBackupWithDeadPathAndFailover();
  CycleEngine e(runner_, settings_);
  Run(e);
  CycleResult moved = Run(e);
  EXPECT_TRUE(moved.report.failover_active()) << CycleResultText(moved);
  EXPECT_THAT(Tags("vmk0"), Contains(kNfcTag));
  EXPECT_THAT(Tags("vmk0"), Contains("Management"));
  EXPECT_THAT(Tags("vmk2"), Not(Contains(kNfcTag)));
  // The proxy answers again.
  json doc = json::parse(*fs::ReadFile(state_path_));
  doc["ping_targets"] = {{{"ip", "10.99.0.100"}, {"vmknic", "vmk2"}}};
  state_ = doc;
  Save();
  Run(e);
  CycleResult back = Run(e);
  EXPECT_FALSE(back.report.failover_active()) << CycleResultText(back);
  EXPECT_THAT(Tags("vmk2"), Contains(kNfcTag));
  EXPECT_EQ(Tags("vmk0"), std::vector<std::string>{"Management"});
}

// A restarted agent is a new engine on the same host: it must take the tag placement as the record
// of a failover the previous process made, not move the tag back while the path is still bad.
TEST_F(EsxsimTest, FailoverSurvivesARestartOfTheEngine) {
  TaggedBackupWithDeadPathAndFailover();
  {
    CycleEngine before_restart(runner_, settings_);
    Run(before_restart);
    CycleResult moved = Run(before_restart);
    ASSERT_TRUE(moved.report.failover_active()) << CycleResultText(moved);
  }
  CycleEngine after_restart(runner_, settings_);
  for (int cycle = 1; cycle <= 3; ++cycle) {
    CycleResult still_bad = Run(after_restart);
    EXPECT_TRUE(still_bad.report.failover_active()) << "cycle " << cycle << "\n"
                                                    << CycleResultText(still_bad);
    EXPECT_EQ(still_bad.report.changes_size(), 0) << "cycle " << cycle << "\n"
                                                  << CycleResultText(still_bad);
    EXPECT_THAT(Codes(still_bad), Contains(codes::kFailoverActive));
    EXPECT_THAT(Tags("vmk0"), Contains(kNfcTag));
    EXPECT_THAT(Tags("vmk2"), Not(Contains(kNfcTag)));
  }
  // The proxy answers again: back after exactly K = 2 good cycles.
  json doc = json::parse(*fs::ReadFile(state_path_));
  doc["ping_targets"] = {{{"ip", "10.99.0.100"}, {"vmknic", "vmk2"}}};
  state_ = doc;
  Save();
  CycleResult first_good = Run(after_restart);
  EXPECT_TRUE(first_good.report.failover_active()) << CycleResultText(first_good);
  EXPECT_EQ(first_good.report.changes_size(), 0);
  CycleResult second_good = Run(after_restart);
  EXPECT_FALSE(second_good.report.failover_active()) << CycleResultText(second_good);
  EXPECT_EQ(second_good.report.changes_size(), 2);
  EXPECT_THAT(Tags("vmk2"), Contains(kNfcTag));
  EXPECT_EQ(Tags("vmk0"), std::vector<std::string>{"Management"});
  EXPECT_EQ(Run(after_restart).report.changes_size(), 0);
}

// Resuming happens once per process: later, a tag someone else put on management is not a
// failover of this agent, which owns the placement and puts the tag back at once.
TEST_F(EsxsimTest, ATagMovedToManagementByHandWhileRunningIsMovedBack) {
  state_["vmknics"][2]["tags"] = {kNfcTag};
  Save();
  settings_.failover = true;
  settings_.failover_cycles = 2;
  CycleEngine e(runner_, settings_);
  EXPECT_EQ(Run(e).report.changes_size(), 0);
  json doc = json::parse(*fs::ReadFile(state_path_));
  doc["vmknics"][0]["tags"] = {"Management", kNfcTag};
  doc["vmknics"][2]["tags"] = json::array();
  state_ = doc;
  Save();
  CycleResult r = Run(e);
  EXPECT_FALSE(r.report.failover_active()) << CycleResultText(r);
  EXPECT_EQ(r.report.changes_size(), 2) << CycleResultText(r);
  EXPECT_THAT(Tags("vmk2"), Contains(kNfcTag));
  EXPECT_EQ(Tags("vmk0"), std::vector<std::string>{"Management"});
}

// `tag` is the operator's consent, but not proof: with the proxy backup address silent it changes
// nothing and exits non-zero; --force changes the tag anyway.
TEST_F(EsxsimTest, TagRefusesWhenTheProbeFailsUnlessForced) {
  state_["ping_targets"] = json::array();
  state_["neighbors"] = json::array();
  Save();
  dir_.Write("hostd.conf", "backup_vmk = vmk2\ntag_policy = observe\nprobe = 10.99.0.100 9000\n" +
                               SimulatorLines());
  std::ostringstream out, err;
  EXPECT_EQ(RunCli({"tag", "--config", dir_.File("hostd.conf")}, out, err), 1) << out.str();
  EXPECT_THAT(err.str(), HasSubstr("refusing to change vSphereBackupNFC"));
  EXPECT_THAT(err.str(), HasSubstr("no proxy backup address answered a DF ping"));
  EXPECT_THAT(out.str(), HasSubstr("PLANNED_TAG_ADD"));
  EXPECT_THAT(Tags("vmk2"), Not(Contains(kNfcTag)));
  EXPECT_EQ(Tags("vmk0"), std::vector<std::string>{"Management"});

  std::ostringstream out2, err2;
  RunCli({"tag", "--config", dir_.File("hostd.conf"), "--force"}, out2, err2);
  EXPECT_THAT(Tags("vmk2"), Contains(kNfcTag)) << out2.str() << err2.str();
  EXPECT_THAT(out2.str(), HasSubstr("change: add vSphereBackupNFC on vmk2 (done)"));
}

// `check` changes nothing and says what ensure would do.
TEST_F(EsxsimTest, CheckPrintsThePlannedAction) {
  Save();
  dir_.Write("hostd.conf", "backup_vmk = vmk2\ntag_policy = ensure\nprobe = 10.99.0.100 9000\n" +
                               SimulatorLines());
  std::ostringstream out, err;
  EXPECT_EQ(RunCli({"check", "--config", dir_.File("hostd.conf")}, out, err), 1);
  EXPECT_THAT(out.str(), HasSubstr("PLANNED_TAG_ADD: add vSphereBackupNFC to vmk2"));
  EXPECT_THAT(Tags("vmk2"), Not(Contains(kNfcTag)));
}

// Installing the VIB starts the agent with the shipped configuration and no proxy: nothing may
// change, neither under the shipped observe nor when someone switched it to ensure.
TEST_F(EsxsimTest, StartingWithNoProxyChangesNoTag) {
  const std::string hostd = testing::BinDir() + "/bnfc-hostd";
  ASSERT_EQ(access(hostd.c_str(), X_OK), 0) << hostd;
  auto shipped = fs::ReadFile(testing::SourceDir() + "/esxcli-scripts/hostd.conf");
  ASSERT_TRUE(shipped.ok()) << shipped.error().message;
  ASSERT_NE(shipped->find("\ninterval = 60s\n"), std::string::npos);
  auto keygen = testing::RunShell(hostd + " keygen --dir " + dir_.path() + " 2>&1");
  ASSERT_EQ(keygen.status, 0) << keygen.output;
  Save();
  for (const char* policy : {"observe", "ensure"}) {
    SCOPED_TRACE(policy);
    std::string text = *shipped;
    text.replace(text.find("\ninterval = 60s\n"), 16, "\ninterval = 100ms\n");
    text.replace(text.find("\ntag_policy = observe\n"), 22,
                 std::string("\ntag_policy = ") + policy + "\n");
    text += SimulatorLines() + "public_key_file = " + dir_.File("hostd.key") +
            "\nsecret_key_file = " + dir_.File("hostd.key_secret") + "\n";
    dir_.Write("run.conf", text);
    const std::string log = dir_.File(std::string("agent-") + policy + ".log");
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      FILE* f = freopen(log.c_str(), "w", stderr);
      (void)f;
      execl(hostd.c_str(), hostd.c_str(), "run", "--foreground", "--config",
            dir_.File("run.conf").c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Until the agent has logged its withheld plan (once, after its first cycle); then it runs a
    // few more cycles before it is stopped.
    std::string text_log;
    for (int i = 0; i < 600; ++i) {
      text_log = fs::ReadFile(log).value_or("");
      if (text_log.find("planned, not applied") != std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a few more cycles
    kill(pid, SIGTERM);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    text_log = fs::ReadFile(log).value_or("");
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text_log;
    EXPECT_THAT(text_log, HasSubstr("planned, not applied: add vSphereBackupNFC to vmk2"));
    EXPECT_THAT(text_log, HasSubstr(std::string(policy) == "observe" ? "tag_policy = observe"
                                                                     : "no proxy is configured"));
    EXPECT_THAT(text_log, Not(HasSubstr("by the agent")));
    EXPECT_THAT(Tags("vmk2"), Not(Contains(kNfcTag)));
    EXPECT_EQ(Tags("vmk0"), std::vector<std::string>{"Management"});
  }
}

}  // namespace
}  // namespace bnfc::hostagent
