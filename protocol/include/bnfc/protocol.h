// Envelope encoding/decoding with size limits. Decoding untrusted bytes never throws or aborts.
#pragma once

#include <cstddef>
#include <string>

#include "bnfc.pb.h"
#include "bnfc/expected.h"

namespace bnfc::protocol {

constexpr uint32_t kProtocolVersion = 1;
// A HostReport for a host with a few dozen vmknics is a few KiB; anything near this is hostile.
constexpr size_t kMaxFrameBytes = 256 * 1024;

std::string Encode(const proto::Envelope& envelope);
// Refuses frames over `max_bytes`, undecodable bytes, an unsupported protocol version, a missing
// host id or an envelope without a body.
Expected<proto::Envelope> Decode(const void* data, size_t size, size_t max_bytes = kMaxFrameBytes);

}  // namespace bnfc::protocol
