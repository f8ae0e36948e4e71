// bnfc-hostd subcommands.
#include "hostagent/cli.h"

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
    "  tag    [--config FILE] [--json]     one cycle that applies the tag policy (ensure)\n"
    "  --version                           print the version\n"
    "  --help                              this text\n"
    "\n"
    "The default config file is /etc/bnfc/hostd.conf (docs/host-agent.md lists every key).\n";

struct Flags {
  bool json = false;
  std::string from_dir;
  std::string config = "/etc/bnfc/hostd.conf";
  bool help = false;
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
  err << "bnfc-hostd: unknown command '" << args[0] << "'\n" << kUsage;
  return 2;
}

}  // namespace bnfc::hostagent
