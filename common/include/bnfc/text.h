// Small text helpers shared by every component that writes markup.
#pragma once

#include <string>
#include <string_view>

namespace bnfc::text {

// Escapes & < > " ' for XML and HTML text and attribute values.
std::string EscapeXml(std::string_view text);

}  // namespace bnfc::text
