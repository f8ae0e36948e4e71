// Parsers for the esxcli outputs the host agent reads: pure functions from bytes to values.
//
// Text formatter: keyed lists ("vmk0" then "   Field: value" lines), single structures and tables
// (header, dash line, rows; columns located by the dash line). XML formatter (--formatter=xml):
// <output><root> with <structure>/<list> children, read with expat. Fields are matched by their
// name with spaces and punctuation removed, case-insensitively ("MAC Address" == "MACAddress"),
// so text, XML and CSV share the converters. CSV formatter (--formatter=csv): a header of field
// keys, one line per record, a trailing comma on every line; quoted cells may hold commas. Unknown
// extra fields/columns are ignored; known optional ones that are missing give std::nullopt. Errors
// (kParse) name the command, the line and what was expected: "esxcli network ip interface list:
// line 4: expected 'Field Name: value' ...".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bnfc/expected.h"
#include "hostagent/model.h"

namespace bnfc::hostagent {

enum class Format { kText, kXml, kCsv };

Expected<VersionInfo> ParseSystemVersion(std::string_view bytes, Format format);
Expected<std::vector<InterfaceRow>> ParseInterfaceList(std::string_view bytes, Format format);
Expected<std::vector<Ipv4Row>> ParseIpv4Get(std::string_view bytes, Format format);
Expected<std::vector<Ipv6Row>> ParseIpv6AddressList(std::string_view bytes, Format format);
Expected<std::vector<std::string>> ParseTagGet(std::string_view bytes, Format format);
Expected<std::vector<NetstackRow>> ParseNetstackList(std::string_view bytes, Format format);
Expected<std::vector<NeighborRow>> ParseNeighborList(std::string_view bytes, Format format);
Expected<std::vector<RouteRow>> ParseRouteIpv4List(std::string_view bytes, Format format);
// esxcli network vswitch standard portgroup list: Name, Virtual Switch, Active Clients, VLAN ID
// (0..4095). No rows is valid (a host whose vmknics are all on distributed switches).
Expected<std::vector<PortgroupRow>> ParsePortgroupList(std::string_view bytes, Format format);
// vmkping text output (also `ping`): header, replies, send errors, statistics.
Expected<PingResult> ParseVmkping(std::string_view bytes);

// "Error: Unknown command or namespace ..." style output: the message without "Error: ", or ""
// when the bytes do not look like an esxcli error.
std::string EsxcliErrorText(std::string_view bytes);

}  // namespace bnfc::hostagent
