// The validation report as data, and its JSON, text and HTML renderings.
#pragma once

#include <string>
#include <vector>

#include "verdict.h"

namespace bnfc::proxyd {

struct PinRow {
  std::string host_id;
  std::string nfc_address;
  std::string interface;
  std::string source;
  bool installed = false;
  std::string why;
};

struct ReportSnapshot {
  int64_t generated_at_ms = 0;
  std::string proxy_id;
  std::vector<PairResult> pairs;
  std::vector<PinRow> pins;
  std::string pin_error;
};

std::string RenderJson(const ReportSnapshot& r);
std::string RenderText(const ReportSnapshot& r);
std::string RenderHtml(const ReportSnapshot& r);
std::string PinsJson(const ReportSnapshot& r);
std::string PinsText(const ReportSnapshot& r);

}  // namespace bnfc::proxyd
