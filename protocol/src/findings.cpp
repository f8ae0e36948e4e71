#include "bnfc/findings.h"

namespace bnfc::findings {

std::optional<Code> Find(std::string_view text) {
  for (const Info& row : kTable) {
    if (text == row.name && !IsPrefix(row.code)) {
      return row.code;
    }
  }
  for (const Info& row : kTable) {
    if (!IsPrefix(row.code) || text.size() <= row.name.size() ||
        text.substr(0, row.name.size()) != row.name) {
      continue;
    }
    bool name_ok = true;
    for (char c : text.substr(row.name.size())) {
      name_ok = name_ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    }
    if (name_ok) {
      return row.code;
    }
  }
  return std::nullopt;
}

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kAdvisory:
      return "ADVISORY";
    case Severity::kDegraded:
      return "DEGRADED";
    case Severity::kUnknown:
      return "UNKNOWN";
    case Severity::kUnreachable:
      return "UNREACHABLE";
    case Severity::kNotIsolated:
      return "NOT_ISOLATED";
  }
  return "UNKNOWN";
}

const char* SideName(Side s) {
  switch (s) {
    case Side::kHost:
      return "host";
    case Side::kProxy:
      return "proxy";
    case Side::kBoth:
      return "both";
    case Side::kVsphere:
      return "vsphere";
  }
  return "";
}

const char* HostUseName(HostUse u) {
  switch (u) {
    case HostUse::kListed:
      return "listed";
    case HostUse::kPerProxy:
      return "per_proxy";
    case HostUse::kTagCheck:
      return "tag_check";
    case HostUse::kNotHost:
      return "not_host";
  }
  return "";
}

}  // namespace bnfc::findings
