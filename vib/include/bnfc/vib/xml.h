// A small element tree over expat, enough for VIB descriptors and depot metadata, and a writer
// that produces the indented layout VIB tools emit.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bnfc/expected.h"

namespace bnfc::vib {

struct XmlNode {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;  // in document order
  std::string text;                                        // character data, whitespace trimmed
  std::vector<XmlNode> children;
  int line = 0;

  const XmlNode* Child(std::string_view child_name) const;
  XmlNode* Child(std::string_view child_name);
  std::vector<const XmlNode*> Children(std::string_view child_name) const;
  const std::string* Attr(std::string_view attr_name) const;
  // Builders.
  static XmlNode Element(std::string name, std::string text = {});
  XmlNode& Add(XmlNode child);
  XmlNode& Add(std::string child_name, std::string child_text);
  XmlNode& SetAttr(std::string attr_name, std::string value);
};

// Parses a whole document. `what` names the document in errors: "descriptor.xml line 3 column 7:
// mismatched tag". Documents deeper than 64 levels or with a DOCTYPE are refused.
Expected<XmlNode> ParseXml(std::string_view text, const std::string& what);

// Indented by two spaces per level, one element per line, `<a/>` for empty elements, text and
// attribute values escaped. No XML declaration unless `declaration` is true.
std::string WriteXml(const XmlNode& root, bool declaration = false);

}  // namespace bnfc::vib
