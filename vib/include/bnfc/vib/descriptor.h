// descriptor.xml: what ESXi reads from a VIB (esxi.md §3.2), parsed with expat.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/vib/problem.h"
#include "bnfc/vib/xml.h"

namespace bnfc::vib {

struct DescriptorChecksum {
  std::string type;            // "sha-256", "sha-1"
  std::string verify_process;  // "" (over the member) or "gunzip" (over the uncompressed tar)
  std::string value;
};

struct DescriptorPayload {
  std::string name;
  std::string type;  // "tgz", "vgz"
  std::optional<uint64_t> size;
  std::string size_text;  // as written
  std::vector<DescriptorChecksum> checksums;
  int line = 0;
};

struct Descriptor {
  std::string schema_version;  // <vib version="5.0">
  std::string type, name, version, vendor, summary, description, release_date;
  std::string acceptance_level;
  std::string live_install_allowed, live_remove_allowed, cimom_restart, stateless_ready, overlay;
  std::string maintenance_mode;
  std::vector<std::string> files;
  std::vector<DescriptorPayload> payloads;
  std::vector<std::string> element_order;  // names of <vib>'s children, in document order
  XmlNode tree;                            // the whole document
};

// Top-level elements ESXi 7/8 VIBs carry, in the order every tool emits them.
const std::vector<std::string>& DescriptorElementOrder();

// Fails only when the bytes are not XML or the root is not <vib>; missing or odd elements are
// reported by CheckDescriptor.
Expected<Descriptor> ParseDescriptor(std::string_view xml);
// DESCRIPTOR_ELEMENT_MISSING, DESCRIPTOR_ORDER, DESCRIPTOR_UNKNOWN_ELEMENT, DESCRIPTOR_BAD_VALUE.
void CheckDescriptor(const Descriptor& d, Problems* problems);

// "<vendor>_<type>_<name>_<version>", the VIB ID esxcli prints.
std::string VibId(const Descriptor& d);

}  // namespace bnfc::vib
