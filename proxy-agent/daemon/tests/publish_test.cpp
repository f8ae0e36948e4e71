// Publish: files through the environment's filesystem, metrics assembled from the cycle.
#include "publish.h"

#include <gtest/gtest.h>

#include <map>

#include "bnfc/version.h"

namespace bnfc::proxyd {
namespace {

class MemoryFiles : public Filesystem {
 public:
  Expected<std::string> ReadFile(const std::string& path, size_t) override {
    auto it = files.find(path);
    if (it == files.end())
      return Unexpected(ErrorCode::kNotFound, path);
    return it->second;
  }
  Status WriteFileAtomic(const std::string& path, const std::string& contents, mode_t) override {
    files[path] = contents;
    return OkStatus();
  }
  bool Exists(const std::string& path) override { return files.count(path) > 0; }
  std::map<std::string, std::string> files;
};

report::Report OnePair() {
  report::PairFacts f;
  f.proxy_id = "proxy01";
  f.host_id = "esx01";
  f.flows.ran = true;
  f.flows.on_backup = 3;
  f.flows.off_backup = 1;
  return report::BuildReport("proxy01", BNFC_VERSION, 1718100000000, {f});
}

TEST(Publish, CycleMetricsCarryVerdictsPinsAndFlows) {
  report::PairFacts f;
  f.host_id = "esx01";
  f.flows.on_backup = 3;
  f.flows.off_backup = 1;
  PinOutcome pins;
  pins.desired = 4;
  pins.installed = 3;
  report::Report r = OnePair();
  report::MetricsSnapshot m = CycleMetrics(r, pins, {f});
  EXPECT_EQ(m.proxy_id, "proxy01");
  EXPECT_EQ(m.version, BNFC_VERSION);
  EXPECT_EQ(m.pins_desired, 4u);
  EXPECT_EQ(m.pins_installed, 3u);
  EXPECT_EQ(m.hosts.at("esx01").flows_on_backup, 3u);
  EXPECT_EQ(m.hosts.at("esx01").flows_off_backup, 1u);
  EXPECT_EQ(m.generated_unix_ms, r.generated_unix_ms);
  uint64_t pairs = 0;
  for (auto n : m.pairs_by_verdict)
    pairs += n;
  EXPECT_EQ(pairs, 1u);
}

TEST(Publish, ReportAndPinFilesGoThroughTheFilesystemSeam) {
  MemoryFiles files;
  char tmpl[] = "/tmp/bnfc-publish-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);  // the history still appends on disk
  const std::string dir = tmpl;
  Publisher publisher(files, dir);
  PinOutcome pins;
  pins.rows.push_back({"esx01", "10.99.0.11", "eth1", "10.99.0.100", true, "automatic"});
  publisher.Publish(OnePair(), pins);
  for (const char* name : {"report.json", "report.txt", "report.html", "pins.json", "pins.txt"})
    EXPECT_TRUE(files.Exists(dir + "/" + name)) << name;
  EXPECT_NE(files.files[dir + "/report.json"].find("esx01"), std::string::npos);
  EXPECT_NE(files.files[dir + "/pins.txt"].find("10.99.0.11"), std::string::npos);
  std::string cleanup = "rm -rf '" + dir + "'";
  EXPECT_EQ(std::system(cleanup.c_str()), 0);
}

}  // namespace
}  // namespace bnfc::proxyd
