#include "bnfc/text.h"

#include <cstdio>

namespace bnfc::text {

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";  // HTML 4 has no &apos;
        break;
      case '\0':
        out += "&#xFFFD;";  // NUL is not allowed in XML or HTML text: the replacement character
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string EscapeNonPrintable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string QuoteUntrusted(std::string_view text, size_t max_bytes) {
  return "'" + EscapeNonPrintable(text.substr(0, max_bytes)) +
         (text.size() > max_bytes ? "..." : "") + "'";
}

}  // namespace bnfc::text
