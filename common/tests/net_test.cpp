#include "bnfc/net.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>

namespace bnfc::net {
namespace {

IpAddress Ip(const char* text) {
  auto a = IpAddress::Parse(text);
  EXPECT_TRUE(a.ok()) << text << ": " << a.error().message;
  return a.ok() ? *a : IpAddress{};
}

Prefix Pfx(const char* text) {
  auto p = Prefix::Parse(text);
  EXPECT_TRUE(p.ok()) << text << ": " << p.error().message;
  return p.ok() ? *p : Prefix{};
}

TEST(NetIpAddress, ParsesAndFormatsIPv4) {
  IpAddress a = Ip("192.0.2.1");
  EXPECT_EQ(a.family, Family::kIPv4);
  EXPECT_EQ(a.V4HostOrder(), 0xc0000201u);
  EXPECT_EQ(a.ToString(), "192.0.2.1");
  EXPECT_EQ(a.BitLength(), 32);
  EXPECT_EQ(Ip("0.0.0.0").ToString(), "0.0.0.0");
  EXPECT_EQ(Ip("255.255.255.255").V4HostOrder(), 0xffffffffu);
  EXPECT_EQ(IpAddress::V4(0x0a000001), Ip("10.0.0.1"));
}

TEST(NetIpAddress, RejectsMalformedIPv4) {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", "01.2.3.4", " 1.2.3.4", "1.2.3.4 ",
        "1.2.3.4\n", "1..2.3", "1.2.3.4/24", "a.b.c.d", "0x7f.0.0.1", "1.2.3.4.", "+1.2.3.4"}) {
    auto a = IpAddress::Parse(bad);
    EXPECT_FALSE(a.ok()) << "'" << bad << "' parsed as " << a->ToString();
    if (!a.ok()) {
      EXPECT_EQ(a.error().code, ErrorCode::kParse);
      EXPECT_FALSE(a.error().message.empty());
    }
  }
}

TEST(NetIpAddress, ErrorNamesTheInputAndWhatWasExpected) {
  auto a = IpAddress::Parse("1.2.3");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("'1.2.3'"), std::string::npos) << a.error().message;
  EXPECT_NE(a.error().message.find("192.0.2.1"), std::string::npos) << a.error().message;
  auto zone = IpAddress::Parse("fe80::1%vmk0");
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.error().message.find("zone"), std::string::npos) << zone.error().message;
  // Binary garbage is escaped, not copied into the message.
  auto bin = IpAddress::Parse(std::string_view("1.2\x01\xff", 5));
  ASSERT_FALSE(bin.ok());
  EXPECT_NE(bin.error().message.find("\\x01"), std::string::npos) << bin.error().message;
}

TEST(NetIpAddress, FormatsIPv6CanonicallyPerRfc5952) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
           {"2001:DB8::ABCD", "2001:db8::abcd"},
           {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // first of equal runs
           {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // a single 0 is not "::"
           {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},           // longest run wins
           {"0:0:0:0:0:0:0:0", "::"},
           {"0:0:0:0:0:0:0:1", "::1"},
           {"fe80:0:0:0:0:0:0:0", "fe80::"},
           {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
           {"::FFFF:c000:0201", "::ffff:192.0.2.1"},
           {"::2:3", "::2:3"},  // not the deprecated ::0.2.0.3
           {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
       }) {
    IpAddress a = Ip(c.in);
    EXPECT_EQ(a.family, Family::kIPv6) << c.in;
    EXPECT_EQ(a.ToString(), c.out) << c.in;
    EXPECT_EQ(Ip(c.out), a) << "round trip of " << c.out;
  }
}

TEST(NetIpAddress, IPv6FormatAgreesWithInetNtopOutsideTheEmbeddedIPv4Forms) {
  // Deterministic pseudo-random addresses with many zero groups.
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1103515245u + 12345u;
    return state >> 16;
  };
  for (int n = 0; n < 2000; ++n) {
    IpAddress a;
    a.family = Family::kIPv6;
    for (int g = 0; g < 8; ++g) {
      uint16_t v = (next() % 3 == 0) ? static_cast<uint16_t>(next()) : 0;
      a.bytes[2 * g] = static_cast<uint8_t>(v >> 8);
      a.bytes[2 * g + 1] = static_cast<uint8_t>(v);
    }
    a.bytes[0] |= 0x20;  // never ::/96 or ::ffff:0:0/96, where glibc prints dotted forms
    char buf[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf), nullptr);
    EXPECT_EQ(a.ToString(), buf);
    EXPECT_EQ(Ip(a.ToString().c_str()), a);
  }
}

