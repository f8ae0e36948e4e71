#include "bnfc/protocol.h"

namespace bnfc::protocol {

std::string Encode(const proto::Envelope& envelope) {
  return envelope.SerializeAsString();
}

Expected<proto::Envelope> Decode(const void* data, size_t size, size_t max_bytes) {
  if (size > max_bytes) {
    return Unexpected(ErrorCode::kProtocol, "frame of " + std::to_string(size) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(max_bytes) + " bytes");
  }
  proto::Envelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) {
    return Unexpected(ErrorCode::kProtocol, "frame is not a valid Envelope");
  }
  if (envelope.protocol_version() != kProtocolVersion) {
    return Unexpected(ErrorCode::kProtocol, "unsupported protocol version " +
                                                std::to_string(envelope.protocol_version()) +
                                                " (this build speaks " +
                                                std::to_string(kProtocolVersion) + ")");
  }
  if (envelope.host_id().empty()) {
    return Unexpected(ErrorCode::kProtocol, "envelope has no host id");
  }
  if (envelope.body_case() == proto::Envelope::BODY_NOT_SET) {
    return Unexpected(ErrorCode::kProtocol, "envelope has no body");
  }
  return envelope;
}

}  // namespace bnfc::protocol
