// Fuzz entry point for the host agent's esxcli/vmkping parsers (host-agent/include/hostagent/
// parse.h). Every input goes through every parser, text, XML and CSV formatter. Invariants, checked
// by aborting: no crash or hang; an error is a kParse error whose message names the command; a
// value that parses has sane contents (names non-empty, MTU in range, ping counts non-negative).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hostagent/parse.h"

namespace {

using bnfc::ErrorCode;
using bnfc::hostagent::Format;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "esxcli_parse_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

template <typename T>
void CheckError(const bnfc::Expected<T>& r, const char* command) {
  if (r.ok()) {
    return;
  }
  if (r.error().code != ErrorCode::kParse) {
    Fail("error code is not kParse", r.error().ToString());
  }
  if (r.error().message.find(command) == std::string::npos) {
    Fail("error does not name the command", r.error().message);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (Format f : {Format::kText, Format::kXml, Format::kCsv}) {
    auto v = bnfc::hostagent::ParseSystemVersion(in, f);
    CheckError(v, "esxcli system version get");
    if (v.ok() && !v->product && !v->version) {
      Fail("version without product and version", std::string(in));
    }
    auto i = bnfc::hostagent::ParseInterfaceList(in, f);
    CheckError(i, "esxcli network ip interface list");
    if (i.ok()) {
      for (const auto& row : *i) {
        if (row.name.empty() || (row.mtu && (*row.mtu < 68 || *row.mtu > 65535))) {
          Fail("bad interface row", row.name);
        }
      }
    }
    auto four = bnfc::hostagent::ParseIpv4Get(in, f);
    CheckError(four, "esxcli network ip interface ipv4 get");
    if (four.ok()) {
      for (const auto& row : *four) {
        if (row.name.empty() || (row.prefix && (*row.prefix < 0 || *row.prefix > 32))) {
          Fail("bad ipv4 row", row.name);
        }
      }
    }
    CheckError(bnfc::hostagent::ParseIpv6AddressList(in, f),
               "esxcli network ip interface ipv6 address list");
    CheckError(bnfc::hostagent::ParseTagGet(in, f), "esxcli network ip interface tag get");
    CheckError(bnfc::hostagent::ParseNetstackList(in, f), "esxcli network ip netstack list");
    CheckError(bnfc::hostagent::ParseNeighborList(in, f), "esxcli network ip neighbor list");
    CheckError(bnfc::hostagent::ParseRouteIpv4List(in, f), "esxcli network ip route ipv4 list");
    auto pg = bnfc::hostagent::ParsePortgroupList(in, f);
    CheckError(pg, "esxcli network vswitch standard portgroup list");
    if (pg.ok()) {
      for (const auto& row : *pg) {
        if (row.name.empty() || row.vswitch.empty() || row.vlan_id < 0 || row.vlan_id > 4095) {
          Fail("bad portgroup row", row.name);
        }
      }
    }
  }
  auto p = bnfc::hostagent::ParseVmkping(in);
  CheckError(p, "vmkping");
  if (p.ok() && (p->transmitted < 0 || p->received < 0 || p->replies < 0)) {
    Fail("negative ping counts", std::string(in));
  }
  return 0;
}
