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

// One line of text for a log, a terminal or a text file: valid UTF-8 and tab kept; newline and
// carriage return as \n and \r; other control characters (C0, DEL, C1 such as CSI), and bytes
// that are not valid UTF-8, as \xNN. Input past `max_bytes` is cut and the line says how much.
std::string EscapeForLine(std::string_view text, size_t max_bytes);

// `s` without the leading and trailing characters found in `chars`.
std::string Trim(std::string_view s, std::string_view chars = " \t\r\n");

// ASCII letters in lower case; other bytes unchanged (host names, ids, keywords).
std::string AsciiLower(std::string s);

// The length of the valid UTF-8 sequence at the start of `s` (1..4), or 0 when it is not one.
size_t Utf8SequenceLength(std::string_view s);

}  // namespace bnfc::text
