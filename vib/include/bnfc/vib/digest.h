// Hex digests (OpenSSL libcrypto) as VIB descriptors and depot metadata carry them.
#pragma once

#include <string>
#include <string_view>

namespace bnfc::vib {

std::string Sha256Hex(std::string_view data);
std::string Sha1Hex(std::string_view data);

}  // namespace bnfc::vib
