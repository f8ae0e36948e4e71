// bnfc-vib build and bundle: layout, descriptor, reproducibility, and that results verify.
#include <gtest/gtest.h>

#include "bnfc/vib/build.h"
#include "bnfc/vib/digest.h"
#include "bnfc/vib/inspect.h"
#include "bnfc/vib/payload.h"
#include "test_util.h"

namespace bnfc::vib {
namespace {

using testing::Describe;
using testing::HasCode;

constexpr const char* kManifest = R"(# test manifest
name = bnfc-hostd
version = 0.1.0-1
vendor = backupnfc
summary = backupnfc host agent
description = Keeps NBD backup traffic on the backup network & proves it
release_date = 2025-01-31T00:00:00
payload_name = bnfcagt
url = https://example.invalid/backupnfc
sticky = etc/bnfc/hostd.conf
)";

class BuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    testing::WriteFile(dir_ + "/opt/bnfc/bin/bnfc-hostd",
                       "\x7f"
                       "ELF fake binary",
                       0700);
    testing::WriteFile(dir_ + "/etc/init.d/bnfc-hostd", "#!/bin/sh\necho hi\n", 0755);
    testing::WriteFile(dir_ + "/etc/bnfc/hostd.conf", "backup_vmk = vmk2\n", 0600);
    testing::WriteFile(dir_ + "/etc/vmware/firewall/bnfc-hostd.xml", "<ConfigRoot/>\n", 0444);
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  std::string Build() {
    auto m = ParseManifest(kManifest, "test.manifest");
    EXPECT_TRUE(m.ok()) << m.error().ToString();
    auto files = StagePayload(dir_, m->sticky);
    EXPECT_TRUE(files.ok()) << files.error().ToString();
    auto vib = BuildVib(*m, *files);
    EXPECT_TRUE(vib.ok()) << vib.error().ToString();
    return vib.ok() ? *vib : std::string();
  }
  std::string dir_;
};

TEST_F(BuildTest, ResultVerifiesWithoutAnyProblem) {
  VibReport r = InspectVib(Build());
  EXPECT_TRUE(r.problems.empty()) << Describe(r.problems);
  ASSERT_TRUE(r.descriptor);
  EXPECT_EQ(VibId(*r.descriptor), "backupnfc_bootbank_bnfc-hostd_0.1.0-1");
  EXPECT_EQ(r.descriptor->acceptance_level, "community");
  EXPECT_EQ(r.descriptor->live_install_allowed, "true");
  EXPECT_EQ(r.descriptor->live_remove_allowed, "true");
  EXPECT_EQ(r.descriptor->description,
            "Keeps NBD backup traffic on the backup network & proves it");
}

TEST_F(BuildTest, BuildingTwiceGivesIdenticalBytes) {
  std::string a = Build();
  // Touch every file's times: the output must not depend on them.
  ASSERT_EQ(std::system(("touch -d '2001-02-03' $(find '" + dir_ + "')").c_str()), 0);
  std::string b = Build();
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(Sha256Hex(a), Sha256Hex(b));
  EXPECT_EQ(a, b);
}

TEST_F(BuildTest, ArLayoutIsGnuWithZeroTimesAndMode644) {
  std::string vib = Build();
  ASSERT_GT(vib.size(), 68u);
  EXPECT_EQ(vib.substr(0, 8), "!<arch>\n");
  EXPECT_EQ(vib.substr(8, 60), std::string("descriptor.xml/ 0           0     0     644     ") +
                                   vib.substr(56, 10) + "`\n");
  ArParse p = ParseAr(vib);
  ASSERT_EQ(p.members.size(), 3u);
  EXPECT_EQ(p.members[1].name, "sig.pkcs7");
  EXPECT_EQ(p.members[1].size, 0u);
  EXPECT_EQ(p.members[2].name, "bnfcagt");
  for (const auto& m : p.members) {
    EXPECT_TRUE(m.gnu_name);
    EXPECT_EQ(m.mtime, "0");
    EXPECT_EQ(m.uid, "0");
    EXPECT_EQ(m.gid, "0");
    EXPECT_EQ(m.mode, "644");
    EXPECT_LE(m.name.size(), 15u);
  }
}

