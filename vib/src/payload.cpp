#include "bnfc/vib/payload.h"

#include <archive.h>
#include <archive_entry.h>

#include <array>
#include <cstdio>
#include <memory>

#include "bnfc/vib/digest.h"

namespace bnfc::vib {

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

std::string ArchiveError(struct archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

uint32_t Crc32(std::string_view data) {
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
  uint32_t crc = 0xffffffffu;
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

}  // namespace

Expected<std::string> Gunzip(std::string_view compressed, uint64_t max_bytes) {
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
  std::string out;
  char buf[65536];
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
    if (n < 0) {
      return Unexpected(ErrorCode::kParse, "gzip: " + ArchiveError(a.get()) + " after " +
                                               std::to_string(out.size()) + " uncompressed bytes");
    }
    if (n == 0) {
      break;
    }
    if (out.size() + static_cast<uint64_t>(n) > max_bytes) {
      return Unexpected(ErrorCode::kParse, "gzip: more than " + std::to_string(max_bytes) +
                                               " bytes uncompressed; refusing");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  // libarchive does not check the trailer; a VIB payload is one gzip member, so its last 8 bytes
  // are the CRC-32 and length of the data.
  if (compressed.size() < 18) {
    return Unexpected(ErrorCode::kParse, "gzip: too short for a header and trailer");
  }
  std::string_view trailer = compressed.substr(compressed.size() - 8);
  uint32_t crc = Crc32(out);
  if (Le32(trailer) != crc || Le32(trailer.substr(4)) != static_cast<uint32_t>(out.size())) {
    char buf2[128];
    std::snprintf(buf2, sizeof buf2,
                  "gzip: trailer says CRC-32 %08x and %u bytes, the data has %08x and %u",
                  Le32(trailer), Le32(trailer.substr(4)), crc, static_cast<uint32_t>(out.size()));
    return Unexpected(ErrorCode::kParse, buf2);
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
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK) {
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
      default:
        t.kind = 'o';
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

PayloadInfo AnalyzePayload(std::string_view member, uint64_t max_bytes) {
  PayloadInfo info;
  info.size = member.size();
  info.sha256 = Sha256Hex(member);
  auto raw = Gunzip(member, max_bytes);
  if (!raw) {
    info.gzip_error = raw.error().message;
    return info;
  }
  info.gzip = true;
  info.gunzip_size = raw->size();
  info.gunzip_sha256 = Sha256Hex(*raw);
  info.gunzip_sha1 = Sha1Hex(*raw);
  info.tar_format = TarMagicName(*raw);
  auto entries = ListTar(*raw);
  if (!entries) {
    info.tar_error = entries.error().message;
  } else {
    info.entries = std::move(*entries);
  }
  return info;
}

}  // namespace bnfc::vib
