// Fuzz entry point for the envelope decoder: the first thing untrusted network bytes meet.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "bnfc/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto envelope = bnfc::protocol::Decode(data, size);
  if (envelope.ok()) {
    // Whatever decodes must re-encode and decode to the same message.
    std::string again = bnfc::protocol::Encode(*envelope);
    auto round_trip = bnfc::protocol::Decode(again.data(), again.size());
    if (!round_trip.ok() || round_trip->SerializeAsString() != again) {
      std::abort();
    }
  } else if (envelope.error().message.empty()) {
    std::abort();  // every refusal must say why
  }
  return 0;
}
