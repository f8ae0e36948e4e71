#include "bnfc/vib/payload.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>

#include "bnfc/vib/digest.h"

namespace bnfc::vib {

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

std::string ArchiveError(struct archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

uint32_t Crc32Update(uint32_t crc, std::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      }
      t[i] = c;
    }
    return t;
  }();
  crc ^= 0xffffffffu;
  for (unsigned char b : data) {
    crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
  }
  return crc ^ 0xffffffffu;
}

uint32_t Le32(std::string_view p) {
  return static_cast<uint32_t>(static_cast<unsigned char>(p[0])) |
         static_cast<uint32_t>(static_cast<unsigned char>(p[1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(p[2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(p[3])) << 24;
}

// Octal numeric field of a tar header ("0000644\0", leading spaces allowed); nullopt if invalid.
std::optional<uint64_t> Octal(std::string_view field) {
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') {
    ++i;
  }
  uint64_t v = 0;
  size_t digits = 0;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i, ++digits) {
    if (v >> 60) {
      return std::nullopt;
    }
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
  }
  for (; i < field.size(); ++i) {
    if (field[i] != '\0' && field[i] != ' ') {
      return std::nullopt;
    }
  }
  if (digits == 0) {
    return std::nullopt;
  }
  return v;
}

std::string CString(std::string_view field) {
  size_t n = field.find('\0');
  return std::string(field.substr(0, n == std::string_view::npos ? field.size() : n));
}

std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

constexpr uint64_t kBlock = 512;

uint64_t RoundUp(uint64_t n) {
  return (n + kBlock - 1) / kBlock * kBlock;
}

// Reads a visor tar as it streams past, keeping only the entries: VIB Author writes all headers
// first and each file's data later (offset at header byte 0x1F0); other writers (hwmond) put the
// data after its header and leave that offset 0. Both are read entry by entry.
class VisorLister {
 public:
  void Feed(std::string_view chunk) {
    while (!chunk.empty() && error_.empty() && !done_) {
      if (pos_ < next_header_) {
        uint64_t skip = std::min<uint64_t>(next_header_ - pos_, chunk.size());
        pos_ += skip;
        chunk.remove_prefix(static_cast<size_t>(skip));
        continue;
      }
      size_t take = std::min(chunk.size(), static_cast<size_t>(kBlock - block_.size()));
      block_.append(chunk.data(), take);
      pos_ += take;
      chunk.remove_prefix(take);
      if (block_.size() == kBlock) {
        ParseHeader();
        block_.clear();
      }
    }
    pos_ += chunk.size();
  }

  Expected<std::vector<TarEntry>> Finish(uint64_t total) {
    if (!error_.empty()) {
      return Unexpected(ErrorCode::kParse, "visor tar: " + error_);
    }
    if (!done_) {
      std::string after = entries_.empty() ? "" : " after '" + entries_.back().path + "'";
      if (!block_.empty() || total < next_header_) {
        return Unexpected(ErrorCode::kParse, "visor tar: truncated" + after + " (" +
                                                 std::to_string(total) + " bytes)");
      }
      return Unexpected(ErrorCode::kParse, "visor tar: no end-of-archive block" + after + " (" +
                                               std::to_string(entries_.size()) + " entries)");
    }
    for (const TarEntry& e : entries_) {
      if (e.kind == 'f' && e.data_offset + e.size > total) {
        return Unexpected(ErrorCode::kParse, "visor tar: the data of '" + e.path + "' (" +
                                                 std::to_string(e.size) + " bytes at offset " +
                                                 std::to_string(e.data_offset) +
                                                 ") lies beyond the end of the " +
                                                 std::to_string(total) + "-byte stream");
      }
    }
    return std::move(entries_);
  }

 private:
  void ParseHeader() {
    const uint64_t at = next_header_;
    std::string_view h(block_);
    if (h.find_first_not_of('\0') == std::string_view::npos) {
      done_ = true;  // end of the headers; VIB Author follows it with the file data
      return;
    }
    const std::string here = "header at byte " + std::to_string(at);
    if (h.substr(257, 8) != std::string_view("visor  \0", 8)) {
      error_ = here + " has no visor magic";
      return;
    }
    unsigned sum = 0;
    for (size_t i = 0; i < kBlock; ++i) {
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    }
    auto chk = Octal(h.substr(148, 8));
    if (!chk || *chk != sum) {
      error_ = here + ": header checksum " + (chk ? std::to_string(*chk) : "unreadable") +
               ", computed " + std::to_string(sum);
      return;
    }
    if (entries_.size() >= kMaxTarEntries) {
      error_ = "more than " + std::to_string(kMaxTarEntries) + " entries; refusing";
      return;
    }
    TarEntry e;
    std::string prefix = CString(h.substr(345, 151));  // 0x1F0.. holds the offsets, not prefix
    e.path = CString(h.substr(0, 100));
    if (!prefix.empty()) {
      e.path = prefix + "/" + e.path;
    }
    auto mode = Octal(h.substr(100, 8));
    auto uid = Octal(h.substr(108, 8));
    auto gid = Octal(h.substr(116, 8));
    auto size = Octal(h.substr(124, 12));
    if (!mode || !uid || !gid || !size) {
      error_ = here + " ('" + Printable(e.path) + "'): a numeric field is not octal";
      return;
    }
    e.mode = static_cast<unsigned>(*mode & 07777);
    e.uid = static_cast<long long>(*uid);
    e.gid = static_cast<long long>(*gid);
    e.uname = CString(h.substr(265, 32));
    e.gname = CString(h.substr(297, 32));
    switch (h[156]) {
      case '0':
      case '\0':
      case '7':
        e.kind = 'f';
        break;
      case '1':
        e.kind = 'h';
        break;
      case '2':
        e.kind = 'l';
        break;
      case '3':
        e.kind = 'c';
        break;
      case '4':
        e.kind = 'b';
        break;
      case '5':
        e.kind = 'd';
        break;
      case '6':
        e.kind = 'p';
        break;
      default:
        e.kind = 'o';
    }
    if (e.kind == 'h' || e.kind == 'l') {
      e.link = CString(h.substr(157, 100));
    }
    next_header_ = at + kBlock;
    if (e.kind == 'f') {
      e.size = *size;
      uint64_t offset = Le32(h.substr(0x1F0, 4));
      if (offset != 0) {
        if (offset < at + kBlock) {
          error_ = here + " ('" + Printable(e.path) + "'): data offset " + std::to_string(offset) +
                   " points before the end of its header";
          return;
        }
        e.data_offset = offset;
      } else {
        e.data_offset = at + kBlock;
        next_header_ += RoundUp(e.size);
      }
    }
    entries_.push_back(std::move(e));
  }

  uint64_t pos_ = 0;          // stream bytes seen
  uint64_t next_header_ = 0;  // where the next header starts
  std::string block_;         // bytes of that header gathered so far
  bool done_ = false;         // end-of-archive block seen
  std::string error_;
  std::vector<TarEntry> entries_;
};

// GNU/ustar tars through libarchive, raw or gzip'd; the data is skipped, never kept.
Expected<std::vector<TarEntry>> ListWithLibarchive(std::string_view bytes, bool gzip) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  if (gzip) {
    archive_read_support_filter_gzip(a.get());
  }
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return Unexpected(ErrorCode::kParse, "tar: " + ArchiveError(a.get()));
  }
  std::vector<TarEntry> out;
  for (;;) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) {
      break;
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return Unexpected(ErrorCode::kParse, "tar: " + ArchiveError(a.get()) + " after " +
                                               std::to_string(out.size()) + " entries");
    }
    if (out.size() >= kMaxTarEntries) {
      return Unexpected(ErrorCode::kParse,
                        "tar: more than " + std::to_string(kMaxTarEntries) + " entries; refusing");
    }
    TarEntry t;
    const char* p = archive_entry_pathname(e);
    t.path = p ? p : "";
    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
        t.kind = archive_entry_hardlink(e) ? 'h' : 'f';
        break;
      case AE_IFDIR:
        t.kind = 'd';
        break;
      case AE_IFLNK:
        t.kind = 'l';
        break;
      case AE_IFCHR:
        t.kind = 'c';
        break;
      case AE_IFBLK:
        t.kind = 'b';
        break;
      case AE_IFIFO:
        t.kind = 'p';
        break;
      case AE_IFSOCK:
        t.kind = 's';
        break;
      default:
        // libarchive reports a hard link with no file type of its own as 0
        t.kind = archive_entry_hardlink(e) ? 'h' : 'o';
    }
    if (const char* l = archive_entry_hardlink(e)) {
      t.link = l;
    } else if (const char* s = archive_entry_symlink(e)) {
      t.link = s;
    }
    t.mode = static_cast<unsigned>(archive_entry_perm(e)) | (archive_entry_mode(e) & 07000);
    t.size = static_cast<uint64_t>(archive_entry_size(e));
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    if (const char* u = archive_entry_uname(e)) {
      t.uname = u;
    }
    if (const char* g = archive_entry_gname(e)) {
      t.gname = g;
    }
    // Reading the data checks that the archive really holds it (a truncated tar fails here).
    if (archive_read_data_skip(a.get()) != ARCHIVE_OK) {
      return Unexpected(ErrorCode::kParse,
                        "tar: " + ArchiveError(a.get()) + " in the data of '" + t.path + "'");
    }
    out.push_back(std::move(t));
  }
  return out;
}

