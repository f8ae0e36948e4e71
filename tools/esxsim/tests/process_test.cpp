// The real binary under concurrent use: tag add/remove from many processes at once must not lose
// updates (flock + temp file + rename), and the personalities come from the symlink names.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace {

using esxsim_test::RunTool;
using esxsim_test::TempDir;
using esxsim_test::ToolRun;
using Json = nlohmann::ordered_json;

const char* const kTags[] = {"Management",         "VMotion", "faultToleranceLogging",
                             "vSphereReplication", "VSAN",    "vSphereProvisioning",
                             "vSphereBackupNFC",   "NVMeTCP"};

TEST(EsxsimProcess, ConcurrentTagAddsAreAllKept) {
  TempDir tmp;
  Json nics = Json::array();
  for (int i = 0; i < 4; ++i) {
    nics.push_back({{"name", "vmk" + std::to_string(i)}, {"tags", Json::array()}});
  }
  const std::string state = tmp.Write("state.json", Json{{"vmknics", nics}}.dump());
  // 4 vmknics x 8 tags = 32 concurrent writers.
  std::vector<pid_t> pids;
  for (int v = 0; v < 4; ++v) {
    for (const char* tag : kTags) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        const ToolRun r = RunTool("esxcli",
                                  {"network", "ip", "interface", "tag", "add", "-i",
                                   "vmk" + std::to_string(v), "-t", tag},
                                  state);
        ::_exit(r.code == 0 ? 0 : 1);
      }
      pids.push_back(pid);
    }
  }
  for (pid_t p : pids) {
    int status = 0;
    ::waitpid(p, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::ifstream in(state);
  const Json doc = Json::parse(in, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "state file damaged";
  for (const Json& nic : doc["vmknics"]) {
    EXPECT_EQ(nic["tags"].size(), 8u) << nic.dump();
  }
}

TEST(EsxsimProcess, SymlinksSelectPersonality) {
  TempDir tmp;
  const std::string state = tmp.Write(
      "state.json",
      R"({"faults": {"hostd_down": true}, "vmknics": [{"name": "vmk0", "tags": ["Management"]}]})");
  const ToolRun e =
      RunTool("esxcli", {"network", "ip", "interface", "tag", "get", "-i", "vmk0"}, state);
  EXPECT_EQ(e.code, 1);
  EXPECT_EQ(e.err, "Connect to localhost failed: Connection failure.\n");
  const ToolRun l =
      RunTool("localcli", {"network", "ip", "interface", "tag", "get", "-i", "vmk0"}, state);
  EXPECT_EQ(l.code, 0);
  EXPECT_EQ(l.out, "   Tags: Management\n");
  const ToolRun s =
      RunTool("esxsim", {"--state", state, "localcli", "system", "version", "get"}, "");
  EXPECT_EQ(s.code, 0) << s.err;
}

}  // namespace
