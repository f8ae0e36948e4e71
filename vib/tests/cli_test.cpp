// bnfc-vib's command line: exit codes, text and JSON output, writing files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "bnfc/fs.h"
#include "bnfc/vib/cli.h"
#include "test_util.h"

namespace bnfc::vib {
namespace {

struct CliRun {
  int code;
  std::string out, err;
};

CliRun Cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

using testing::FixturePath;

TEST(Cli, EachFixturePassesTheReleasesItWasBuiltForAndFailsTheOthersWithEsxisReason) {
  // nsx-ext (three checksums, installed on ESXi 8): 8.0 ok, 7.0 ok with the unproven-digest note.
  CliRun nsx = Cli({"verify", FixturePath("esxcli-nsx-ext.vib")});
  EXPECT_EQ(nsx.code, 0) << nsx.out << nsx.err;
  EXPECT_NE(nsx.out.find("target ESXi 8.0: ok\n"), std::string::npos) << nsx.out;
  EXPECT_NE(nsx.out.find("warning ESXI7_GUNZIP_SHA256_UNPROVEN"), std::string::npos) << nsx.out;
  EXPECT_NE(nsx.out.find("verify: ok\n"), std::string::npos) << nsx.out;

  // ghettoVCB 2019 (VIB Author: sha-256 and gunzip sha-1): installed on 6.x/7.x, refused by 8.
  CliRun g7 = Cli({"verify", "--target", "7.0", FixturePath("ghettoVCB-2019.vib")});
  EXPECT_EQ(g7.code, 0) << g7.out;
  EXPECT_EQ(g7.out.find("ESXI"), std::string::npos) << g7.out;
  CliRun g8 = Cli({"verify", FixturePath("ghettoVCB-2019.vib"), "--target", "8.0"});
  EXPECT_EQ(g8.code, 1) << g8.out;
  EXPECT_NE(g8.out.find("error ESXI8_NO_GUNZIP_SHA256"), std::string::npos) << g8.out;
  EXPECT_NE(g8.out.find("the payload(s) in VIB virtuallyGhetto_bootbank_ghettoVCB_1.0.0-0.0.0 "
                        "does not have sha-256 gunzip checksum"),
            std::string::npos)
      << g8.out;
  EXPECT_NE(g8.out.find("verify: FAILED for ESXi 8.0"), std::string::npos) << g8.out;

  // hwmond (only the plain sha-256; ESXi 6.5 with --force): 7.0 passes with a note, 8.0 refuses;
  // with no --target both are checked and the verdict is a failure.
  CliRun h7 = Cli({"verify", "--target", "7.0", FixturePath("hwmond-xserve-3.2.5.vib")});
  EXPECT_EQ(h7.code, 0) << h7.out;
  EXPECT_NE(h7.out.find("warning PAYLOAD_CHECKSUM_MISSING"), std::string::npos) << h7.out;
  CliRun h = Cli({"verify", FixturePath("hwmond-xserve-3.2.5.vib"), "--json"});
  EXPECT_EQ(h.code, 1) << h.out;
  auto j = nlohmann::json::parse(h.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["targets"]["7.0"]["ok"], true);
  EXPECT_EQ(j["targets"]["8.0"]["ok"], false);
  EXPECT_EQ(j["targets"]["8.0"]["problems"][0]["code"], "ESXI8_NO_GUNZIP_SHA256");
}

TEST(Cli, UnknownTargetIsAUsageError) {
  EXPECT_EQ(Cli({"verify", FixturePath("esxcli-nsx-ext.vib"), "--target", "6.5"}).code, 2);
  EXPECT_EQ(Cli({"verify", FixturePath("esxcli-nsx-ext.vib"), "--target"}).code, 2);
}

TEST(Cli, InspectJsonIsParseable) {
  CliRun r = Cli({"inspect", FixturePath("esxcli-nsx-ext.vib"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["descriptor"]["vib_id"], "esxcliext_bootbank_esxcli-nsx-ext_1.0.0-0.0.0");
  EXPECT_EQ(j["members"].size(), 3u);
  EXPECT_EQ(j["members"][0]["mode"], "644");
}

TEST(Cli, InspectTextShowsHeaderFields) {
  CliRun r = Cli({"inspect", FixturePath("hwmond-xserve-3.2.5.vib"), "--target", "7.0"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("payload1"), std::string::npos);
  EXPECT_NE(r.out.find("plain"), std::string::npos);
  EXPECT_NE(r.out.find("100644"), std::string::npos);
  EXPECT_NE(r.out.find("tar visor"), std::string::npos) << r.out;
}

TEST(Cli, VerifyDamagedFileExitsOneAndNamesTheProblem) {
  std::string dir = testing::MakeTempDir();
  auto bytes = fs::ReadFile(FixturePath("esxcli-nsx-ext.vib"));
  ASSERT_TRUE(bytes.ok());
  std::string damaged = *bytes;
  damaged.resize(damaged.size() - 10);
  testing::WriteFile(dir + "/d.vib", damaged);
  CliRun r = Cli({"verify", dir + "/d.vib", "--json"});
  EXPECT_EQ(r.code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["problems"][0]["code"], "AR_TRUNCATED");
  testing::RemoveTree(dir);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(Cli({}).code, 2);
  EXPECT_EQ(Cli({"frobnicate"}).code, 2);
  EXPECT_EQ(Cli({"verify"}).code, 2);
  EXPECT_EQ(Cli({"verify", "/nonexistent/x.vib"}).code, 2);
  EXPECT_EQ(Cli({"build", "--manifest"}).code, 2);
  CliRun h = Cli({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("bundle --vib"), std::string::npos);
}

TEST(Cli, BuildBundleVerifyRoundTrip) {
  std::string dir = testing::MakeTempDir();
  testing::WriteFile(dir + "/payload/opt/bnfc/bin/x", "binary", 0755);
  testing::WriteFile(dir + "/m.manifest",
                     "name = x\nversion = 1.0.0-1\nvendor = v\nsummary = s\ndescription = d\n"
                     "release_date = 2025-01-01T00:00:00\npayload_name = xpayload\n");
  CliRun b = Cli({"build", "--manifest", dir + "/m.manifest", "--payload", dir + "/payload",
                  "--out", dir + "/x.vib"});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_NE(b.out.find("v_bootbank_x_1.0.0-1"), std::string::npos) << b.out;
  CliRun z = Cli({"bundle", "--vib", dir + "/x.vib", "--out", dir + "/x.zip", "--platform", "8.*"});
  ASSERT_EQ(z.code, 0) << z.err;
  CliRun v = Cli({"verify", dir + "/x.zip"});
  EXPECT_EQ(v.code, 0) << v.out;
  CliRun i = Cli({"inspect", dir + "/x.zip", "--json"});
  auto j = nlohmann::json::parse(i.out);
  EXPECT_EQ(j["platforms"], nlohmann::json::array({"8.*"}));
  EXPECT_EQ(j["component"], true);
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace bnfc::vib
