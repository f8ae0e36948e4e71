// CURVE long-term key pairs: generation, Z85 key files, fingerprints, the published test keys.
#pragma once

#include <string>

#include "bnfc/expected.h"

namespace bnfc::keys {

struct KeyPair {
  std::string public_z85;  // 40 characters
  std::string secret_z85;  // 40 characters; never logged
};

Expected<KeyPair> Generate();

// Checks a Z85 key: 40 characters that decode to 32 bytes, and not one of the keys published in
// libzmq's documentation for test cases (anyone can impersonate those).
Status ValidateKey(const std::string& z85, const std::string& what);
bool IsPublishedTestKey(const std::string& z85);

// Secret file mode 0600, public file 0644, both written atomically; one Z85 line each.
Status Save(const KeyPair& pair, const std::string& secret_path, const std::string& public_path);
// Refuses a secret file readable or writable by group or others, a public key that does not match
// the secret key, and published test keys.
Expected<KeyPair> Load(const std::string& secret_path, const std::string& public_path);
Expected<std::string> LoadPublic(const std::string& public_path);

// "SHA256:" + unpadded base64 of SHA-256 over the 32 raw key bytes (the OpenSSH style).
std::string Fingerprint(const std::string& public_z85);

}  // namespace bnfc::keys
