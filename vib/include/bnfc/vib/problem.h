// A problem found in a VIB or offline bundle: a stable code, where it is, and one sentence.
#pragma once

#include <string>
#include <vector>

namespace bnfc::vib {

enum class Severity { kError, kWarning };

struct Problem {
  Severity severity = Severity::kError;
  std::string code;    // stable, e.g. "PAYLOAD_SHA256_MISMATCH" (docs/vib.md lists them all)
  std::string where;   // "member sig.pkcs7", "descriptor.xml line 12", "payload bnfcagt"
  std::string detail;  // what is wrong, what was expected
};

using Problems = std::vector<Problem>;

inline void AddError(Problems* p, std::string code, std::string where, std::string detail) {
  p->push_back({Severity::kError, std::move(code), std::move(where), std::move(detail)});
}
inline void AddWarning(Problems* p, std::string code, std::string where, std::string detail) {
  p->push_back({Severity::kWarning, std::move(code), std::move(where), std::move(detail)});
}
bool HasErrors(const Problems& problems);
const char* SeverityName(Severity s);

}  // namespace bnfc::vib
