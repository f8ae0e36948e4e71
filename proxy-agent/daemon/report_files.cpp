#include "report_files.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bnfc/text.h"

namespace bnfc::proxyd {

std::string PinsJson(const std::vector<PinRow>& pins, const std::string& error) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& p : pins) {
    rows.push_back({{"host", p.host_id},
                    {"nfc_address", p.nfc_address},
                    {"interface", p.interface},
                    {"source", p.source},
                    {"installed", p.installed},
                    {"why", p.why}});
  }
  return nlohmann::json{{"pins", rows}, {"error", error}}.dump(
             2, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

std::string PinsText(const std::vector<PinRow>& pins, const std::string& error) {
  std::ostringstream out;
  char line[200];
  std::snprintf(line, sizeof line, "%-16s %-40s %-10s %-16s %s\n", "HOST", "NFC ADDRESS",
                "INTERFACE", "SOURCE", "WHY");
  out << line;
  for (const auto& p : pins) {
    // The reason is appended whole: a fixed buffer would cut long reasons and their newline.
    // Values that came from hosts are escaped: no control byte reaches a terminal raw.
    const auto e = [](const std::string& v) { return text::EscapeForLine(v, 256); };
    std::snprintf(line, sizeof line, "%-16.16s %-40.40s %-10.10s %-16.16s ", e(p.host_id).c_str(),
                  e(p.nfc_address).c_str(), e(p.interface).c_str(), e(p.source).c_str());
    out << line << text::EscapeForLine(p.why, 4096) << "\n";
  }
  if (!error.empty())
    out << "error: " << text::EscapeForLine(error, 4096) << "\n";
  return out.str();
}

}  // namespace bnfc::proxyd
