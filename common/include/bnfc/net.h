// IPv4/IPv6 addresses and prefixes, address classification, MAC addresses. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bnfc/expected.h"

namespace bnfc::net {

enum class Family { kIPv4, kIPv6 };

// An IPv4 or IPv6 address in network byte order (IPv4 uses the first 4 bytes).
struct IpAddress {
  Family family = Family::kIPv4;
  std::array<uint8_t, 16> bytes{};

  static Expected<IpAddress> Parse(std::string_view text);  // dotted quad or RFC 4291 text
  static IpAddress V4(uint32_t host_order);
  std::string ToString() const;  // canonical text (RFC 5952 for IPv6)
  int BitLength() const { return family == Family::kIPv4 ? 32 : 128; }
  uint32_t V4HostOrder() const;  // only for IPv4
  bool operator==(const IpAddress& o) const { return family == o.family && bytes == o.bytes; }
  bool operator!=(const IpAddress& o) const { return !(*this == o); }
  bool operator<(const IpAddress& o) const;
};

// A network prefix; Parse() accepts host bits set ("10.0.0.5/24") and keeps the address as given,
// Network() zeroes the host bits.
struct Prefix {
  IpAddress address;
  int length = 0;

  static Expected<Prefix> Parse(std::string_view text);  // "a/len"; plain address => host prefix
  // IPv4 dotted netmask to prefix length; error if the mask is not contiguous.
  static Expected<int> NetmaskToLength(std::string_view netmask);
  static std::string LengthToNetmask(int length);  // IPv4 only; "" when length is not 0..32
  Prefix Network() const;
  // Same family and same leading `length` bits. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is
  // IPv6 here: it is never inside an IPv4 prefix.
  bool Contains(const IpAddress& a) const;
  bool Overlaps(const Prefix& o) const;  // one contains the other's network (same family)
  std::string ToString() const;          // "address/length" with the address as stored
  bool operator==(const Prefix& o) const { return address == o.address && length == o.length; }
};

// The classifiers judge an IPv4-mapped IPv6 address (::ffff:a.b.c.d) by its IPv4 address.
// RFC 1918 (10/8, 172.16/12, 192.168/16) for IPv4, unique-local fc00::/7 for IPv6.
bool IsPrivate(const IpAddress& a);
bool IsLoopback(const IpAddress& a);
bool IsLinkLocal(const IpAddress& a);  // 169.254/16, fe80::/10
// Not private, loopback, link-local, multicast or unspecified: would be routable on the Internet.
// For IPv4 also not 0/8 ("this network") or 240/4 (reserved, includes 255.255.255.255).
// Documentation ranges (192.0.2/24, 2001:db8::/32, ...) count as public.
bool IsPublic(const IpAddress& a);

struct MacAddress {
  std::array<uint8_t, 6> bytes{};
  // Accepts "aa:bb:cc:dd:ee:ff", "AA-BB-..." and single-digit groups ("0:c:29:1:2:3").
  static Expected<MacAddress> Parse(std::string_view text);
  std::string ToString() const;  // lower-case, colon separated, two digits per byte
  bool IsZero() const;
  bool operator==(const MacAddress& o) const { return bytes == o.bytes; }
  bool operator!=(const MacAddress& o) const { return !(*this == o); }
};

}  // namespace bnfc::net