TEST_F(BuildTest, DescriptorHasEveryElementInTheUsualOrder) {
  VibReport r = InspectVib(Build());
  ASSERT_TRUE(r.descriptor);
  EXPECT_EQ(r.descriptor->element_order, DescriptorElementOrder());
  EXPECT_EQ(
      r.descriptor->files,
      (std::vector<std::string>{"etc/bnfc/hostd.conf", "etc/init.d/bnfc-hostd",
                                "etc/vmware/firewall/bnfc-hostd.xml", "opt/bnfc/bin/bnfc-hostd"}));
  ASSERT_EQ(r.descriptor->payloads.size(), 1u);
  const auto& p = r.descriptor->payloads[0];
  EXPECT_EQ(p.type, "tgz");
  ASSERT_EQ(p.checksums.size(), 3u);
  EXPECT_EQ(p.checksums[0].type, "sha-256");
  EXPECT_EQ(p.checksums[0].verify_process, "");
  EXPECT_EQ(p.checksums[1].type, "sha-256");
  EXPECT_EQ(p.checksums[1].verify_process, "gunzip");
  EXPECT_EQ(p.checksums[2].type, "sha-1");
  EXPECT_EQ(p.checksums[2].verify_process, "gunzip");
}

TEST_F(BuildTest, PayloadIsNormalisedGnuTarInGzipWithoutTimestamp) {
  VibReport r = InspectVib(Build());
  ASSERT_EQ(r.payloads.size(), 1u);
  const std::string payload(r.members[2].data);
  ASSERT_GT(payload.size(), 10u);
  EXPECT_EQ(payload.substr(4, 4), std::string(4, '\0'));  // gzip MTIME
  EXPECT_EQ(payload[3] & 0x08, 0);                        // no FNAME
  EXPECT_EQ(r.payloads[0].info.tar_format, "gnu");
  std::vector<std::string> paths;
  for (const auto& e : r.payloads[0].info.entries) {
    paths.push_back(e.path);
    EXPECT_EQ(e.uid, 0);
    EXPECT_EQ(e.gid, 0);
    EXPECT_EQ(e.uname, "root");
    if (e.path == "etc/bnfc/hostd.conf") {
      EXPECT_EQ(e.mode, 01644u);  // sticky + writable so ESXi persists edits
    } else if (e.path == "opt/bnfc/bin/bnfc-hostd" || e.path == "etc/init.d/bnfc-hostd") {
      EXPECT_EQ(e.mode, 0755u);
    } else if (e.kind == 'd') {
      EXPECT_EQ(e.mode, 0755u);
    } else {
      EXPECT_EQ(e.mode, 0644u) << e.path;
    }
  }
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
  auto raw = Gunzip(payload);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->substr(136, 12), std::string("00000000000") + '\0');  // tar mtime 0
}

TEST_F(BuildTest, SymlinksInThePayloadAreRefused) {
  ASSERT_EQ(symlink("/etc/passwd", (dir_ + "/etc/link").c_str()), 0);
  auto files = StagePayload(dir_, {});
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().message.find("etc/link"), std::string::npos);
}

TEST_F(BuildTest, StickyFileMustExist) {
  auto files = StagePayload(dir_, {"etc/bnfc/nothere.conf"});
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().message.find("etc/bnfc/nothere.conf"), std::string::npos);
}

TEST(Manifest, ErrorsNameFileLineAndKey) {
  auto m = ParseManifest(std::string(kManifest) + "colour = blue\n", "x.manifest");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("x.manifest"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("colour"), std::string::npos) << m.error().message;

  std::string long_name =
      testing::Replace(kManifest, "payload_name = bnfcagt", "payload_name = a-very-long-payload");
  auto m2 = ParseManifest(long_name, "x.manifest");
  ASSERT_FALSE(m2.ok());
  EXPECT_NE(m2.error().message.find("x.manifest:8: key 'payload_name'"), std::string::npos)
      << m2.error().message;

  auto m3 = ParseManifest(testing::Replace(kManifest, "version = 0.1.0-1", "version = 1"), "x");
  ASSERT_FALSE(m3.ok());
  EXPECT_NE(m3.error().message.find("X.Y.Z-R.S.T"), std::string::npos) << m3.error().message;

  auto m4 =
      ParseManifest(testing::Replace(kManifest, "vendor = backupnfc", "vendor = back_up"), "x");
  EXPECT_FALSE(m4.ok());
}

TEST(Manifest, DefaultsAreCommunityLiveInstall) {
  auto m = ParseManifest(kManifest, "x");
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->acceptance_level, "community");
  EXPECT_EQ(m->type, "bootbank");
  EXPECT_TRUE(m->live_install);
  EXPECT_TRUE(m->live_remove);
  EXPECT_EQ(m->sticky, std::vector<std::string>{"etc/bnfc/hostd.conf"});
}

// --- offline bundle ---

