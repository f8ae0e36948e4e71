// Payload tars: VMware visor tars in both layouts (VIB Author's headers-first and
// data-after-header), read exactly; damaged visor tars refused with the reason. Archives that would
// write outside their tree (built here with libarchive) refused with the entry named; bombs refused
// with bounded memory.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "bnfc/vib/inspect.h"
#include "bnfc/vib/payload.h"
#include "test_util.h"

namespace bnfc::vib {
namespace {

using testing::Describe;
using testing::Fixture;
using testing::HasCode;

struct Expect {
  char kind;
  unsigned mode;
  uint64_t size;
  const char* path;
  uint64_t data_offset;
};

// ghettoVCB-2019.vib, made by VMware's VIB Author: ten 512-byte headers, an end block at 5120,
// then the data of each file at the offset its header names (values read by hand with od).
TEST(VisorTar, GhettoVcbHeadersFirstListsEveryFileAndModeExactly) {
  VibReport r = InspectVib(Fixture("ghettoVCB-2019.vib"));
  ASSERT_EQ(r.payloads.size(), 1u) << Describe(r.problems);
  const PayloadInfo& p = r.payloads[0].info;
  EXPECT_EQ(p.tar_format, "visor");
  EXPECT_EQ(p.tar_error, "");
  EXPECT_EQ(p.gunzip_size, 97536u);
  EXPECT_EQ(p.gunzip_sha1, "7ff6c5c67c721105a29a7b0815d451582a4add61");  // the descriptor's
  const Expect want[] = {
      {'d', 0755, 0, "etc/", 0},
      {'d', 0755, 0, "etc/ghettovcb/", 0},
      {'f', 0644, 797, "etc/ghettovcb/ghettoVCB.conf", 5632},
      {'f', 0644, 309, "etc/ghettovcb/ghettoVCB-restore_vm_restore_configuration_template", 6656},
      {'f', 0644, 356, "etc/ghettovcb/ghettoVCB-vm_backup_configuration_template", 7168},
      {'d', 0755, 0, "opt/", 0},
      {'d', 0755, 0, "opt/ghettovcb/", 0},
      {'d', 0755, 0, "opt/ghettovcb/bin/", 0},
      {'f', 0755, 17559, "opt/ghettovcb/bin/ghettoVCB-restore.sh", 7680},
      {'f', 0755, 71936, "opt/ghettovcb/bin/ghettoVCB.sh", 25600},
  };
  ASSERT_EQ(p.entries.size(), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) {
    const TarEntry& e = p.entries[i];
    EXPECT_EQ(e.kind, want[i].kind) << e.path;
    EXPECT_EQ(e.mode, want[i].mode) << e.path;
    EXPECT_EQ(e.size, want[i].size) << e.path;
    EXPECT_EQ(e.path, want[i].path);
    EXPECT_EQ(e.data_offset, want[i].data_offset) << e.path;
    EXPECT_EQ(e.uid, 0);
    EXPECT_EQ(e.uname, "root");
  }
  // Its file-list agrees with the payload; nothing is an error.
  EXPECT_FALSE(HasErrors(r.problems)) << Describe(r.problems);
  EXPECT_FALSE(HasCode(r.problems, "FILE_LIST_MISMATCH")) << Describe(r.problems);
}

TEST(VisorTar, HeadersFirstDataIsWhereTheOffsetSays) {
  // The data at each offset is the file: ghettoVCB.sh starts with a shebang, the .conf with a
  // setting, both at their 0x1F0 offsets in the uncompressed stream.
  const std::string bytes = Fixture("ghettoVCB-2019.vib");  // the report's views point into it
  VibReport r = InspectVib(bytes);
  ASSERT_TRUE(r.descriptor);
  auto raw = Gunzip(r.members[2].data);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->substr(25600, 2), "#!");
  EXPECT_EQ(raw->substr(5632, 15), "VM_BACKUP_VOLUM");
}

// A visor tar written here: 512-byte headers, data either after each header or after all of
// them (then at the 0x1F0 offset).
struct VisorFile {
  std::string path;
  char type = '0';
  unsigned mode = 0644;
  std::string data;
  std::string link;
};

std::string VisorHeader(const VisorFile& f, uint32_t offset) {
  std::string h(512, '\0');
  auto put = [&](size_t at, const std::string& s) { std::memcpy(&h[at], s.data(), s.size()); };
  char num[16];
  put(0, f.path);
  std::snprintf(num, sizeof num, "%07o", f.mode);
  put(100, num);
  put(108, "0000000");
  put(116, "0000000");
  std::snprintf(num, sizeof num, "%011o", static_cast<unsigned>(f.data.size()));
  put(124, f.type == '0' ? num : "00000000000");
  put(136, "00000000000");
  h[156] = f.type;
  put(157, f.link);
  put(257, std::string("visor  \0", 8));
  put(265, "root");
  put(297, "root");
  for (int i = 0; i < 4; ++i) {
    h[0x1F0 + i] = static_cast<char>((offset >> (8 * i)) & 0xff);
  }
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  }
  std::snprintf(num, sizeof num, "%06o", sum);
  put(148, num);
  h[155] = ' ';
  return h;
}

