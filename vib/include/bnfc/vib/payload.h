// VIB payloads: gzip'd tar ("tgz") or gzip'd VMware visor tar ("vgz"), read with libarchive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bnfc/expected.h"

namespace bnfc::vib {

struct TarEntry {
  std::string path;
  char kind = 'f';  // 'f' file, 'd' directory, 'l' symlink, 'h' hard link, 'o' other
  unsigned mode = 0;
  uint64_t size = 0;
  long long uid = 0, gid = 0;
  std::string uname, gname;
  std::string link;
};

struct PayloadInfo {
  uint64_t size = 0;
  std::string sha256;
  bool gzip = false;       // starts with the gzip magic and decompresses completely
  std::string gzip_error;  // why not
  uint64_t gunzip_size = 0;
  std::string gunzip_sha256, gunzip_sha1;
  std::string
      tar_format;         // "gnu" (ustar  \0), "ustar" (ustar\0 00), "visor" (visor  \0), "unknown"
  std::string tar_error;  // empty when the tar listed completely
  std::vector<TarEntry> entries;
};

// Decompressed payloads larger than this are refused (a gzip bomb, not a VIB).
inline constexpr uint64_t kMaxGunzipBytes = 1ull << 30;

Expected<std::string> Gunzip(std::string_view compressed, uint64_t max_bytes = kMaxGunzipBytes);
Expected<std::vector<TarEntry>> ListTar(std::string_view tar);
std::string TarMagicName(std::string_view tar);
PayloadInfo AnalyzePayload(std::string_view member, uint64_t max_bytes = kMaxGunzipBytes);

}  // namespace bnfc::vib
