#include "bnfc/protocol.h"

#include <google/protobuf/stubs/logging.h>

#include <mutex>

#include "bnfc/log.h"

namespace bnfc::protocol {
namespace {

// libprotobuf prints a line of its own on stderr for some malformed input (invalid UTF-8 in a
// string field). Decode already returns an error that the caller counts; a line per hostile frame
// would let a peer flood the log, so those lines go to our log at debug level.
void ProtobufToDebugLog(google::protobuf::LogLevel, const char*, int, const std::string& message) {
  log::Debug("libprotobuf: " + message);
}

}  // namespace

std::string Encode(const proto::Envelope& envelope) {
  return envelope.SerializeAsString();
}

Expected<proto::Envelope> Decode(const void* data, size_t size, size_t max_bytes) {
  if (size > max_bytes) {
    return Unexpected(ErrorCode::kProtocol, "frame of " + std::to_string(size) +
                                                " bytes exceeds the limit of " +
                                                std::to_string(max_bytes) + " bytes");
  }
  static std::once_flag quiet;
  std::call_once(quiet, [] { google::protobuf::SetLogHandler(&ProtobufToDebugLog); });
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
