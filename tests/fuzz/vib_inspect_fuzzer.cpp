// Fuzz entry point for bnfc-vib's reader (vib/include/bnfc/vib/inspect.h): any bytes go through
// InspectVib or InspectBundle (chosen by the first bytes, as `bnfc-vib verify` does) and the JSON
// report. Invariants, checked by aborting: no crash or hang; every problem has a code, a place
// and a sentence; member views stay inside the input; a report without errors has a descriptor
// whose payloads were all analysed; the JSON report serialises.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bnfc/vib/inspect.h"

namespace {

using namespace bnfc::vib;

constexpr uint64_t kMaxUncompressed = 8u << 20;  // keep each input cheap

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "vib_inspect_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckProblems(const Problems& problems) {
  for (const auto& p : problems) {
    if (p.code.empty() || p.where.empty() || p.detail.empty()) {
      Fail("problem without code, place or detail", p.code + " / " + p.where + " / " + p.detail);
    }
  }
}

void CheckVib(const VibReport& r, std::string_view in) {
  CheckProblems(r.problems);
  for (const auto& m : r.members) {
    if (m.data.data() < in.data() || m.data.data() + m.data.size() > in.data() + in.size()) {
      Fail("member data outside the input", m.name);
    }
  }
  if (!HasErrors(r.problems)) {
    if (!r.descriptor) {
      Fail("no errors but no descriptor", "");
    }
    if (r.payloads.size() != r.descriptor->payloads.size()) {
      Fail("no errors but not every payload analysed", std::to_string(r.payloads.size()));
    }
  }
}

void Dump(const nlohmann::json& j) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.empty()) {
    Fail("empty JSON", "");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (DetectKind(in) == FileKind::kBundle) {
    BundleReport r = InspectBundle(in, kMaxUncompressed);
    CheckProblems(r.problems);
    for (const auto& v : r.vibs) {
      CheckProblems(v.report.problems);
    }
    Dump(ToJson(r));
  } else {
    VibReport r = InspectVib(in, kMaxUncompressed);
    CheckVib(r, in);
    Dump(ToJson(r));
  }
  return 0;
}
