// IPv4/IPv6 text forms, prefix math, address classification and MAC addresses.
#include "bnfc/net.h"
#include "bnfc/text.h"

#include <arpa/inet.h>

#include <cstdio>

namespace bnfc::net {
namespace {

// Untrusted text quoted in an error message.
std::string Quote(std::string_view text) {
  return text::QuoteUntrusted(text, 64);
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return c - 'A' + 10;
}

// ::ffff:0:0/96 -- an IPv4 address carried in IPv6 (RFC 4291 section 2.5.5.2).
bool IsV4Mapped(const IpAddress& a) {
  if (a.family != Family::kIPv6) {
    return false;
  }
  for (int i = 0; i < 10; ++i) {
    if (a.bytes[i] != 0) {
      return false;
    }
  }
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}

// The address to classify: IPv4-mapped IPv6 addresses are judged by the IPv4 address inside.
IpAddress Unmapped(const IpAddress& a) {
  if (!IsV4Mapped(a)) {
    return a;
  }
  IpAddress v4;
  v4.family = Family::kIPv4;
  for (int i = 0; i < 4; ++i) {
    v4.bytes[i] = a.bytes[12 + i];
  }
  return v4;
}

bool InV4(const IpAddress& a, uint32_t network, int length) {
  uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  return (a.V4HostOrder() & mask) == network;
}

// Leading `length` bits of a and b agree.
bool SameLeadingBits(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b,
                     int length) {
  int full = length / 8;
  for (int i = 0; i < full; ++i) {
    if (a[i] != b[i]) {
      return false;
    }
  }
  int rest = length % 8;
  if (rest == 0) {
    return true;
  }
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

// RFC 5952: lower case, no leading zeros, the longest run (first on a tie) of two or more zero
// groups becomes "::", and IPv4-mapped addresses end in dotted-quad form. Written out rather than
// taken from inet_ntop(), which also prints the deprecated IPv4-compatible form (::a.b.c.d).
std::string FormatV6(const std::array<uint8_t, 16>& b) {
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i) {
    groups[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  }
  int best_start = -1;
  int best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) {
      ++j;
    }
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) {
    best_start = -1;
  }
  IpAddress tmp;
  tmp.family = Family::kIPv6;
  tmp.bytes = b;
  bool mapped = IsV4Mapped(tmp);
  int last_group = mapped ? 6 : 8;  // groups 6 and 7 are printed as a dotted quad
  std::string out;
  char buf[8];
  for (int i = 0; i < last_group; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') {
      out += ':';
    }
    std::snprintf(buf, sizeof buf, "%x", groups[i]);
    out += buf;
  }
  if (mapped) {
    if (out.back() != ':') {
      out += ':';
    }
    std::snprintf(buf, sizeof buf, "%u.", b[12]);
    out += buf;
    std::snprintf(buf, sizeof buf, "%u.", b[13]);
    out += buf;
    std::snprintf(buf, sizeof buf, "%u.", b[14]);
    out += buf;
    std::snprintf(buf, sizeof buf, "%u", b[15]);
    out += buf;
  }
  return out;
}

}  // namespace