// Lexical path components; false when the path climbs above where it starts.
bool Walk(std::vector<std::string>* stack, const std::string& path) {
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find_first_of("/\\", i);
    if (j == std::string::npos) {
      j = path.size();
    }
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (stack->empty()) {
        return false;
      }
      stack->pop_back();
    } else if (!part.empty() && part != ".") {
      stack->push_back(part);
    }
    i = j + 1;
  }
  return true;
}

std::string Normal(const std::string& path) {
  std::vector<std::string> parts;
  Walk(&parts, path);
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : "/") + p;
  }
  return out;
}

}  // namespace

bool EscapesRoot(const std::string& path) {
  if (!path.empty() && (path[0] == '/' || path[0] == '\\')) {
    return true;
  }
  if (path.size() >= 2 && path[1] == ':') {
    return true;  // C:\...
  }
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find_first_of("/\\", i);
    if (j == std::string::npos) {
      j = path.size();
    }
    if (path.compare(i, j - i, "..") == 0 && j - i == 2) {
      return true;
    }
    i = j + 1;
  }
  return false;
}

void CheckTreeSafety(const std::vector<TarEntry>& entries, const std::string& where,
                     Problems* problems) {
  std::set<std::string> files;  // regular files seen so far, normalised
  for (const TarEntry& e : entries) {
    const std::string name = "entry '" + Printable(e.path) + "'";
    if (e.path.empty()) {
      AddError(problems, "PAYLOAD_UNSAFE_PATH", where, "an entry has an empty path");
      continue;
    }
    if (EscapesRoot(e.path)) {
      AddError(problems, "PAYLOAD_UNSAFE_PATH", where,
               name + " is absolute or contains '..': it would land outside the payload tree");
      continue;
    }
    switch (e.kind) {
      case 'f':
        files.insert(Normal(e.path));
        break;
      case 'd':
        break;
      case 'l': {
        std::vector<std::string> parts;
        Walk(&parts, e.path);
        if (!parts.empty()) {
          parts.pop_back();  // relative targets start from the link's folder
        }
        if (e.link.empty() || e.link[0] == '/' || !Walk(&parts, e.link)) {
          AddError(problems, "PAYLOAD_UNSAFE_SYMLINK", where,
                   name + " is a symlink to '" + Printable(e.link) +
                       "', which points outside the payload tree");
        }
        break;
      }
      case 'h':
        if (EscapesRoot(e.link) || !files.count(Normal(e.link))) {
          AddError(problems, "PAYLOAD_UNSAFE_HARDLINK", where,
                   name + " is a hard link to '" + Printable(e.link) +
                       "', which is not an earlier regular file of this payload");
        } else {
          files.insert(Normal(e.path));
        }
        break;
      default: {
        const char* what = e.kind == 'c'   ? "a character device"
                           : e.kind == 'b' ? "a block device"
                           : e.kind == 'p' ? "a FIFO"
                           : e.kind == 's' ? "a socket"
                                           : "of an unknown type";
        AddError(problems, "PAYLOAD_SPECIAL_FILE", where,
                 name + " is " + what +
                     "; a payload may hold only regular files, directories and in-tree symlinks");
      }
    }
  }
}