TEST(NetIpAddress, RejectsMalformedIPv6) {
  for (const char* bad : {":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "::1 ",
                          "[::1]", "fe80::1%eth0", "::ffff:1.2.3", "1:2:3:4:5:6:7"}) {
    EXPECT_FALSE(IpAddress::Parse(bad).ok()) << bad;
  }
}

TEST(NetIpAddress, OrdersIPv4BeforeIPv6ThenByBytes) {
  EXPECT_TRUE(Ip("10.0.0.1") < Ip("10.0.0.2"));
  EXPECT_FALSE(Ip("10.0.0.2") < Ip("10.0.0.1"));
  EXPECT_TRUE(Ip("255.255.255.255") < Ip("::"));
  EXPECT_NE(Ip("::ffff:10.0.0.1"), Ip("10.0.0.1"));
}

TEST(NetPrefix, ParsesLengthsAtTheBoundaries) {
  Prefix p = Pfx("10.0.0.5/24");
  EXPECT_EQ(p.address, Ip("10.0.0.5"));  // kept as given
  EXPECT_EQ(p.length, 24);
  EXPECT_EQ(p.ToString(), "10.0.0.5/24");
  EXPECT_EQ(Pfx("0.0.0.0/0").length, 0);
  EXPECT_EQ(Pfx("10.0.0.1/32").length, 32);
  EXPECT_EQ(Pfx("::/0").length, 0);
  EXPECT_EQ(Pfx("2001:db8::1/128").length, 128);
  EXPECT_EQ(Pfx("2001:DB8::/32").ToString(), "2001:db8::/32");
}

TEST(NetPrefix, PlainAddressIsAHostPrefix) {
  EXPECT_EQ(Pfx("192.0.2.7").length, 32);
  EXPECT_EQ(Pfx("2001:db8::7").length, 128);
}

TEST(NetPrefix, RejectsGarbage) {
  for (const char* bad :
       {"10.0.0.1/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
        "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0/8 ", " 10.0.0.0/8", "1.2.3/8", "/8",
        "10.0.0.0/1000", "10.0.0.0/x", ""}) {
    auto p = Prefix::Parse(bad);
    EXPECT_FALSE(p.ok()) << "'" << bad << "' parsed as " << p->ToString();
  }
  auto p = Prefix::Parse("10.0.0.1/33");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("0 to 32"), std::string::npos) << p.error().message;
  auto q = Prefix::Parse("2001:db8::/129");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message.find("0 to 128"), std::string::npos) << q.error().message;
}

TEST(NetPrefix, NetworkZeroesHostBits) {
  EXPECT_EQ(Pfx("10.1.2.3/8").Network().ToString(), "10.0.0.0/8");
  EXPECT_EQ(Pfx("10.1.2.3/20").Network().ToString(), "10.1.0.0/20");
  EXPECT_EQ(Pfx("10.1.2.3/32").Network().ToString(), "10.1.2.3/32");
  EXPECT_EQ(Pfx("10.1.2.3/0").Network().ToString(), "0.0.0.0/0");
  EXPECT_EQ(Pfx("2001:db8:abcd:12ff::1/60").Network().ToString(), "2001:db8:abcd:12f0::/60");
  EXPECT_EQ(Pfx("2001:db8::1/128").Network().ToString(), "2001:db8::1/128");
}

TEST(NetPrefix, ContainsAtBoundaries) {
  Prefix p = Pfx("172.16.0.0/12");
  EXPECT_FALSE(p.Contains(Ip("172.15.255.255")));
  EXPECT_TRUE(p.Contains(Ip("172.16.0.0")));
  EXPECT_TRUE(p.Contains(Ip("172.31.255.255")));
  EXPECT_FALSE(p.Contains(Ip("172.32.0.0")));
  EXPECT_TRUE(Pfx("10.1.2.3/24").Contains(Ip("10.1.2.200")));  // host bits in the prefix ignored
  EXPECT_TRUE(Pfx("0.0.0.0/0").Contains(Ip("203.0.113.9")));
  EXPECT_TRUE(Pfx("10.0.0.1/32").Contains(Ip("10.0.0.1")));
  EXPECT_FALSE(Pfx("10.0.0.1/32").Contains(Ip("10.0.0.2")));
  EXPECT_TRUE(Pfx("::/0").Contains(Ip("2001:db8::1")));
  EXPECT_TRUE(Pfx("2001:db8::/127").Contains(Ip("2001:db8::1")));
  EXPECT_FALSE(Pfx("2001:db8::/127").Contains(Ip("2001:db8::2")));
  // Families never mix, also not through IPv4-mapped addresses.
  EXPECT_FALSE(Pfx("0.0.0.0/0").Contains(Ip("::ffff:10.0.0.1")));
  EXPECT_FALSE(Pfx("::/0").Contains(Ip("10.0.0.1")));
}

