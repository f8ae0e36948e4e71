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

struct StreamDigest::Impl {
  EVP_MD_CTX* ctx = nullptr;
  bool ok = false;
};

StreamDigest::StreamDigest(Kind kind) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  impl_->ok = impl_->ctx != nullptr &&
              EVP_DigestInit_ex(impl_->ctx, kind == Kind::kSha256 ? EVP_sha256() : EVP_sha1(),
                                nullptr) == 1;
}

StreamDigest::~StreamDigest() {
  EVP_MD_CTX_free(impl_->ctx);
}

void StreamDigest::Update(std::string_view data) {
  impl_->ok = impl_->ok && EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1;
}

std::string StreamDigest::HexFinal() {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (!impl_->ok || EVP_DigestFinal_ex(impl_->ctx, buf, &n) != 1) {
    return {};
  }
  impl_->ok = false;
  return Hex(buf, n);
}

}  // namespace bnfc::vib
