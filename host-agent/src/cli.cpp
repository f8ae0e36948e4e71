// bnfc-hostd subcommands.
#include "hostagent/cli.h"

#include <chrono>

#include "bnfc/log.h"
#include "hostagent/agent_config.h"
#include "hostagent/cycle.h"
#include "hostagent/inventory.h"

namespace bnfc::hostagent {
namespace {

const char* kUsage =
    "usage: bnfc-hostd COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  inventory --from-dir DIR [--json]   analyse saved esxcli outputs (support bundles)\n"
    "  check  [--config FILE] [--json]     one read-only cycle; print findings; exit 0 only when\n"
    "                                      the host is ready for isolated NBD\n"
    "  status [--config FILE] [--json]     one read-only cycle; print the host state\n"
    "  tag    [--config FILE] [--json] [--force]\n"
    "                                      one cycle that applies ensure; refuses (exit 1) unless\n"
    "                                      a proxy backup address answers a DF ping at the MTU\n"
    "                                      from the backup vmknic; --force skips that proof\n"
    "  run    [--config FILE] [--foreground]\n"
    "                                      the agent: a cycle every interval, reports to the\n"
    "                                      proxies, failover; stops on SIGTERM\n"
    "  keygen [--config FILE | --dir DIR]  create this host's CURVE key pair if missing\n"
    "  key show [--config FILE | --dir DIR]\n"
    "                                      print this host's public key and fingerprint\n"
    "  --version                           print the version\n"
    "  --help                              this text\n"
    "\n"
    "`bnfc-hostd COMMAND --help` shows a command's options and exit statuses.\n"
    "The default config file is /etc/bnfc/hostd.conf (docs/host-agent.md lists every key).\n";

constexpr const char* kDefaultConfig = "/etc/bnfc/hostd.conf";

struct Flags {
  bool json = false;
  std::string from_dir;
  std::string config = kDefaultConfig;
  bool force = false;
};

Flags FlagsFrom(const cli::Parsed& p) {
  Flags f;
  f.json = p.Has("json");
  f.force = p.Has("force");
  f.from_dir = p.Get("from-dir");
  f.config = p.Get("config", kDefaultConfig);
  return f;
}

int CmdInventory(const Flags& f, std::ostream& out, std::ostream& err) {
  if (f.from_dir.empty()) {
    err << "bnfc-hostd inventory: --from-dir DIR is required (a folder of saved esxcli "
           "outputs, see docs/host-agent.md)\n";
    return 2;
  }
  auto inv = LoadInventoryFromDir(f.from_dir);
  if (!inv.ok()) {
    err << "bnfc-hostd inventory: " << inv.error().message << "\n";
    return 1;
  }
  if (f.json) {
    // Captures may hold invalid UTF-8: replaced with U+FFFD instead of throwing (an abort).
    out << InventoryToJson(*inv).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
  } else {
    out << InventoryToText(*inv);
  }
  return 0;
}

// check / status / tag: one cycle with the real runner.
int CmdCycle(const std::string& cmd, const Flags& f, std::ostream& out, std::ostream& err) {
  auto cfg = LoadAgentConfig(f.config);
  if (!cfg.ok()) {
    err << "bnfc-hostd " << cmd << ": " << cfg.error().message << "\n";
    return 2;
  }
  log::Options lo;
  lo.ident = "bnfc-hostd";
  bool level_ok = true;
  lo.min_level = log::ParseLevel(cfg->log_level, &level_ok);
  lo.to_syslog = cmd == "tag";  // every tag change reaches syslog, from the agent or by hand
  log::Init(lo);
  EngineSettings settings = cfg->engine;
  if (cmd == "tag") {
    settings.policy = TagPolicy::kEnsure;
  }
  PosixCommandRunner runner;
  CycleEngine engine(runner, settings);
  CycleOptions options;
  options.allow_changes = cmd == "tag";
  options.consent_missing = "";  // `tag` is the operator's consent; the path proof still counts
  options.force = f.force;
  options.now_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  CycleResult r = engine.RunCycle(options);
  for (const proto::TagChange& c : r.report.changes()) {
    std::string line = std::string(c.ok() ? "" : "FAILED: ") + c.action() +
                       " vSphereBackupNFC on " + c.vmknic() + " (" + c.reason() + ")";
    if (c.ok()) {
      log::Info(line);
    } else {
      log::Error(line);
    }
  }
  if (f.json) {
    out << CycleResultJson(r) << "\n";
  } else {
    out << CycleResultText(r);
  }
  if (cmd == "check") {
    return r.ready ? 0 : 1;
  }
  if (cmd == "tag") {
    if (!r.planned.empty() && !r.blockers.empty()) {
      std::string why;
      for (const std::string& b : r.blockers) {
        why += (why.empty() ? "" : "; ") + b;
      }
      err << "bnfc-hostd tag: refusing to change vSphereBackupNFC: " << why
          << " (nothing was changed; --force changes it anyway)\n";
      return 1;
    }
    const bool placed =
        !r.report.backup_vmknic().empty() && r.report.nfc_vmknic() == r.report.backup_vmknic();
    for (const Finding& x : r.findings) {
      if (x.code == codes::kTagChangeFailed || x.code == codes::kTagVerifyFailed) {
        return 1;
      }
    }
    return placed || r.report.failover_active() ? 0 : 1;
  }
  for (const Finding& x : r.findings) {
    if (x.code == codes::kCommandFailed || x.code == codes::kParseError) {
      return 1;
    }
  }
  return 0;
}

}  // namespace

const std::vector<cli::Command>& Commands() {
  using cli::Command;
  using cli::Option;
  const Option config{"config", "FILE", "configuration (default /etc/bnfc/hostd.conf)"};
  const Option json{"json", "", "JSON instead of text"};
  const Option dir{"dir", "DIR",
                   "the key pair in DIR (hostd.key, hostd.key_secret), not the config's"};
  const std::string usage = "  2  usage error, or the configuration cannot be read\n";
  static const std::vector<Command> commands = {
      {"inventory",
       "",
       "Analyse saved esxcli outputs (a support bundle's commands/ folder or bnfc-collect.sh's).\n"
       "--from-dir is required.",
       {{"from-dir", "DIR", "the folder of saved esxcli outputs"}, json},
       0,
       0,
       "  0  analysed\n  1  the folder cannot be read\n  2  usage error (no --from-dir)\n"},
      {"check",
       "",
       "One read-only cycle: print the findings and whether the host is ready for isolated NBD.",
       {config, json},
       0,
       0,
       "  0  ready for isolated NBD\n  1  not ready, or an esxcli command failed\n" + usage},
      {"status",
       "",
       "One read-only cycle: print the host state.",
       {config, json},
       0,
       0,
       "  0  printed\n  1  an esxcli command failed or its output could not be parsed\n" + usage},
      {"tag",
       "",
       "One cycle that applies tag_policy ensure. Refuses unless a proxy backup address answers a\n"
       "DF ping at the MTU from the backup vmknic; --force skips that proof.",
       {config, json, {"force", "", "change the tag without the path proof"}},
       0,
       0,
       "  0  the tag is on the backup vmknic (or failover holds it on management)\n"
       "  1  refused (no path proof; nothing was changed) or the change failed\n" +
           usage},
      {"run",
       "",
       "The agent: a cycle every interval, reports to every configured proxy, failover; stops on\n"
       "SIGTERM.",
       {config, {"foreground", "", "log to stderr as well as syslog"}},
       0,
       0,
       "  0  stopped by SIGTERM or SIGINT\n  1  cannot start or keep running (keys, the command "
       "helper)\n" +
           usage},
      {"keygen",
       "",
       "Create this host's CURVE key pair if missing (the config's key files, or DIR's).",
       {config, dir},
       0,
       0,
       "  0  created, or it exists\n  1  cannot be created or read\n" + usage},
      {"key show",
       "",
       "Print this host's public key and its fingerprint.",
       {config, dir},
       0,
       0,
       "  0  printed\n  1  no key (run `bnfc-hostd keygen`)\n" + usage},
  };
  return commands;
}

std::optional<Invocation> Resolve(const std::vector<std::string>& args, std::ostream& out,
                                  std::ostream& err, int* exit_code) {
  *exit_code = 2;
  if (args.empty()) {
    err << kUsage;
    return std::nullopt;
  }
  std::string name = args[0];
  size_t used = 1;
  if (name == "key") {
    const bool verb = args.size() > 1 && !args[1].empty() && args[1][0] != '-';
    name += " " + (verb ? args[1] : std::string("show"));
    used = verb ? 2 : 1;
  }
  Invocation inv;
  for (const auto& c : Commands()) {
    inv.command = c.name == name ? &c : inv.command;
  }
  if (inv.command == nullptr) {
    err << "bnfc-hostd: unknown command '" << name << "' (see `bnfc-hostd --help`)\n";
    return std::nullopt;
  }
  auto parsed = cli::Parse(*inv.command, {args.begin() + static_cast<long>(used), args.end()});
  if (!parsed) {
    err << "bnfc-hostd " << parsed.error().message << "\n";
    return std::nullopt;
  }
  if (parsed->help) {
    out << cli::Help("bnfc-hostd", *inv.command);
    *exit_code = 0;
    return std::nullopt;
  }
  if (parsed->Has("config") && parsed->Has("dir")) {
    err << "bnfc-hostd " << name << ": --config and --dir contradict each other (give one)\n";
    return std::nullopt;
  }
  inv.parsed = std::move(*parsed);
  return inv;
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h" || args[0] == "help")) {
    out << kUsage;
    return 0;
  }
  int code = 2;
  auto inv = Resolve(args, out, err, &code);
  if (!inv) {
    return code;
  }
  const std::string& name = inv->command->name;
  const Flags f = FlagsFrom(inv->parsed);
  if (name == "inventory") {
    return CmdInventory(f, out, err);
  }
  if (name == "check" || name == "status" || name == "tag") {
    return CmdCycle(name, f, out, err);
  }
  err << "bnfc-hostd: '" << name << "' runs only in the bnfc-hostd binary\n";
  return 2;
}

}  // namespace bnfc::hostagent