class BundleTest : public BuildTest {
 protected:
  std::string MakeBundle(const std::string& vib) {
    auto z = BuildBundle({{"bnfc.vib", vib}}, BundleOptions{});
    EXPECT_TRUE(z.ok()) << z.error().ToString();
    return z.ok() ? *z : std::string();
  }
};

TEST_F(BundleTest, BundleVerifiesAndIsComponentForm) {
  std::string vib = Build();
  BundleReport r = InspectBundle(MakeBundle(vib));
  EXPECT_TRUE(AllProblems(r).empty()) << Describe(AllProblems(r));
  EXPECT_TRUE(r.component);
  EXPECT_EQ(r.platforms, (std::vector<std::string>{"8.*", "7.*"}));
  ASSERT_EQ(r.vibs.size(), 1u);
  EXPECT_EQ(r.vibs[0].path, "vib20/bnfc-hostd/backupnfc_bootbank_bnfc-hostd_0.1.0-1.vib");
  EXPECT_EQ(r.vibs[0].vib_id, "backupnfc_bootbank_bnfc-hostd_0.1.0-1");
  EXPECT_EQ(r.vibs[0].report.sha256, Sha256Hex(vib));
  std::vector<std::string> names;
  for (const auto& [path, size] : r.entries) {
    names.push_back(path);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"index.xml", "vendor-index.xml", "metadata.zip",
                                             r.vibs[0].path}));
  EXPECT_EQ(r.metadata_entries,
            (std::vector<std::string>{"vmware.xml", "vendor-index.xml",
                                      "bulletins/bnfc-hostd-0.1.0-1.xml",
                                      "vibs/backupnfc_bootbank_bnfc-hostd_0.1.0-1.xml"}));
}

TEST_F(BundleTest, BundlingTwiceGivesIdenticalBytes) {
  std::string vib = Build();
  std::string a = MakeBundle(vib);
  std::string b = MakeBundle(Build());
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

TEST_F(BundleTest, ReplacedVibIsCaughtByTheDepotChecksum) {
  std::string vib = Build();
  auto entries = ReadZip(MakeBundle(vib), 1u << 30);
  ASSERT_TRUE(entries.ok());
  std::string other = vib;
  other[other.size() - 40] ^= 1;  // inside the payload
  (*entries)[3].second = other;
  auto z = WriteZip(*entries, 315532800);
  ASSERT_TRUE(z.ok());
  BundleReport r = InspectBundle(*z);
  EXPECT_TRUE(HasCode(r.problems, "BUNDLE_VIB_SHA256_MISMATCH")) << Describe(r.problems);
  EXPECT_TRUE(HasCode(r.vibs.at(0).report.problems, "PAYLOAD_SHA256_MISMATCH"));
}

TEST_F(BundleTest, MissingMetadataAndVib) {
  auto entries = ReadZip(MakeBundle(Build()), 1u << 30);
  ASSERT_TRUE(entries.ok());
  auto no_vib = *entries;
  no_vib.pop_back();
  BundleReport r = InspectBundle(*WriteZip(no_vib, 315532800));
  EXPECT_TRUE(HasCode(r.problems, "BUNDLE_VIB_MISSING")) << Describe(r.problems);
  auto no_meta = *entries;
  no_meta.erase(no_meta.begin() + 2);
  BundleReport r2 = InspectBundle(*WriteZip(no_meta, 315532800));
  EXPECT_TRUE(HasCode(r2.problems, "BUNDLE_MEMBER_MISSING")) << Describe(r2.problems);
}

TEST_F(BundleTest, TruncatedZipIsNamed) {
  std::string z = MakeBundle(Build());
  z.resize(z.size() / 2);
  BundleReport r = InspectBundle(z);
  EXPECT_TRUE(HasCode(r.problems, "BUNDLE_ZIP_INVALID")) << Describe(r.problems);
}

TEST_F(BundleTest, RefusesAVibThatDoesNotVerify) {
  std::string vib = Build();
  vib[vib.size() - 40] ^= 1;
  auto z = BuildBundle({{"bad.vib", vib}}, BundleOptions{});
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.error().message.find("bad.vib"), std::string::npos);
}

TEST(FixtureBundle, FixtureVibsBundleAndVerify) {
  std::string nsx = testing::Fixture("esxcli-nsx-ext.vib");
  auto z = BuildBundle({{"nsx.vib", nsx}}, BundleOptions{});
  ASSERT_TRUE(z.ok()) << z.error().ToString();
  BundleReport r = InspectBundle(*z);
  EXPECT_TRUE(AllProblems(r).empty()) << Describe(AllProblems(r));
}

}  // namespace
}  // namespace bnfc::vib