TEST(NetPrefix, Overlaps) {
  EXPECT_TRUE(Pfx("10.0.0.0/8").Overlaps(Pfx("10.99.0.0/24")));
  EXPECT_TRUE(Pfx("10.99.0.0/24").Overlaps(Pfx("10.0.0.0/8")));
  EXPECT_TRUE(Pfx("10.99.0.0/24").Overlaps(Pfx("10.99.0.128/25")));
  EXPECT_FALSE(Pfx("10.99.0.0/25").Overlaps(Pfx("10.99.0.128/25")));
  EXPECT_FALSE(Pfx("192.168.0.0/16").Overlaps(Pfx("192.169.0.0/16")));
  EXPECT_TRUE(Pfx("0.0.0.0/0").Overlaps(Pfx("1.2.3.4/32")));
  EXPECT_TRUE(Pfx("fd00::/8").Overlaps(Pfx("fdab::/16")));
  EXPECT_FALSE(Pfx("0.0.0.0/0").Overlaps(Pfx("::/0")));
}

TEST(NetPrefix, NetmaskToLength) {
  struct Case {
    const char* mask;
    int length;
  };
  for (const Case& c : std::initializer_list<Case>{{"0.0.0.0", 0},
                                                   {"128.0.0.0", 1},
                                                   {"255.0.0.0", 8},
                                                   {"255.240.0.0", 12},
                                                   {"255.255.255.0", 24},
                                                   {"255.255.255.254", 31},
                                                   {"255.255.255.255", 32}}) {
    auto n = Prefix::NetmaskToLength(c.mask);
    ASSERT_TRUE(n.ok()) << c.mask << ": " << n.error().message;
    EXPECT_EQ(*n, c.length) << c.mask;
    EXPECT_EQ(Prefix::LengthToNetmask(c.length), c.mask);
  }
  for (int len = 0; len <= 32; ++len) {
    auto back = Prefix::NetmaskToLength(Prefix::LengthToNetmask(len));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, len);
  }
  EXPECT_EQ(Prefix::LengthToNetmask(33), "");
  EXPECT_EQ(Prefix::LengthToNetmask(-1), "");
}

TEST(NetPrefix, RejectsNonContiguousAndNonIPv4Netmasks) {
  for (const char* bad : {"255.0.255.0", "0.255.255.255", "255.255.255.253", "1.0.0.0", "255.255.0",
                          "ffff:ffff::", "", "255.255.255.0 "}) {
    auto n = Prefix::NetmaskToLength(bad);
    EXPECT_FALSE(n.ok()) << bad << " gave " << *n;
  }
  auto n = Prefix::NetmaskToLength("255.0.255.0");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().message.find("contiguous"), std::string::npos) << n.error().message;
}

TEST(NetClassify, Rfc1918Boundaries) {
  EXPECT_FALSE(IsPrivate(Ip("9.255.255.255")));
  EXPECT_TRUE(IsPrivate(Ip("10.0.0.0")));
  EXPECT_TRUE(IsPrivate(Ip("10.255.255.255")));
  EXPECT_FALSE(IsPrivate(Ip("11.0.0.0")));
  EXPECT_FALSE(IsPrivate(Ip("172.15.255.255")));
  EXPECT_TRUE(IsPrivate(Ip("172.16.0.0")));
  EXPECT_TRUE(IsPrivate(Ip("172.31.255.255")));
  EXPECT_FALSE(IsPrivate(Ip("172.32.0.0")));
  EXPECT_FALSE(IsPrivate(Ip("192.167.255.255")));
  EXPECT_TRUE(IsPrivate(Ip("192.168.0.0")));
  EXPECT_TRUE(IsPrivate(Ip("192.168.255.255")));
  EXPECT_FALSE(IsPrivate(Ip("192.169.0.0")));
  EXPECT_FALSE(IsPrivate(Ip("100.64.0.1")));  // shared address space is not RFC 1918
}

