// Unix ar containers as VIBs use them: "!<arch>\n", 60-byte member headers, 2-byte alignment.
//
// Written by hand rather than with libarchive: the VIB container must carry mode "644" (GNU ar's
// deterministic layout, what the ESXi-8-tested VIBs have), which libarchive's ar writer cannot
// produce (it writes the full st_mode, "100644"), and inspection must show each header field as
// written and name the exact offset of a damaged header. docs/dependencies.md says the same.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/vib/problem.h"

namespace bnfc::vib {

struct ArMember {
  std::string name;                   // without the GNU '/' terminator
  std::string raw_name;               // the 16-byte name field with trailing spaces removed
  bool gnu_name = false;              // the name ended with '/'
  std::string mtime, uid, gid, mode;  // header fields as written (trailing spaces removed)
  uint64_t size = 0;
  uint64_t header_offset = 0;
  uint64_t data_offset = 0;
  std::string_view data;  // points into the parsed bytes
};

struct ArParse {
  std::vector<ArMember> members;
  Problems problems;  // AR_BAD_MAGIC, AR_TRUNCATED, AR_BAD_HEADER, AR_UNSUPPORTED_NAME, ...
};

inline constexpr std::string_view kArMagic = "!<arch>\n";

// Never fails outright: a damaged archive yields the members before the damage and a problem.
ArParse ParseAr(std::string_view bytes);

struct ArInput {
  std::string name;
  std::string data;
};
// GNU layout: names end in '/', mtime/uid/gid 0, mode 644, '\n' padding. Names must be 1..15
// characters without '/' or spaces.
Expected<std::string> WriteAr(const std::vector<ArInput>& members);

}  // namespace bnfc::vib
