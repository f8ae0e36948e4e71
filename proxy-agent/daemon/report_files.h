// What is pinned and why: `bnfc-proxyd pins` reads these renderings from the state directory.
#pragma once

#include <string>
#include <vector>

namespace bnfc::proxyd {

struct PinRow {
  std::string host_id;
  std::string nfc_address;
  std::string interface;
  std::string source;
  bool installed = false;
  std::string why;
};

std::string PinsJson(const std::vector<PinRow>& pins, const std::string& error);
std::string PinsText(const std::vector<PinRow>& pins, const std::string& error);

}  // namespace bnfc::proxyd
