// Small text helpers shared by every component that writes markup.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bnfc::text {

// Escapes & < > " ' for XML and HTML text and attribute values; NUL becomes U+FFFD.
std::string EscapeXml(std::string_view text);

// Untrusted text for an error message: in single quotes, printable ASCII kept, every other byte
// as \xNN, cut after `max_bytes` with "...".
std::string QuoteUntrusted(std::string_view text, size_t max_bytes);

}  // namespace bnfc::text
