// esxcli formatters: the default text formatter (table, keyed list, single structure) and the
// --formatter=xml|csv|keyvalue outputs. Rules and their evidence are listed in docs/esxsim.md.
#pragma once

#include <string>
#include <vector>

#include "esxsim/value.h"

namespace esxsim {

enum class Formatter { kText, kXml, kCsv, kKeyValue };

// "xml" -> kXml ...; false for an unknown name.
bool ParseFormatter(const std::string& name, Formatter* out);

std::string FormatText(const Output& out);
std::string FormatXml(const Output& out);
std::string FormatCsv(const Output& out);
std::string FormatKeyValue(const Output& out);
std::string Format(const Output& out, Formatter f);

// One table: columns separated by two spaces, each as wide as its widest cell, strings
// left-aligned, numbers and booleans right-aligned. A left-aligned last column is not padded and
// its dash line is as long as its header (the ESXi neighbor-list capture shows `----` above
// `Dynamic`).
struct Column {
  std::string header;
  bool right = false;
};
std::string RenderTable(const std::vector<Column>& columns,
                        const std::vector<std::vector<std::string>>& rows);

// Text of one scalar or string list as the text formatter prints it (lists joined by ", ").
std::string ScalarText(const Value& v);

std::string XmlEscape(const std::string& s);

}  // namespace esxsim
