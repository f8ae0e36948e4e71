// The envelope codec: what the proxy and the host agents accept from the network and what they
// refuse, with the reason.
#include "bnfc/protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace bnfc::protocol {
namespace {

proto::Envelope Report() {
  proto::Envelope e;
  e.set_protocol_version(kProtocolVersion);
  e.set_host_id("esx01");
  e.set_boot_id(7);
  e.set_sequence(42);
  e.mutable_host_report()->mutable_host()->set_hostname("esx01.example");
  return e;
}

std::string ErrorOf(const std::string& bytes, size_t max_bytes = kMaxFrameBytes) {
  auto d = Decode(bytes.data(), bytes.size(), max_bytes);
  return d.ok() ? std::string("(decoded)") : d.error().message;
}

TEST(Envelope, RoundTrip) {
  std::string bytes = Encode(Report());
  auto d = Decode(bytes.data(), bytes.size());
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->host_id(), "esx01");
  EXPECT_EQ(d->boot_id(), 7u);
  EXPECT_EQ(d->sequence(), 42u);
  ASSERT_EQ(d->body_case(), proto::Envelope::kHostReport);
  EXPECT_EQ(d->host_report().host().hostname(), "esx01.example");
}

TEST(Envelope, EachRefusalSaysWhy) {
  std::string good = Encode(Report());
  EXPECT_EQ(ErrorOf(good, good.size() - 1), "frame of " + std::to_string(good.size()) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(good.size() - 1) + " bytes");
  EXPECT_EQ(ErrorOf(good, good.size()), "(decoded)");  // the limit itself is allowed
  EXPECT_EQ(ErrorOf("\xff\xff\xff\xff not protobuf"), "frame is not a valid Envelope");

  proto::Envelope future = Report();
  future.set_protocol_version(kProtocolVersion + 1);
  EXPECT_EQ(ErrorOf(Encode(future)), "unsupported protocol version 2 (this build speaks 1)");
  proto::Envelope anonymous = Report();
  anonymous.clear_host_id();
  EXPECT_EQ(ErrorOf(Encode(anonymous)), "envelope has no host id");
  proto::Envelope empty = Report();
  empty.clear_host_report();
  EXPECT_EQ(ErrorOf(Encode(empty)), "envelope has no body");
  EXPECT_EQ(ErrorOf(""), "unsupported protocol version 0 (this build speaks 1)");
}

// A string field with invalid UTF-8 fails to parse; libprotobuf would also print its own line on
// stderr for every such frame, which would let a peer flood the agent's log. Decode keeps quiet
// and returns the error for the caller to count.
TEST(Envelope, InvalidUtf8IsRefusedWithoutWritingToStderr) {
  // protocol_version = 1, host_id = "\xff", body: an empty Ack.
  const std::string bytes("\x08\x01\x12\x01\xff\x62\x00", 7);
  ::testing::internal::CaptureStderr();
  std::string error = ErrorOf(bytes);
  std::string printed = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(error, "frame is not a valid Envelope");
  EXPECT_EQ(printed, "");
}

}  // namespace
}  // namespace bnfc::protocol