Expected<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty()) {
    return Unexpected(ErrorCode::kParse, "empty IP address");
  }
  for (char c : text) {
    bool allowed = IsHex(c) || c == '.' || c == ':';
    if (!allowed) {
      std::string why = c == '%'   ? " (zone indexes like %vmk0 are not supported)"
                        : c == '/' ? " (a prefix length is not allowed here)"
                                   : "";
      return Unexpected(ErrorCode::kParse, "invalid IP address " + Quote(text) +
                                               ": unexpected character " +
                                               Quote(std::string_view(&c, 1)) + why);
    }
  }
  std::string copy(text);  // inet_pton wants a NUL-terminated string
  IpAddress a;
  if (copy.find(':') != std::string::npos) {
    a.family = Family::kIPv6;
    if (inet_pton(AF_INET6, copy.c_str(), a.bytes.data()) != 1) {
      return Unexpected(ErrorCode::kParse, "invalid IPv6 address " + Quote(text) +
                                               ": expected RFC 4291 text like 2001:db8::1");
    }
    return a;
  }
  a.family = Family::kIPv4;
  if (inet_pton(AF_INET, copy.c_str(), a.bytes.data()) != 1) {
    return Unexpected(ErrorCode::kParse,
                      "invalid IPv4 address " + Quote(text) +
                          ": expected four decimal numbers 0-255 without leading zeros, like "
                          "192.0.2.1");
  }
  return a;
}

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  a.family = Family::kIPv4;
  a.bytes[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes[3] = static_cast<uint8_t>(host_order);
  return a;
}

uint32_t IpAddress::V4HostOrder() const {
  return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 |
         uint32_t{bytes[3]};
}

std::string IpAddress::ToString() const {
  if (family == Family::kIPv6) {
    return FormatV6(bytes);
  }
  char buf[INET_ADDRSTRLEN];
  if (inet_ntop(AF_INET, bytes.data(), buf, sizeof buf) == nullptr) {
    return "?";
  }
  return buf;
}

bool IpAddress::operator<(const IpAddress& o) const {
  if (family != o.family) {
    return family == Family::kIPv4;
  }
  return bytes < o.bytes;
}

Expected<Prefix> Prefix::Parse(std::string_view text) {
  size_t slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  auto address = IpAddress::Parse(addr_text);
  if (!address.ok()) {
    if (slash == std::string_view::npos) {
      return address.error();
    }
    return Unexpected(ErrorCode::kParse,
                      "invalid prefix " + Quote(text) + ": " + address.error().message);
  }
  Prefix p;
  p.address = *address;
  p.length = p.address.BitLength();
  if (slash == std::string_view::npos) {
    return p;
  }
  std::string_view len_text = text.substr(slash + 1);
  const char* family = p.address.family == Family::kIPv4 ? "IPv4" : "IPv6";
  std::string expected = "expected a prefix length from 0 to " +
                         std::to_string(p.address.BitLength()) + " for " + family;
  bool digits = !len_text.empty() && len_text.size() <= 3;
  for (char c : len_text) {
    digits = digits && c >= '0' && c <= '9';
  }
  if (!digits || (len_text.size() > 1 && len_text[0] == '0')) {
    return Unexpected(ErrorCode::kParse, "invalid prefix " + Quote(text) + ": " + expected +
                                             ", got " + Quote(len_text));
  }
  int length = 0;
  for (char c : len_text) {
    length = length * 10 + (c - '0');
  }
  if (length > p.address.BitLength()) {
    return Unexpected(ErrorCode::kParse, "invalid prefix " + Quote(text) + ": " + expected +
                                             ", got " + std::to_string(length));
  }
  p.length = length;
  return p;
}

Expected<int> Prefix::NetmaskToLength(std::string_view netmask) {
  auto a = IpAddress::Parse(netmask);
  if (!a.ok() || a->family != Family::kIPv4) {
    return Unexpected(ErrorCode::kParse, "invalid netmask " + Quote(netmask) +
                                             ": expected a dotted IPv4 netmask like 255.255.255.0");
  }
  uint32_t mask = a->V4HostOrder();
  uint32_t inverted = ~mask;
  if ((inverted & (inverted + 1)) != 0) {
    return Unexpected(ErrorCode::kParse,
                      "invalid netmask " + Quote(netmask) +
                          ": the one bits are not contiguous (expected a mask like 255.255.255.0)");
  }
  return __builtin_popcount(mask);
}

std::string Prefix::LengthToNetmask(int length) {
  if (length < 0 || length > 32) {
    return "";
  }
  uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  return IpAddress::V4(mask).ToString();
}