std::string Pad(std::string s) {
  s.resize((s.size() + 511) / 512 * 512, '\0');
  return s;
}

std::string VisorTar(const std::vector<VisorFile>& files, bool headers_first) {
  std::string out;
  if (!headers_first) {
    for (const auto& f : files) {
      out += VisorHeader(f, 0) + Pad(f.data);
    }
    return out + std::string(1024, '\0');
  }
  uint32_t offset = static_cast<uint32_t>(512 * (files.size() + 1));
  std::string data;
  for (const auto& f : files) {
    out += VisorHeader(f, f.data.empty() ? 0 : offset + static_cast<uint32_t>(data.size()));
    data += Pad(f.data);
  }
  return out + std::string(512, '\0') + data;
}

TEST(VisorTar, BothLayoutsListTheSameEntries) {
  std::vector<VisorFile> files = {{"opt/", '5', 0755, "", ""},
                                  {"opt/a", '0', 0755, std::string(700, 'a'), ""},
                                  {"opt/b", '0', 01644, "bee", ""},
                                  {"opt/l", '2', 0777, "", "a"}};
  for (bool first : {true, false}) {
    auto e = ListTar(VisorTar(files, first));
    ASSERT_TRUE(e.ok()) << e.error().message;
    ASSERT_EQ(e->size(), 4u);
    EXPECT_EQ((*e)[1].path, "opt/a");
    EXPECT_EQ((*e)[1].size, 700u);
    EXPECT_EQ((*e)[1].mode, 0755u);
    EXPECT_EQ((*e)[2].mode, 01644u);
    EXPECT_EQ((*e)[2].data_offset, first ? 512u * 5 + 1024 : 512u * 5);
    EXPECT_EQ((*e)[3].kind, 'l');
    EXPECT_EQ((*e)[3].link, "a");
  }
}

TEST(VisorTar, DataOffsetBeyondTheEndIsRefused) {
  std::string tar = VisorTar({{"a", '0', 0644, std::string(600, 'x'), ""}}, true);
  tar.resize(tar.size() - 512);  // the last block of a's data is gone
  auto e = ListTar(tar);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("the data of 'a'"), std::string::npos) << e.error().message;
}

TEST(VisorTar, BadHeaderChecksumIsRefused) {
  std::string tar = VisorTar({{"a", '0', 0644, "x", ""}}, true);
  tar[1] = 'b';
  auto e = ListTar(tar);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("header checksum"), std::string::npos) << e.error().message;
}

TEST(VisorTar, MissingEndBlockAndTruncationAreRefused) {
  std::string inline_tar = VisorTar({{"a", '0', 0644, std::string(600, 'x'), ""}}, false);
  auto no_end = ListTar(inline_tar.substr(0, inline_tar.size() - 1024));
  ASSERT_FALSE(no_end.ok());
  EXPECT_NE(no_end.error().message.find("no end-of-archive block"), std::string::npos)
      << no_end.error().message;
  auto cut = ListTar(inline_tar.substr(0, 700));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("truncated"), std::string::npos) << cut.error().message;
}

TEST(VisorTar, OffsetPointingIntoItsOwnHeaderIsRefused) {
  std::string tar = VisorTar({{"a", '0', 0644, "x", ""}}, true);
  VisorFile f{"a", '0', 0644, "x", ""};
  tar.replace(0, 512, VisorHeader(f, 100));
  auto e = ListTar(tar);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("before the end of its header"), std::string::npos)
      << e.error().message;
}

}  // namespace
}  // namespace bnfc::vib
