#include "bnfc/keys.h"

#include <sodium.h>
#include <sys/stat.h>
#include <zmq.h>

#include <array>
#include <cstring>

#include "bnfc/fs.h"

namespace bnfc::keys {
namespace {

constexpr size_t kZ85KeyLength = 40;

// The key pairs libzmq's zmq_curve(7) page publishes "for test cases".
constexpr const char* kPublishedTestKeys[] = {
    "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",  // client public
    "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",  // client secret
    "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",  // server public
    "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",  // server secret
};

bool DecodeKey(const std::string& z85, std::array<uint8_t, 32>* out) {
  if (z85.size() != kZ85KeyLength) {
    return false;
  }
  return zmq_z85_decode(out->data(), z85.c_str()) != nullptr;
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return line;
}

}  // namespace

bool IsPublishedTestKey(const std::string& z85) {
  for (const char* key : kPublishedTestKeys) {
    if (z85 == key) {
      return true;
    }
  }
  return false;
}

Status ValidateKey(const std::string& z85, const std::string& what) {
  std::array<uint8_t, 32> raw{};
  if (!DecodeKey(z85, &raw)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      what + " is not a CURVE key: expected 40 Z85 characters, got " +
                          std::to_string(z85.size()) + " characters that do not decode");
  }
  if (IsPublishedTestKey(z85)) {
    return Unexpected(ErrorCode::kPermission,
                      what +
                          " is one of the test keys published in the libzmq documentation; "
                          "generate a fresh key pair");
  }
  return OkStatus();
}

Expected<KeyPair> Generate() {
  char public_z85[kZ85KeyLength + 1] = {};
  char secret_z85[kZ85KeyLength + 1] = {};
  if (zmq_curve_keypair(public_z85, secret_z85) != 0) {
    return Unexpected(ErrorCode::kInternal, std::string("zmq_curve_keypair failed: ") +
                                                zmq_strerror(zmq_errno()) +
                                                " (libzmq built without CURVE?)");
  }
  return KeyPair{public_z85, secret_z85};
}

Status Save(const KeyPair& pair, const std::string& secret_path, const std::string& public_path) {
  if (auto s = ValidateKey(pair.public_z85, "public key"); !s) {
    return s;
  }
  if (auto s = ValidateKey(pair.secret_z85, "secret key"); !s) {
    return s;
  }
  if (auto s = fs::WriteFileAtomic(secret_path, pair.secret_z85 + "\n", 0600); !s) {
    return s;
  }
  return fs::WriteFileAtomic(public_path, pair.public_z85 + "\n", 0644);
}

Expected<std::string> LoadPublic(const std::string& public_path) {
  auto text = fs::ReadFile(public_path, 4096);
  if (!text) {
    return text.error();
  }
  std::string key = FirstLine(*text);
  if (auto s = ValidateKey(key, "public key in " + public_path); !s) {
    return s.error();
  }
  return key;
}

Expected<KeyPair> Load(const std::string& secret_path, const std::string& public_path) {
  struct stat st {};
  if (::stat(secret_path.c_str(), &st) != 0) {
    return Unexpected(ErrorCode::kNotFound, "secret key file " + secret_path +
                                                " cannot be read: " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Unexpected(ErrorCode::kPermission,
                      "secret key file " + secret_path + " has mode " + mode +
                          "; it must not be accessible by group or others (chmod 600 it)");
  }
  auto secret_text = fs::ReadFile(secret_path, 4096);
  if (!secret_text) {
    return secret_text.error();
  }
  std::string secret = FirstLine(*secret_text);
  if (auto s = ValidateKey(secret, "secret key in " + secret_path); !s) {
    return s.error();
  }
  auto public_key = LoadPublic(public_path);
  if (!public_key) {
    return public_key.error();
  }
  char derived[kZ85KeyLength + 1] = {};
  if (zmq_curve_public(derived, secret.c_str()) != 0 || *public_key != derived) {
    return Unexpected(
        ErrorCode::kConflict,
        "public key in " + public_path + " does not belong to the secret key in " + secret_path);
  }
  return KeyPair{*public_key, secret};
}

std::string Fingerprint(const std::string& public_z85) {
  std::array<uint8_t, 32> raw{};
  if (!DecodeKey(public_z85, &raw)) {
    return "SHA256:(invalid key)";
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, raw.data(), raw.size());
  char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
                                     sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, digest, sizeof digest,
                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  return std::string("SHA256:") + b64;
}

}  // namespace bnfc::keys
