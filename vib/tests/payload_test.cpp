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
using testing::Members;
using testing::Pack;
using testing::Replace;

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
  // The data at each offset is the file: both scripts start with their author line, the .conf
  // with its first setting, each at its 0x1F0 offset in the uncompressed stream.
  const std::string bytes = Fixture("ghettoVCB-2019.vib");  // the report's views point into it
  VibReport r = InspectVib(bytes);
  ASSERT_TRUE(r.descriptor);
  auto raw = Gunzip(r.members[2].data);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->substr(25600, 21), "# Author: William Lam");
  EXPECT_EQ(raw->substr(7680, 21), "# Author: William Lam");
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

// --- archives that escape their tree, built with libarchive ---

struct Spec {
  std::string path;
  unsigned type = AE_IFREG;
  unsigned perm = 0644;
  std::string data;
  std::string symlink, hardlink;
  uint64_t zeros = 0;  // that many zero bytes of data instead of `data` (bombs)
};

Spec Node(std::string path, unsigned type, unsigned perm = 0644, std::string data = "") {
  Spec s;
  s.path = std::move(path);
  s.type = type;
  s.perm = perm;
  s.data = std::move(data);
  return s;
}
Spec File(std::string path, std::string data) {
  return Node(std::move(path), AE_IFREG, 0644, std::move(data));
}
Spec Symlink(std::string path, std::string target) {
  Spec s = Node(std::move(path), AE_IFLNK, 0777);
  s.symlink = std::move(target);
  return s;
}
Spec Hardlink(std::string path, std::string target) {
  Spec s = Node(std::move(path), AE_IFREG);
  s.hardlink = std::move(target);
  return s;
}
Spec Zeros(std::string path, uint64_t n) {
  Spec s = Node(std::move(path), AE_IFREG);
  s.zeros = n;
  return s;
}

la_ssize_t Append(struct archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// GNU tar (or zip when `zip`), gzip'd when `gzip`; entries in the given order.
std::string Write(const std::vector<Spec>& specs, bool gzip = true, bool zip = false) {
  std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_write_new(),
                                                              archive_write_free);
  if (zip) {
    archive_write_set_format_zip(a.get());
  } else {
    archive_write_set_format_gnutar(a.get());
    if (gzip) {
      archive_write_add_filter_gzip(a.get());
      archive_write_set_filter_option(a.get(), "gzip", "compression-level", "1");  // fast bombs
    }
  }
  archive_write_set_bytes_per_block(a.get(), 0);
  std::string out;
  EXPECT_EQ(archive_write_open(a.get(), &out, nullptr, Append, nullptr), ARCHIVE_OK);
  for (const Spec& s : specs) {
    std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> e(archive_entry_new(),
                                                                             archive_entry_free);
    archive_entry_set_pathname(e.get(), s.path.c_str());
    archive_entry_set_filetype(e.get(), s.type);
    archive_entry_set_perm(e.get(), s.perm);
    if (!s.symlink.empty()) {
      archive_entry_set_symlink(e.get(), s.symlink.c_str());
    }
    if (!s.hardlink.empty()) {
      archive_entry_set_hardlink(e.get(), s.hardlink.c_str());
    }
    uint64_t size =
        s.type == AE_IFREG && s.hardlink.empty() ? (s.zeros ? s.zeros : s.data.size()) : 0;
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    EXPECT_EQ(archive_write_header(a.get(), e.get()), ARCHIVE_OK) << archive_error_string(a.get());
    if (s.zeros) {
      std::string chunk(1 << 20, '\0');
      for (uint64_t left = s.zeros; left > 0;) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
        EXPECT_EQ(archive_write_data(a.get(), chunk.data(), n), static_cast<la_ssize_t>(n));
        left -= n;
      }
    } else if (size) {
      archive_write_data(a.get(), s.data.data(), s.data.size());
    }
  }
  EXPECT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
  return out;
}

// The nsx fixture with its payload replaced and the descriptor's size and checksums made right,
// so the only problems left are the ones the new payload brings (and its file-list).
std::string NsxWithPayload(const std::string& tgz) {
  auto members = Members(Fixture("esxcli-nsx-ext.vib"));
  PayloadInfo old = AnalyzePayload(members[2].data);
  PayloadInfo now = AnalyzePayload(tgz);
  std::string& d = members[0].data;
  d = Replace(d, "size=\"" + std::to_string(old.size) + "\"",
              "size=\"" + std::to_string(tgz.size()) + "\"");
  d = Replace(d, old.sha256, now.sha256);
  d = Replace(d, old.gunzip_sha256, now.gunzip_sha256);
  d = Replace(d, old.gunzip_sha1, now.gunzip_sha1);
  members[2].data = tgz;
  return Pack(members);
}

