#include "bnfc/text.h"

#include <cstdint>
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

size_t Utf8SequenceLength(std::string_view s) {
  if (s.empty()) {
    return 0;
  }
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) {
    return 1;
  }
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n) {
    return 0;
  }
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b(i) & 0x3f);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
}

std::string EscapeForLine(std::string_view text, size_t max_bytes) {
  const std::string_view kept = text.substr(0, max_bytes);
  std::string out;
  out.reserve(kept.size());
  const auto hex = [&out](unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    out += buf;
  };
  for (size_t i = 0; i < kept.size();) {
    const unsigned char c = static_cast<unsigned char>(kept[i]);
    if (c == '\n') {
      out += "\\n";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x80) {
      hex(c);  // C0 controls and DEL
      ++i;
    } else {
      const size_t n = Utf8SequenceLength(kept.substr(i));
      // U+0080..U+009F (C1 controls, CSI among them) are encoded as C2 80..C2 9F.
      const bool c1 = n == 2 && c == 0xc2 && static_cast<unsigned char>(kept[i + 1]) < 0xa0;
      if (n == 0 || c1) {
        hex(c);
        ++i;
      } else {
        out.append(kept.substr(i, n));
        i += n;
      }
    }
  }
  if (text.size() > max_bytes) {
    out += "...(" + std::to_string(text.size() - max_bytes) + " more bytes)";
  }
  return out;
}

std::string Trim(std::string_view s, std::string_view chars) {
  const size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) {
    return "";
  }
  return std::string(s.substr(b, s.find_last_not_of(chars) - b + 1));
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return s;
}

}  // namespace bnfc::text
