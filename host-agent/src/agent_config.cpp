#include "hostagent/agent_config.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <sstream>

#include "bnfc/fs.h"
#include "bnfc/host_id.h"

namespace bnfc::hostagent {

using config::KeySpec;
using config::Type;

const config::Schema& HostdSchema() {
  static const config::Schema schema = {
      KeySpec::Make("host_id", Type::kString,
                    "name of this host in reports (default: the hostname)"),
      KeySpec::Make("backup_vmk", Type::kString, "backup vmknic by name, e.g. vmk2"),
      KeySpec::Make("backup_portgroup", Type::kString, "backup vmknic by portgroup name"),
      KeySpec::Make("backup_subnet", Type::kPrefix,
                    "backup vmknic by IPv4 subnet, e.g. 10.99.0.0/24"),
      KeySpec::Make("tag_policy", Type::kEnum,
                    "observe: only report (and plan); ensure: add vSphereBackupNFC once a proxy "
                    "acknowledged a report and the backup path checks passed")
          .Choices({"ensure", "observe"})
          .Default("observe"),
      KeySpec::Make("exclusive", Type::kBool, "remove vSphereBackupNFC from every other vmknic")
          .Default("false"),
      KeySpec::Make("fallback", Type::kEnum,
                    "management: move the tag to the management vmknic when no proxy is "
                    "reachable for fallback_cycles cycles")
          .Choices({"none", "management"})
          .Default("none"),
      KeySpec::Make("fallback_cycles", Type::kInt, "K: consecutive bad/good cycles before a move")
          .Range(1, 1000)
          .Default("3"),
      KeySpec::Make("interval", Type::kDuration, "time between cycles and heartbeats")
          .Default("60s"),
      KeySpec::Make("proxy", Type::kString,
                    "a proxy to report to: ADDRESS:PORT SERVER_PUBLIC_KEY_Z85")
          .Repeated(),
      KeySpec::Make("probe", Type::kString,
                    "a proxy backup address to check from the backup vmknic: ADDRESS [MTU]")
          .Repeated(),
      KeySpec::Make("public_key_file", Type::kPath, "this host's CURVE public key (Z85)")
          .Default("/etc/bnfc/hostd.key"),
      KeySpec::Make("secret_key_file", Type::kPath, "this host's CURVE secret key (Z85)")
          .Default("/etc/bnfc/hostd.key_secret"),
      KeySpec::Make("read_cli", Type::kString, "command used for reads (localcli needs no hostd)")
          .Default("localcli"),
      KeySpec::Make("change_cli", Type::kString,
                    "command used for tag changes (esxcli: hostd and vCenter see them)")
          .Default("esxcli"),
      KeySpec::Make("fallback_cli", Type::kString,
                    "used when read_cli/change_cli fails, e.g. hostd down; empty: none")
          .Default("localcli"),
      KeySpec::Make("hostd_check", Type::kBool,
                    "read the backup vmknic's tags through change_cli each cycle, so a stopped "
                    "hostd (which also serves NFC) is noticed")
          .Default("true"),
      KeySpec::Make("vmkping", Type::kString, "the vmkping command").Default("vmkping"),
      KeySpec::Make("formatter", Type::kEnum, "esxcli output format to request")
          .Choices({"xml", "text"})
          .Default("xml"),
      KeySpec::Make("command_timeout", Type::kDuration, "timeout of one command").Default("30s"),
      KeySpec::Make("tag_rescan_cycles", Type::kInt,
                    "read the tags of every default-stack vmknic every N cycles")
          .Range(1, 100000)
          .Default("10"),
      KeySpec::Make("log_level", Type::kEnum, "debug, info, warning or error")
          .Choices({"debug", "info", "warning", "error"})
          .Default("info"),
  };
  return schema;
}

namespace {

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) {
    out.push_back(w);
  }
  return out;
}

bool IsZ85Key(const std::string& k) {
  static const std::string alphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  return k.size() == 40 && k.find_first_not_of(alphabet) == std::string::npos;
}

bool ParsePort(const std::string& s, int* port) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *port = std::atoi(s.c_str());
  return *port >= 1 && *port <= 65535;
}

}  // namespace

