// Small text helpers shared by every component that writes markup.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bnfc::text {

// Escapes & < > " ' for XML and HTML text and attribute values; NUL becomes U+FFFD.
std::string EscapeXml(std::string_view text);

// Printable ASCII kept, every other byte as \xNN: untrusted bytes made safe for a message.
std::string EscapeNonPrintable(std::string_view bytes);

// Untrusted text for an error message: EscapeNonPrintable in single quotes, cut after
// `max_bytes` with "...".
std::string QuoteUntrusted(std::string_view text, size_t max_bytes);

}  // namespace bnfc::text
