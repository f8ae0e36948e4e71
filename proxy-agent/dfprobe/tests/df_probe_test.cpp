// The pure parts of the DF probe: packet sizing and request checks (no sockets).
#include <gtest/gtest.h>

#include "df_probe.h"

namespace bnfc::dfprobe {
namespace {

net::IpAddress Ip(const char* s) {
  return *net::IpAddress::Parse(s);
}

TEST(DfProbeSize, PayloadLeavesRoomForIpAndIcmpHeaders) {
  EXPECT_EQ(PayloadSizeForMtu(net::Family::kIPv4, 9000).value(), 8972);  // vmkping -s 8972 -d
  EXPECT_EQ(PayloadSizeForMtu(net::Family::kIPv4, 1500).value(), 1472);
  EXPECT_EQ(PayloadSizeForMtu(net::Family::kIPv6, 9000).value(), 8952);
  EXPECT_EQ(PayloadSizeForMtu(net::Family::kIPv6, 1280).value(), 1232);
}

TEST(DfProbeSize, MtuOutsideTheFamilysRangeIsRefused) {
  EXPECT_FALSE(PayloadSizeForMtu(net::Family::kIPv4, 67).ok());
  EXPECT_FALSE(PayloadSizeForMtu(net::Family::kIPv4, 0).ok());
  EXPECT_FALSE(PayloadSizeForMtu(net::Family::kIPv6, 1279).ok());
  EXPECT_FALSE(PayloadSizeForMtu(net::Family::kIPv4, 65536).ok());
  auto e = PayloadSizeForMtu(net::Family::kIPv6, 1000);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(e.error().message.find("1280..65535 for IPv6"), std::string::npos);
  EXPECT_TRUE(PayloadSizeForMtu(net::Family::kIPv4, 65535).ok());
}

TEST(DfProbeRequestCheck, RefusesMixedFamiliesBadTimeoutAndLongInterfaceNames) {
  DfProbeRequest r{"eth1", Ip("10.99.0.100"), Ip("10.99.0.11"), 9000, 500};
  EXPECT_TRUE(ValidateRequest(r).ok());
  auto mixed = r;
  mixed.destination = Ip("fd00:99::11");
  EXPECT_FALSE(ValidateRequest(mixed).ok());
  auto timeout = r;
  timeout.timeout_ms = 0;
  EXPECT_FALSE(ValidateRequest(timeout).ok());
  auto name = r;
  name.interface = "an-interface-name-too-long";
  EXPECT_FALSE(ValidateRequest(name).ok());
  auto mtu = r;
  mtu.mtu = 40;
  EXPECT_FALSE(ValidateRequest(mtu).ok());
}

TEST(DfProbeRequestCheck, BadRequestIsAnErrorOutcomeWithTheReason) {
  // Mixed families fail before any socket is opened, so this runs unprivileged too.
  auto got = DfProbe({"", Ip("10.99.0.100"), Ip("fd00:99::11"), 9000, 500});
  EXPECT_EQ(got.outcome, DfOutcome::kError);
  EXPECT_NE(got.evidence.find("different address families"), std::string::npos) << got.evidence;
  EXPECT_STREQ(DfOutcomeName(got.outcome), "error");
  EXPECT_STREQ(DfOutcomeName(DfOutcome::kTooLong), "too_long");
}

}  // namespace
}  // namespace bnfc::dfprobe
