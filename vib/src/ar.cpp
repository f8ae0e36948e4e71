#include "bnfc/vib/ar.h"
#include "bnfc/text.h"

#include <cstdio>

namespace bnfc::vib {

bool HasErrors(const Problems& problems) {
  for (const auto& p : problems) {
    if (p.severity == Severity::kError) {
      return true;
    }
  }
  return false;
}

const char* SeverityName(Severity s) {
  return s == Severity::kError ? "error" : "warning";
}

namespace {

constexpr size_t kHeader = 60;

std::string Field(std::string_view header, size_t off, size_t len) {
  std::string f(header.substr(off, len));
  while (!f.empty() && f.back() == ' ') {
    f.pop_back();
  }
  return f;
}

bool AllDigits(const std::string& s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

ArParse ParseAr(std::string_view bytes) {
  ArParse out;
  if (bytes.substr(0, kArMagic.size()) != kArMagic) {
    AddError(&out.problems, "AR_BAD_MAGIC", "offset 0",
             "the file does not start with the ar magic \"!<arch>\\n\" (got \"" +
                 text::EscapeNonPrintable(bytes.substr(0, kArMagic.size())) + "\")");
    return out;
  }
  size_t pos = kArMagic.size();
  while (pos < bytes.size()) {
    // A lone '\n' at the very end is padding some writers leave.
    if (bytes.size() - pos < kHeader) {
      AddError(&out.problems, "AR_TRUNCATED", "offset " + std::to_string(pos),
               "the archive ends inside a member header (" + std::to_string(bytes.size() - pos) +
                   " of 60 bytes present)");
      return out;
    }
    std::string_view h = bytes.substr(pos, kHeader);
    std::string where = "header at offset " + std::to_string(pos);
    if (h.substr(58, 2) != "`\n") {
      AddError(&out.problems, "AR_BAD_HEADER", where,
               "member header does not end with \"`\\n\" (got \"" +
                   text::EscapeNonPrintable(h.substr(58, 2)) +
                   "\"): not an ar member, or the previous member's size is wrong");
      return out;
    }
    ArMember m;
    m.raw_name = Field(h, 0, 16);
    m.mtime = Field(h, 16, 12);
    m.uid = Field(h, 28, 6);
    m.gid = Field(h, 34, 6);
    m.mode = Field(h, 40, 8);
    std::string size_text = Field(h, 48, 10);
    m.header_offset = pos;
    m.data_offset = pos + kHeader;
    if (!AllDigits(size_text) || size_text.size() > 10) {
      AddError(&out.problems, "AR_BAD_HEADER", where,
               "member size field is not a decimal number: \"" +
                   text::EscapeNonPrintable(size_text) + "\"");
      return out;
    }
    m.size = std::stoull(size_text);
    if (m.raw_name == "/" || m.raw_name == "//" || m.raw_name.rfind("#1/", 0) == 0 ||
        m.raw_name == "/SYM64/") {
      AddError(&out.problems, "AR_UNSUPPORTED_NAME", where,
               "member \"" + text::EscapeNonPrintable(m.raw_name) +
                   "\" is a symbol table or long-name entry; VIB members have names of at most "
                   "15 characters stored in the header");
      return out;
    }
    if (!m.raw_name.empty() && m.raw_name.back() == '/') {
      m.gnu_name = true;
      m.name = m.raw_name.substr(0, m.raw_name.size() - 1);
    } else {
      m.name = m.raw_name;
    }
    if (m.name.empty()) {
      AddError(&out.problems, "AR_BAD_HEADER", where, "member has an empty name");
      return out;
    }
    if (m.size > bytes.size() - m.data_offset) {
      AddError(&out.problems, "AR_TRUNCATED", "member " + m.name,
               "header says " + std::to_string(m.size) + " bytes but only " +
                   std::to_string(bytes.size() - m.data_offset) + " follow");
      return out;
    }
    m.data = bytes.substr(m.data_offset, m.size);
    pos = m.data_offset + m.size;
    if (m.size % 2 == 1) {
      if (pos < bytes.size()) {
        if (bytes[pos] != '\n') {
          AddWarning(&out.problems, "AR_PADDING", "member " + m.name,
                     "the alignment byte after an odd-sized member is not '\\n'");
        }
        ++pos;
      } else {
        AddWarning(&out.problems, "AR_PADDING", "member " + m.name,
                   "the last member has an odd size and no alignment byte");
      }
    }
    out.members.push_back(std::move(m));
  }
  return out;
}

Expected<std::string> WriteAr(const std::vector<ArInput>& members) {
  std::string out(kArMagic);
  for (const auto& m : members) {
    if (m.name.empty() || m.name.size() > 15 || m.name.find_first_of("/ ") != std::string::npos) {
      return Unexpected(
          ErrorCode::kInvalidArgument,
          "ar member name '" + m.name + "' must be 1 to 15 characters without '/' or spaces");
    }
    if (m.data.size() > 9999999999ull) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "ar member '" + m.name + "' is larger than an ar header can describe");
    }
    char h[kHeader + 1];
    std::snprintf(h, sizeof h, "%-16s%-12d%-6d%-6d%-8s%-10zu`\n", (m.name + "/").c_str(), 0, 0, 0,
                  "644", m.data.size());
    out.append(h, kHeader);
    out += m.data;
    if (m.data.size() % 2 == 1) {
      out += '\n';
    }
  }
  return out;
}

}  // namespace bnfc::vib
