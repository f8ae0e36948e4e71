// The one grammar for host ids: what `keys add/accept` take, what the enrolment store holds, what
// the allow-list binds a key to, what a host agent puts in its envelopes and what reports print.
//
//   host-id = alnum *252( alnum / "." / "-" / "_" )      ; 1 to 253 bytes, ASCII only
//
// A DNS host name (short or fully qualified) always fits. Anything that could escape a file name,
// a log line or a terminal (slash, "..", spaces, control bytes, non-ASCII) cannot.
#pragma once

#include <cstddef>
#include <string_view>

#include "bnfc/expected.h"

namespace bnfc {

inline constexpr size_t kMaxHostIdBytes = 253;

// kInvalidArgument naming the first offending byte (escaped) and the grammar.
Status ValidateHostId(std::string_view id);

}  // namespace bnfc