Expected<AgentConfig> ParseAgentConfig(const std::string& text, const std::string& source) {
  auto parsed = config::ParseText(text, source, HostdSchema());
  if (!parsed.ok()) {
    return parsed.error();
  }
  const config::Config& c = *parsed;
  AgentConfig a;
  EngineSettings& s = a.engine;

  int selectors = 0;
  for (const char* k : {"backup_vmk", "backup_portgroup", "backup_subnet"}) {
    selectors += c.Has(k) ? 1 : 0;
  }
  if (selectors != 1) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      source +
                          ": exactly one of backup_vmk, backup_portgroup, backup_subnet is "
                          "required (found " +
                          std::to_string(selectors) + ")");
  }
  if (c.Has("backup_vmk")) {
    config::Entry e = c.GetAll("backup_vmk").front();
    const std::string& v = e.value;
    if (v.size() < 4 || v.size() > 5 || v.compare(0, 3, "vmk") != 0 ||
        v.find_first_not_of("0123456789", 3) != std::string::npos) {
      return config::KeyError(source, e, "backup_vmk",
                              "expected a vmknic name vmk0..vmk99, got '" + v + "'");
    }
    s.selector = Selector::ByName(v);
  } else if (c.Has("backup_portgroup")) {
    s.selector = Selector::ByPortgroup(*c.GetString("backup_portgroup"));
  } else {
    config::Entry e = c.GetAll("backup_subnet").front();
    auto sel = Selector::BySubnet(e.value);
    if (!sel.ok()) {
      return config::KeyError(source, e, "backup_subnet", sel.error().message);
    }
    s.selector = *sel;
  }

  if (c.Has("host_id")) {
    s.host_id = *c.GetString("host_id");
    if (auto valid = ValidateHostId(s.host_id); !valid) {
      return config::KeyError(source, c.GetAll("host_id").back(), "host_id", valid.error().message);
    }
  } else {
    char name[256] = {0};
    s.host_id = gethostname(name, sizeof(name) - 1) == 0 ? name : "unknown";
    if (auto valid = ValidateHostId(s.host_id); !valid) {
      return Unexpected(
          ErrorCode::kInvalidArgument,
          source + ": the hostname is not a usable host id; set host_id: " + valid.error().message);
    }
  }
  s.policy = *c.GetString("tag_policy") == "observe" ? TagPolicy::kObserve : TagPolicy::kEnsure;
  s.exclusive = *c.GetBool("exclusive");
  s.failover = *c.GetString("fallback") == "management";
  s.failover_cycles = static_cast<int>(*c.GetInt("fallback_cycles"));
  a.interval = *c.GetDuration("interval");
  if (a.interval.count() <= 0) {
    return config::KeyError(source, c.GetAll("interval").front(), "interval",
                            "expected a duration above 0, e.g. 60s");
  }
  s.read_cli = *c.GetString("read_cli");
  s.change_cli = *c.GetString("change_cli");
  s.fallback_cli = *c.GetString("fallback_cli");
  s.hostd_check = *c.GetBool("hostd_check");
  s.vmkping = *c.GetString("vmkping");
  for (const char* k : {"read_cli", "change_cli", "vmkping"}) {
    if (c.GetString(k)->empty()) {
      return config::KeyError(source, c.GetAll(k).front(), k, "expected a command name or path");
    }
  }
  s.format = *c.GetString("formatter") == "text" ? Format::kText : Format::kXml;
  s.command_timeout = *c.GetDuration("command_timeout");
  s.tag_rescan_cycles = static_cast<int>(*c.GetInt("tag_rescan_cycles"));
  a.public_key_file = *c.GetString("public_key_file");
  a.secret_key_file = *c.GetString("secret_key_file");
  a.log_level = *c.GetString("log_level");

  for (const config::Entry& e : c.GetAll("probe")) {
    std::vector<std::string> w = Words(e.value);
    if (w.empty() || w.size() > 2) {
      return config::KeyError(source, e, "probe",
                              "expected 'ADDRESS [MTU]', got '" + e.value + "'");
    }
    if (!net::IpAddress::Parse(w[0]).ok()) {
      return config::KeyError(source, e, "probe", "expected an IP address, got '" + w[0] + "'");
    }
    ProbeAddress p;
    p.address = net::IpAddress::Parse(w[0])->ToString();
    p.source = "config";
    if (w.size() == 2) {
      int mtu = 0;
      if (w[1].find_first_not_of("0123456789") != std::string::npos || w[1].size() > 5 ||
          (mtu = std::atoi(w[1].c_str())) < 576 || mtu > 9216) {
        return config::KeyError(source, e, "probe",
                                "expected an MTU between 576 and 9216, got '" + w[1] + "'");
      }
      p.mtu = static_cast<uint32_t>(mtu);
    }
    s.probes.push_back(p);
  }
  for (const config::Entry& e : c.GetAll("proxy")) {
    std::vector<std::string> w = Words(e.value);
    if (w.size() != 2) {
      return config::KeyError(
          source, e, "proxy",
          "expected 'ADDRESS:PORT SERVER_PUBLIC_KEY_Z85', got '" + e.value + "'");
    }
    std::string ep = w[0];
    if (ep.compare(0, 6, "tcp://") == 0) {
      ep = ep.substr(6);
    }
    size_t colon = ep.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0 || !ParsePort(ep.substr(colon + 1), &port)) {
      return config::KeyError(source, e, "proxy",
                              "expected ADDRESS:PORT with a port 1..65535, got '" + w[0] + "'");
    }
    if (!IsZ85Key(w[1])) {
      return config::KeyError(
          source, e, "proxy",
          "expected the proxy's public key as 40 Z85 characters, got '" + w[1] + "'");
    }
    a.proxies.push_back(ProxyConfig{"tcp://" + ep, w[1]});
  }
  return a;
}

Expected<AgentConfig> LoadAgentConfig(const std::string& path) {
  auto text = fs::ReadFile(path, 1u << 20);
  if (!text.ok()) {
    return text.error();
  }
  return ParseAgentConfig(*text, path);
}

}  // namespace bnfc::hostagent