// Problems whose detail names `entry`, with `code`.
bool Names(const Problems& ps, const std::string& code, const std::string& entry) {
  for (const auto& p : ps) {
    if (p.code == code && p.severity == Severity::kError &&
        p.detail.find("'" + entry + "'") != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(Escape, EveryEscapingOrSpecialEntryIsRefusedByName) {
  std::string tgz = Write({
      Node("opt/", AE_IFDIR, 0755),
      File("opt/ok", "fine"),
      Symlink("opt/root", "/"),
      Symlink("opt/up", "../../etc"),
      Hardlink("opt/shadow", "/etc/shadow"),
      Node("opt/tty", AE_IFCHR, 0600),
      Node("opt/disk", AE_IFBLK, 0600),
      Node("opt/fifo", AE_IFIFO, 0600),
      File("../../tmp/x", "x"),
      File("/etc/x", "x"),
      File("opt/a/../../../y", "y"),
  });
  VibReport r = InspectVib(NsxWithPayload(tgz));
  const Problems& p = r.problems;
  EXPECT_TRUE(Names(p, "PAYLOAD_UNSAFE_SYMLINK", "opt/root")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_UNSAFE_SYMLINK", "opt/up")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_UNSAFE_HARDLINK", "opt/shadow")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_SPECIAL_FILE", "opt/tty")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_SPECIAL_FILE", "opt/disk")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_SPECIAL_FILE", "opt/fifo")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_UNSAFE_PATH", "../../tmp/x")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_UNSAFE_PATH", "/etc/x")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_UNSAFE_PATH", "opt/a/../../../y")) << Describe(p);
  for (const auto& q : p) {  // the harmless entries are not blamed (the file-list is stale)
    if (q.code != "FILE_LIST_MISMATCH") {
      EXPECT_EQ(q.detail.find("'opt/ok'"), std::string::npos) << Describe(p);
      EXPECT_EQ(q.detail.find("'opt/'"), std::string::npos) << Describe(p);
    }
  }
}

TEST(Escape, InTreeLinksAndPlainTreesPass) {
  std::vector<TarEntry> entries = {
      {"opt/", 'd', 0755, 0, 0, 0, "", "", "", 0},
      {"opt/bin/", 'd', 0755, 0, 0, 0, "", "", "", 0},
      {"opt/bin/tool", 'f', 0755, 4, 0, 0, "", "", "", 0},
      {"opt/bin/alias", 'l', 0777, 0, 0, 0, "", "", "tool", 0},
      {"opt/lib", 'l', 0777, 0, 0, 0, "", "", "bin/../bin", 0},
      {"etc/x", 'l', 0777, 0, 0, 0, "", "", "../opt/bin/tool", 0},
      {"opt/bin/same", 'h', 0755, 0, 0, 0, "", "", "opt/bin/tool", 0},
  };
  Problems p;
  CheckTreeSafety(entries, "payload t", &p);
  EXPECT_TRUE(p.empty()) << Describe(p);
  // One level more and the same links leave the tree.
  entries.push_back({"etc/y", 'l', 0777, 0, 0, 0, "", "", "../../opt", 0});
  entries.push_back({"opt/h2", 'h', 0644, 0, 0, 0, "", "", "opt/bin/later", 0});
  entries.push_back({"opt/bin/later", 'f', 0644, 1, 0, 0, "", "", "", 0});
  CheckTreeSafety(entries, "payload t", &p);
  EXPECT_TRUE(Names(p, "PAYLOAD_UNSAFE_SYMLINK", "etc/y")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_UNSAFE_HARDLINK", "opt/h2")) << Describe(p);  // not earlier
  EXPECT_EQ(p.size(), 2u) << Describe(p);
}

TEST(Escape, VisorTarsAreCheckedTheSameWay) {
  std::string tar = VisorTar({{"opt/", '5', 0755, "", ""},
                              {"opt/l", '2', 0777, "", "/bin/sh"},
                              {"opt/p", '6', 0644, "", ""}},
                             true);
  auto e = ListTar(tar);
  ASSERT_TRUE(e.ok()) << e.error().message;
  Problems p;
  CheckTreeSafety(*e, "payload v", &p);
  EXPECT_TRUE(Names(p, "PAYLOAD_UNSAFE_SYMLINK", "opt/l")) << Describe(p);
  EXPECT_TRUE(Names(p, "PAYLOAD_SPECIAL_FILE", "opt/p")) << Describe(p);
}

TEST(Escape, BundleZipEntriesOutsideTheDepotAreRefusedByName) {
  std::string zip = Write({File("index.xml", "<vendorList/>"), File("../../../../tmp/x", "x"),
                           File("/etc/x", "x"), Symlink("vib20/link", "/etc")},
                          false, true);
  BundleReport r = InspectBundle(zip);
  EXPECT_TRUE(Names(r.problems, "BUNDLE_UNSAFE_PATH", "../../../../tmp/x")) << Describe(r.problems);
  EXPECT_TRUE(Names(r.problems, "BUNDLE_UNSAFE_PATH", "/etc/x")) << Describe(r.problems);
  EXPECT_TRUE(Names(r.problems, "BUNDLE_SPECIAL_ENTRY", "vib20/link")) << Describe(r.problems);
}

TEST(Escape, EscapesRootSeesEveryForm) {
  for (const char* bad :
       {"/x", "..", "../x", "a/../../x", "a/..", "\\x", "a\\..\\..\\x", "C:x", "a/b/../c"}) {
    EXPECT_TRUE(EscapesRoot(bad)) << bad;
  }
  for (const char* good : {"x", "a/b", "a/..b", "..a/b", "a/./b"}) {
    EXPECT_FALSE(EscapesRoot(good)) << good;
  }
}

// --- bombs: a small input never makes the reader hold its expansion ---

// Peak resident memory (KiB) of a child that runs `f`, or -1.
template <typename F>
long ChildPeakKiB(F f) {
  pid_t pid = fork();
  if (pid == 0) {
    f();
    _exit(0);
  }
  int status = 0;
  struct rusage ru {};
  if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    return -1;
  }
  return ru.ru_maxrss;
}

