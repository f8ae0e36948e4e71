#include "bnfc/vib/digest.h"

#include <openssl/evp.h>

namespace bnfc::vib {

namespace {

std::string Hex(const unsigned char* p, unsigned n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

std::string Digest(std::string_view data, const EVP_MD* md) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (EVP_Digest(data.data(), data.size(), buf, &n, md, nullptr) != 1) {
    return {};
  }
  return Hex(buf, n);
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  return Digest(data, EVP_sha256());
}

std::string Sha1Hex(std::string_view data) {
  return Digest(data, EVP_sha1());
}

}  // namespace bnfc::vib
