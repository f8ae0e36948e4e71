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
    "usage: bnfc-hostd COMMAND [options]\n"
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
    "The default config file is /etc/bnfc/hostd.conf (docs/host-agent.md lists every key).\n";

struct Flags {
  bool json = false;
  std::string from_dir;
  std::string config = "/etc/bnfc/hostd.conf";
  bool help = false;
  bool force = false;
};

bool ParseFlags(const std::vector<std::string>& args, Flags* f, std::ostream& err) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) {
        err << "bnfc-hostd " << args[0] << ": option " << a << " needs a value\n";
        return false;
      }
      *dst = args[++i];
      return true;
    };
    if (a == "--json") {
      f->json = true;
    } else if (a == "--force" && args[0] == "tag") {
      f->force = true;
    } else if (a == "--help" || a == "-h") {
      f->help = true;
    } else if (a == "--from-dir") {
      if (!value(&f->from_dir)) {
        return false;
      }
    } else if (a.rfind("--from-dir=", 0) == 0) {
      f->from_dir = a.substr(11);
    } else if (a == "--config") {
      if (!value(&f->config)) {
        return false;
      }
    } else if (a.rfind("--config=", 0) == 0) {
      f->config = a.substr(9);
    } else {
      err << "bnfc-hostd " << args[0] << ": unknown option '" << a << "' (see --help)\n";
      return false;
    }
  }
  return true;
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
    out << InventoryToJson(*inv).dump(2) << "\n";
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

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    out << kUsage;
    return 0;
  }
  Flags f;
  if (!ParseFlags(args, &f, err)) {
    return 2;
  }
  if (f.help) {
    out << kUsage;
    return 0;
  }
  if (args[0] == "inventory") {
    return CmdInventory(f, out, err);
  }
  if (args[0] == "check" || args[0] == "status" || args[0] == "tag") {
    return CmdCycle(args[0], f, out, err);
  }
  err << "bnfc-hostd: unknown command '" << args[0] << "'\n" << kUsage;
  return 2;
}

}  // namespace bnfc::hostagent
