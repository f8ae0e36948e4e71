// VIB payloads: gzip'd tar ("tgz") or gzip'd VMware visor tar ("vgz"), read with libarchive.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/vib/problem.h"

namespace bnfc::vib {

struct TarEntry {
  std::string path;
  // 'f' file, 'd' directory, 'l' symlink, 'h' hard link, 'c' character device, 'b' block device,
  // 'p' FIFO, 's' socket, 'o' anything else
  char kind = 'f';
  unsigned mode = 0;
  uint64_t size = 0;
  long long uid = 0, gid = 0;
  std::string uname, gname;
  std::string link;
  uint64_t data_offset = 0;  // visor tars: where the data starts in the uncompressed stream
};

struct PayloadInfo {
  uint64_t size = 0;
  std::string sha256;
  bool gzip = false;       // starts with the gzip magic and decompresses completely
  std::string gzip_error;  // why not
  uint64_t gunzip_size = 0;
  std::string gunzip_sha256, gunzip_sha1;
  // "gnu" (ustar  \0), "ustar" (ustar\0 00), "visor" (visor  \0), "unknown"
  std::string tar_format;
  std::string tar_error;  // empty when the tar listed completely
  std::vector<TarEntry> entries;
};

// Decompressed payloads larger than this are refused (a gzip bomb, not a VIB). Payloads are
// streamed (hashed and listed chunk by chunk), so this bounds time, not memory.
inline constexpr uint64_t kMaxGunzipBytes = 1ull << 30;
// More entries than this in one payload are refused (each costs memory in the listing).
inline constexpr size_t kMaxTarEntries = 100000;

Expected<std::string> Gunzip(std::string_view compressed, uint64_t max_bytes = kMaxGunzipBytes);
// Streams the single gzip member `compressed` through `sink` in chunks, checks the trailer
// (CRC-32 and length) and returns the uncompressed length.
Expected<uint64_t> GunzipStream(std::string_view compressed, uint64_t max_bytes,
                                const std::function<void(std::string_view)>& sink);

// Lists an uncompressed tar: GNU/ustar through libarchive, VMware visor tars (vmtar: 512-byte
// headers with the data of each file at the little-endian u32 offset at header byte 0x1F0, or
// following its header when that offset is 0) by our own reader.
Expected<std::vector<TarEntry>> ListTar(std::string_view tar);
std::string TarMagicName(std::string_view tar);
PayloadInfo AnalyzePayload(std::string_view member, uint64_t max_bytes = kMaxGunzipBytes);

// Names every entry that would not stay a plain file tree under the payload root: absolute or
// `..` paths, symlinks whose target is absolute or leaves the tree, hard links to anything but an
// earlier regular file of the same payload, devices, FIFOs, sockets and unknown types.
void CheckTreeSafety(const std::vector<TarEntry>& entries, const std::string& where,
                     Problems* problems);
// True when a path inside an archive is absolute or climbs out with `..` ('\\' counts as '/').
bool EscapesRoot(const std::string& path);

}  // namespace bnfc::vib