Expected<uint64_t> GunzipStream(std::string_view compressed, uint64_t max_bytes,
                                const std::function<void(std::string_view)>& sink) {
  if (compressed.size() < 2 || static_cast<unsigned char>(compressed[0]) != 0x1f ||
      static_cast<unsigned char>(compressed[1]) != 0x8b) {
    return Unexpected(ErrorCode::kParse, "not gzip data (no 1f 8b magic at the start)");
  }
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_memory(a.get(), compressed.data(), compressed.size()) != ARCHIVE_OK) {
    return Unexpected(ErrorCode::kParse, "gzip: " + ArchiveError(a.get()));
  }
  struct archive_entry* e = nullptr;
  if (archive_read_next_header(a.get(), &e) != ARCHIVE_OK) {
    return Unexpected(ErrorCode::kParse, "gzip: " + ArchiveError(a.get()));
  }
  uint64_t total = 0;
  uint32_t crc = 0;
  char buf[65536];
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
    if (n < 0) {
      return Unexpected(ErrorCode::kParse, "gzip: " + ArchiveError(a.get()) + " after " +
                                               std::to_string(total) + " uncompressed bytes");
    }
    if (n == 0) {
      break;
    }
    if (total + static_cast<uint64_t>(n) > max_bytes) {
      return Unexpected(ErrorCode::kParse, "gzip: more than " + std::to_string(max_bytes) +
                                               " bytes uncompressed; refusing");
    }
    std::string_view chunk(buf, static_cast<size_t>(n));
    crc = Crc32Update(crc, chunk);
    total += chunk.size();
    sink(chunk);
  }
  // libarchive does not check the trailer; a VIB payload is one gzip member, so its last 8 bytes
  // are the CRC-32 and length of the data.
  if (compressed.size() < 18) {
    return Unexpected(ErrorCode::kParse, "gzip: too short for a header and trailer");
  }
  std::string_view trailer = compressed.substr(compressed.size() - 8);
  if (Le32(trailer) != crc || Le32(trailer.substr(4)) != static_cast<uint32_t>(total)) {
    char buf2[128];
    std::snprintf(buf2, sizeof buf2,
                  "gzip: trailer says CRC-32 %08x and %u bytes, the data has %08x and %u",
                  Le32(trailer), Le32(trailer.substr(4)), crc, static_cast<uint32_t>(total));
    return Unexpected(ErrorCode::kParse, buf2);
  }
  return total;
}

