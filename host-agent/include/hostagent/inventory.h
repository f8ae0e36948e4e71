// Inventory of a host from saved esxcli outputs (`bnfc-hostd inventory --from-dir DIR`) and the
// JSON/text renderings shared with `status`.
//
// File naming (ARCHITECTURE.md "Saved esxcli outputs"): the command's words after `esxcli` joined
// by `_`, `.txt` for the text formatter, `.xml` for --formatter=xml, per-vmknic commands end in
// `_<vmk>`. The `.xml` twin is preferred when both exist (the text one is used if the XML does not
// parse). Missing files become FILE_MISSING problems, unparsable ones PARSE_ERROR problems; the
// load fails only when no file at all could be used.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bnfc/expected.h"
#include "hostagent/model.h"

namespace bnfc::hostagent {

struct Problem {
  std::string code;    // FILE_MISSING, PARSE_ERROR, FILE_UNREADABLE, ...
  std::string detail;  // file name or sentence
};

struct Inventory {
  HostState state;
  bool have_version = false;
  std::vector<Problem> problems;
  std::vector<std::string> files_used;  // in the order they were read
};

Expected<Inventory> LoadInventoryFromDir(const std::string& dir);

// {"host": {...}, "vmknics": [...], "neighbors": [...], "routes": [...], "netstacks": [...],
//  "problems": [...]}; a field the capture lacks is null.
nlohmann::json InventoryToJson(const Inventory& inv);
nlohmann::json HostJson(const VersionInfo& v);
nlohmann::json VmknicJson(const VmknicInfo& v);
nlohmann::json NeighborJson(const NeighborRow& n);
nlohmann::json RouteJson(const RouteRow& r);
// Human-readable summary for terminals.
std::string InventoryToText(const Inventory& inv);

}  // namespace bnfc::hostagent
