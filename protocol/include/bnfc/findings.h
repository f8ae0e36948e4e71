// The finding codes of both agents, generated from protocol/findings.def (one row per code: code,
// severity, which side emits it, how the verdict engine treats it from a host, one-line meaning).
// Code that names a finding uses findings::Code or codes::k<Id>, so a code missing from the table
// does not compile. Codes arrive on the wire as strings; Find() maps them back, and a string it
// does not know (an older or newer agent) is the caller's to handle (the verdict: UNKNOWN).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace bnfc::findings {

// How severe a finding is on its own, ascending (the verdict engine maps each to a verdict).
enum class Severity : uint8_t { kAdvisory, kDegraded, kUnknown, kUnreachable, kNotIsolated };
enum class Side : uint8_t { kHost, kProxy, kBoth, kVsphere };
// What the verdict engine does with a problem of this code reported by the host (see the .def).
enum class HostUse : uint8_t { kListed, kPerProxy, kTagCheck, kNotHost };

enum class Code : uint16_t {
#define BNFC_FINDING(id, code, severity, side, host_use, meaning) k##id,
#include "findings.def"
#undef BNFC_FINDING
};

struct Info {
  Code code;
  std::string_view name;  // the wire string; a prefix when it ends in '_'
  Severity severity;
  Side side;
  HostUse host_use;
  std::string_view meaning;
};

inline constexpr Info kTable[] = {
#define BNFC_FINDING(id, code, severity, side, host_use, meaning) \
  {Code::k##id, code, Severity::k##severity, Side::k##side, HostUse::k##host_use, meaning},
#include "findings.def"
#undef BNFC_FINDING
};
inline constexpr size_t kCount = sizeof(kTable) / sizeof(kTable[0]);

// Row i describes Code(i): Get() is an index, never a search.
constexpr bool RowsInEnumOrder() {
  for (size_t i = 0; i < kCount; ++i) {
    if (static_cast<size_t>(kTable[i].code) != i) {
      return false;
    }
  }
  return true;
}
static_assert(RowsInEnumOrder(), "findings.def rows and findings::Code disagree");

constexpr const Info& Get(Code c) {
  return kTable[static_cast<size_t>(c)];
}
constexpr const char* Name(Code c) {
  return Get(c).name.data();
}
constexpr Severity SeverityOf(Code c) {
  return Get(c).severity;
}
constexpr bool IsPrefix(Code c) {
  return !Get(c).name.empty() && Get(c).name.back() == '_';
}
constexpr bool EmittedByHost(Code c) {
  return Get(c).side == Side::kHost || Get(c).side == Side::kBoth;
}

// The row a wire string belongs to: an exact code, or a prefix code followed by at least one
// capital letter, digit or '_' (SUBNET_SHARED_WITH_VMK0). nullopt for anything else.
std::optional<Code> Find(std::string_view text);

const char* SeverityName(Severity s);  // "NOT_ISOLATED", ..., "ADVISORY"
const char* SideName(Side s);          // "host", "proxy", "both", "vsphere"
const char* HostUseName(HostUse u);    // "listed", "per_proxy", "tag_check", "not_host"

}  // namespace bnfc::findings

// The codes as strings for code that stores them (Finding::code, HostReport.problems.code).
namespace bnfc::codes {
#define BNFC_FINDING(id, code, severity, side, host_use, meaning) \
  inline constexpr const char* k##id = code;
#include "findings.def"
#undef BNFC_FINDING
}  // namespace bnfc::codes