TEST(Bomb, GzipPayloadIsStreamedNotHeld) {
  constexpr uint64_t kExpanded = 128ull << 20;
  std::string tgz = Write({Zeros("opt/zeros", kExpanded)});
  ASSERT_LT(tgz.size(), 1u << 20);  // under 1 MB in, 128 MiB out
  std::string vib = NsxWithPayload(tgz);
  long peak = ChildPeakKiB([&] {
    VibReport r = InspectVib(vib);
    bool listed = r.payloads.size() == 1 && r.payloads[0].info.gunzip_size > kExpanded &&
                  r.payloads[0].info.entries.size() == 1 &&
                  r.payloads[0].info.entries[0].size == kExpanded;
    if (!listed) {
      _exit(3);
    }
  });
  ASSERT_GT(peak, 0) << "the child failed to read the payload";
  // Holding the expansion would need 128 MiB; streaming needs a few.
  EXPECT_LT(peak, 64 * 1024) << "peak RSS " << peak << " KiB for a " << tgz.size()
                             << "-byte payload that expands to 128 MiB";
  std::printf("peak RSS %ld KiB for a %zu-byte payload expanding to 128 MiB\n", peak, tgz.size());
}

TEST(Bomb, GzipBeyondTheLimitIsRefused) {
  std::string tgz = Write({Zeros("opt/zeros", 4u << 20)});
  PayloadInfo info = AnalyzePayload(tgz, 1u << 20);
  EXPECT_FALSE(info.gzip);
  EXPECT_NE(info.gzip_error.find("refusing"), std::string::npos) << info.gzip_error;
}

TEST(Bomb, ZipThatWouldInflatePastItsBudgetIsRefusedUpFront) {
  std::string zip = Write({Zeros("index.xml", 128ull << 20)}, false, true);
  ASSERT_LT(zip.size(), 1u << 20);
  long peak = ChildPeakKiB([&] {
    BundleReport r = InspectBundle(zip);
    if (!HasCode(r.problems, "BUNDLE_ZIP_INVALID") ||
        r.problems[0].detail.find("refusing") == std::string::npos) {
      _exit(3);
    }
  });
  ASSERT_GT(peak, 0) << "the bomb was not refused";
  EXPECT_LT(peak, 64 * 1024) << "peak RSS " << peak << " KiB";
  std::printf("peak RSS %ld KiB refusing a %zu-byte zip declaring 128 MiB\n", peak, zip.size());
  EXPECT_EQ(ZipBudget(zip.size(), kMaxGunzipBytes), kZipBudgetBase + kZipBudgetRatio * zip.size());
}

}  // namespace
}  // namespace bnfc::vib