Expected<std::string> Gunzip(std::string_view compressed, uint64_t max_bytes) {
  std::string out;
  auto n = GunzipStream(compressed, max_bytes, [&](std::string_view c) { out.append(c); });
  if (!n) {
    return Unexpected(n.error());
  }
  return out;
}

std::string TarMagicName(std::string_view tar) {
  if (tar.size() < 265) {
    return "unknown";
  }
  std::string_view magic = tar.substr(257, 8);
  if (magic == std::string_view("ustar  \0", 8)) {
    return "gnu";
  }
  if (magic == std::string_view("ustar\0"
                                "00",
                                8)) {
    return "ustar";
  }
  if (magic == std::string_view("visor  \0", 8)) {
    return "visor";
  }
  return "unknown";
}

Expected<std::vector<TarEntry>> ListTar(std::string_view tar) {
  if (TarMagicName(tar) == "visor") {
    VisorLister v;
    v.Feed(tar);
    return v.Finish(tar.size());
  }
  return ListWithLibarchive(tar, false);
}

PayloadInfo AnalyzePayload(std::string_view member, uint64_t max_bytes) {
  PayloadInfo info;
  info.size = member.size();
  info.sha256 = Sha256Hex(member);
  StreamDigest sha256(StreamDigest::Kind::kSha256), sha1(StreamDigest::Kind::kSha1);
  std::string head;  // the first header, for the format
  VisorLister visor;
  auto total = GunzipStream(member, max_bytes, [&](std::string_view chunk) {
    sha256.Update(chunk);
    sha1.Update(chunk);
    if (head.size() < kBlock) {
      head.append(chunk.substr(0, kBlock - head.size()));
    }
    visor.Feed(chunk);  // cheap; stops at the first header that is not visor
  });
  if (!total) {
    info.gzip_error = total.error().message;
    return info;
  }
  info.gzip = true;
  info.gunzip_size = *total;
  info.gunzip_sha256 = sha256.HexFinal();
  info.gunzip_sha1 = sha1.HexFinal();
  info.tar_format = TarMagicName(head);
  auto entries =
      info.tar_format == "visor" ? visor.Finish(*total) : ListWithLibarchive(member, true);
  if (!entries) {
    info.tar_error = entries.error().message;
  } else {
    info.entries = std::move(*entries);
  }
  return info;
}

}  // namespace bnfc::vib
