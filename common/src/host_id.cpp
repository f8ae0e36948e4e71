#include "bnfc/host_id.h"

#include <string>

#include "bnfc/text.h"

namespace bnfc {
namespace {

bool IsAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr const char* kGrammar =
    "a host id is 1 to 253 characters A-Z a-z 0-9 . - _ and starts with a letter or digit";

}  // namespace

Status ValidateHostId(std::string_view id) {
  auto invalid = [&](const std::string& why) -> Status {
    return Unexpected(ErrorCode::kInvalidArgument, "host id " + text::QuoteUntrusted(id, 64) + " " +
                                                       why + " (" + kGrammar + ")");
  };
  if (id.empty()) {
    return invalid("is empty");
  }
  if (id.size() > kMaxHostIdBytes) {
    return invalid("is " + std::to_string(id.size()) + " bytes long");
  }
  if (!IsAlnum(static_cast<unsigned char>(id.front()))) {
    return invalid("does not start with a letter or digit");
  }
  for (size_t i = 0; i < id.size(); ++i) {
    auto c = static_cast<unsigned char>(id[i]);
    if (!IsAlnum(c) && c != '.' && c != '-' && c != '_') {
      return invalid("has " + text::QuoteUntrusted(id.substr(i, 1), 1) + " at byte " +
                     std::to_string(i));
    }
  }
  return OkStatus();
}

}  // namespace bnfc
