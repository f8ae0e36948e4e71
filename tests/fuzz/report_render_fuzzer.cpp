// Fuzz entry point for the report renderers (report.json, the HTML report, the text report) with
// hostile strings in every field a host or the proxy's checks can fill. Input: fields separated by
// NUL bytes (proxy id, host id, NFC address, vmknic, interface, source, ESXi version, agent
// version, finding code, detail, evidence); the first byte picks the verdict. Invariants, checked
// by aborting: no exception; report.json parses as JSON; no input byte sequence "<bnfc" reaches
// the HTML unescaped; the text report has no control byte other than newline.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bnfc/report/report.h"

namespace {

using namespace bnfc::report;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "report_render_fuzzer: %s: %s\n", what, detail.substr(0, 400).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  std::vector<std::string> v(1);
  for (size_t i = 1; i < size; ++i) {
    if (data[i] == 0) {
      v.emplace_back();
    } else {
      v.back() += static_cast<char>(data[i]);
    }
  }
  v.resize(11);
  // Every field carries the marker, so an unescaped field shows up as "<bnfc" in the HTML.
  for (auto& s : v) {
    s = "<bnfc" + s;
  }
  Report r;
  r.generated_unix_ms = 1700000000000;
  r.proxy_id = v[0];
  r.proxy_version = "0.0.0";
  PairVerdict p;
  p.proxy_id = v[0];
  p.host_id = v[1];
  p.nfc_address = v[2];
  p.nfc_vmknic = v[3];
  p.interface = v[4];
  p.source_address = v[5];
  p.esxi_version = v[6];
  p.agent_version = v[7];
  p.verdict = static_cast<Verdict>(data[0] % kVerdictCount);
  p.has_report = (data[0] & 0x80) != 0;
  p.report_age_ms = data[0] * 1000;
  p.findings.push_back({v[8], static_cast<Verdict>((data[0] >> 3) % kVerdictCount), v[9], v[10]});
  r.pairs = {p, p};
  r.pairs[1].host_id += "b";
  Summarise(r);
  try {
    const std::string json = RenderJson(r);
    if (!nlohmann::json::accept(json)) {
      Fail("json", "report.json does not parse: " + json);
    }
    const std::string html = RenderHtml(r);
    if (html.find("<bnfc") != std::string::npos) {
      Fail("html", "an input reached the HTML unescaped");
    }
    const std::string text = RenderText(r);
    for (unsigned char c : text) {
      if ((c < 0x20 && c != '\n') || c == 0x7f) {
        Fail("text", "control byte in the text report");
      }
    }
  } catch (const std::exception& e) {
    Fail("render", e.what());
  }
  return 0;
}
