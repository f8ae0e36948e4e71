// Hex digests (OpenSSL libcrypto) as VIB descriptors and depot metadata carry them.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace bnfc::vib {

std::string Sha256Hex(std::string_view data);
std::string Sha1Hex(std::string_view data);

// Incremental digest, for data streamed through in chunks (a payload is never held uncompressed).
class StreamDigest {
 public:
  enum class Kind { kSha256, kSha1 };
  explicit StreamDigest(Kind kind);
  ~StreamDigest();
  StreamDigest(const StreamDigest&) = delete;
  StreamDigest& operator=(const StreamDigest&) = delete;
  void Update(std::string_view data);
  std::string HexFinal();  // once; empty when libcrypto failed

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bnfc::vib