Prefix Prefix::Network() const {
  Prefix p = *this;
  for (int bit = length; bit < address.BitLength(); ++bit) {
    p.address.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  return p;
}

bool Prefix::Contains(const IpAddress& a) const {
  return a.family == address.family && SameLeadingBits(address.bytes, a.bytes, length);
}

bool Prefix::Overlaps(const Prefix& o) const {
  if (address.family != o.address.family) {
    return false;
  }
  int shorter = length < o.length ? length : o.length;
  return SameLeadingBits(address.bytes, o.address.bytes, shorter);
}

std::string Prefix::ToString() const {
  return address.ToString() + "/" + std::to_string(length);
}

bool IsPrivate(const IpAddress& addr) {
  IpAddress a = Unmapped(addr);
  if (a.family == Family::kIPv4) {
    return InV4(a, 0x0a000000, 8) || InV4(a, 0xac100000, 12) || InV4(a, 0xc0a80000, 16);
  }
  return (a.bytes[0] & 0xfe) == 0xfc;  // fc00::/7
}

bool IsLoopback(const IpAddress& addr) {
  IpAddress a = Unmapped(addr);
  if (a.family == Family::kIPv4) {
    return InV4(a, 0x7f000000, 8);
  }
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  return a.bytes == one;
}

bool IsLinkLocal(const IpAddress& addr) {
  IpAddress a = Unmapped(addr);
  if (a.family == Family::kIPv4) {
    return InV4(a, 0xa9fe0000, 16);
  }
  return a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80;  // fe80::/10
}

bool IsPublic(const IpAddress& addr) {
  IpAddress a = Unmapped(addr);
  if (IsPrivate(a) || IsLoopback(a) || IsLinkLocal(a)) {
    return false;
  }
  if (a.family == Family::kIPv4) {
    return !InV4(a, 0x00000000, 8)      // "this network", includes 0.0.0.0
           && !InV4(a, 0xe0000000, 4)   // multicast
           && !InV4(a, 0xf0000000, 4);  // reserved, includes 255.255.255.255
  }
  std::array<uint8_t, 16> zero{};
  return a.bytes != zero && a.bytes[0] != 0xff;  // unspecified, multicast ff00::/8
}

Expected<MacAddress> MacAddress::Parse(std::string_view text) {
  auto fail = [&](const std::string& why) -> Expected<MacAddress> {
    return Unexpected(ErrorCode::kParse, "invalid MAC address " + Quote(text) + ": " + why +
                                             " (expected six hex bytes like 00:50:56:aa:bb:cc)");
  };
  if (text.empty()) {
    return fail("empty");
  }
  char separator = 0;
  MacAddress mac;
  size_t group = 0;
  size_t pos = 0;
  while (true) {
    size_t start = pos;
    while (pos < text.size() && IsHex(text[pos])) {
      ++pos;
    }
    size_t digits = pos - start;
    if (group == 6) {
      return fail(digits == 0 ? "trailing separator" : "more than six groups");
    }
    if (digits == 0 || digits > 2) {
      return fail("group " + std::to_string(group + 1) + " must have one or two hex digits");
    }
    int value = HexValue(text[start]);
    if (digits == 2) {
      value = value * 16 + HexValue(text[start + 1]);
    }
    mac.bytes[group++] = static_cast<uint8_t>(value);
    if (pos == text.size()) {
      break;
    }
    char c = text[pos];
    if (c != ':' && c != '-') {
      return fail("unexpected character " + Quote(std::string_view(&c, 1)));
    }
    if (separator != 0 && c != separator) {
      return fail("mixed ':' and '-' separators");
    }
    separator = c;
    ++pos;
  }
  if (group != 6) {
    return fail("found " + std::to_string(group) + " groups");
  }
  return mac;
}

std::string MacAddress::ToString() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return buf;
}

bool MacAddress::IsZero() const {
  for (uint8_t b : bytes) {
    if (b != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace bnfc::net