TEST(NetClassify, UniqueLocalIPv6) {
  EXPECT_FALSE(IsPrivate(Ip("fbff:ffff::1")));
  EXPECT_TRUE(IsPrivate(Ip("fc00::")));
  EXPECT_TRUE(IsPrivate(Ip("FD12:3456::1")));
  EXPECT_TRUE(IsPrivate(Ip("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(IsPrivate(Ip("fe00::")));
  EXPECT_FALSE(IsPrivate(Ip("2001:db8::1")));
}

TEST(NetClassify, IPv4MappedIsJudgedByItsIPv4Address) {
  EXPECT_TRUE(IsPrivate(Ip("::ffff:10.1.2.3")));
  EXPECT_FALSE(IsPrivate(Ip("::ffff:172.32.0.0")));
  EXPECT_TRUE(IsLoopback(Ip("::ffff:127.0.0.1")));
  EXPECT_TRUE(IsLinkLocal(Ip("::ffff:169.254.1.1")));
  EXPECT_TRUE(IsPublic(Ip("::ffff:8.8.8.8")));
  EXPECT_FALSE(IsPublic(Ip("::ffff:192.168.1.1")));
}

TEST(NetClassify, LoopbackAndLinkLocal) {
  EXPECT_TRUE(IsLoopback(Ip("127.0.0.1")));
  EXPECT_TRUE(IsLoopback(Ip("127.255.255.255")));
  EXPECT_FALSE(IsLoopback(Ip("128.0.0.1")));
  EXPECT_TRUE(IsLoopback(Ip("::1")));
  EXPECT_FALSE(IsLoopback(Ip("::2")));
  EXPECT_FALSE(IsLoopback(Ip("::")));
  EXPECT_FALSE(IsLinkLocal(Ip("169.253.255.255")));
  EXPECT_TRUE(IsLinkLocal(Ip("169.254.0.0")));
  EXPECT_TRUE(IsLinkLocal(Ip("169.254.255.255")));
  EXPECT_FALSE(IsLinkLocal(Ip("169.255.0.0")));
  EXPECT_TRUE(IsLinkLocal(Ip("fe80::1")));
  EXPECT_TRUE(IsLinkLocal(Ip("febf:ffff::1")));
  EXPECT_FALSE(IsLinkLocal(Ip("fec0::1")));
}

TEST(NetClassify, Public) {
  for (const char* pub : {"8.8.8.8", "1.0.0.0", "203.0.113.5", "172.32.0.0", "100.64.0.1",
                          "223.255.255.255", "2001:db8::1", "2a00:1450::1"}) {
    EXPECT_TRUE(IsPublic(Ip(pub))) << pub;
  }
  for (const char* notpub : {"10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "169.254.1.1",
                             "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.255", "240.0.0.1",
                             "255.255.255.255", "::", "::1", "fe80::1", "fd00::1", "ff02::1"}) {
    EXPECT_FALSE(IsPublic(Ip(notpub))) << notpub;
  }
}

TEST(NetMac, ParsesColonDashAndShortGroups) {
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"00:50:56:aa:bb:cc", "00:50:56:aa:bb:cc"},
           {"00-50-56-AA-BB-CC", "00:50:56:aa:bb:cc"},
           {"0:c:29:1:2:3", "00:0c:29:01:02:03"},
           {"90:B1:1c:3C:c5:62", "90:b1:1c:3c:c5:62"},
           {"ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff"},
       }) {
    auto m = MacAddress::Parse(c.in);
    ASSERT_TRUE(m.ok()) << c.in << ": " << m.error().message;
    EXPECT_EQ(m->ToString(), c.out);
  }
  EXPECT_TRUE(MacAddress::Parse("0:0:0:0:0:0")->IsZero());
  EXPECT_FALSE(MacAddress::Parse("0:0:0:0:0:1")->IsZero());
  EXPECT_EQ(*MacAddress::Parse("00:0C:29:01:02:03"), *MacAddress::Parse("0-c-29-1-2-3"));
}

TEST(NetMac, RejectsBadLengthsHexAndSeparators) {
  for (const char* bad :
       {"", "00:50:56:aa:bb", "00:50:56:aa:bb:cc:dd", "00:50:56:aa:bb:cc:", ":00:50:56:aa:bb:cc",
        "00:50:56:aa:bb:gg", "000:50:56:aa:bb:cc", "00:50:56-aa:bb:cc", "00::56:aa:bb:cc",
        "005056aabbcc", "0050.56aa.bbcc", " 00:50:56:aa:bb:cc", "00:50:56:aa:bb:cc "}) {
    auto m = MacAddress::Parse(bad);
    EXPECT_FALSE(m.ok()) << "'" << bad << "' parsed as " << m->ToString();
    if (!m.ok()) {
      EXPECT_NE(m.error().message.find("expected six hex bytes"), std::string::npos);
    }
  }
  auto m = MacAddress::Parse("00:50:56-aa:bb:cc");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("mixed"), std::string::npos) << m.error().message;
}

}  // namespace
}  // namespace bnfc::net
