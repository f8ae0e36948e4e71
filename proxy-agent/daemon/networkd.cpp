#include "networkd.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <vector>

#include "bnfc/config.h"
#include "bnfc/fs.h"
#include "bnfc/text.h"

namespace bnfc::proxyd {
namespace {

using text::Trim;

// Applies the [Network] options found in one file to `check`.
void ApplyFile(const std::string& path, NetworkdCheck* check) {
  auto text = fs::ReadFile(path, 1 << 20);
  if (!text)
    return;
  std::istringstream lines(*text);
  std::string line, section;
  while (std::getline(lines, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';')
      continue;
    if (line.front() == '[') {
      section = line;
      continue;
    }
    auto eq = line.find('=');
    if (section != "[Network]" || eq == std::string::npos)
      continue;
    std::string key = Trim(line.substr(0, eq));
    auto value = config::ParseBool(Trim(line.substr(eq + 1)));
    if (!value)
      continue;
    if (key == "ManageForeignRoutes") {
      check->manage_foreign_routes = *value;
      check->detail += path + ": ManageForeignRoutes=" + (*value ? "yes" : "no") + "\n";
    } else if (key == "ManageForeignRoutingPolicyRules") {
      check->manage_foreign_rules = *value;
      check->detail += path + ": ManageForeignRoutingPolicyRules=" + (*value ? "yes" : "no") + "\n";
    }
  }
}

bool NetworkdProcessRuns(const std::string& root) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root + "/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    auto comm = fs::ReadFile(entry.path().string() + "/comm", 256);
    if (comm && Trim(comm->substr(0, comm->find('\n'))) == "systemd-network")
      return true;  // the kernel cuts comm at 15 characters
  }
  return false;
}

// The ADMIN_STATE networkd wrote for one link ("" when there is no state file).
std::string AdminState(const std::string& path) {
  auto text = fs::ReadFile(path, 1 << 16);
  if (!text)
    return "";
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("ADMIN_STATE=", 0) == 0)
      return Trim(line.substr(12));
  }
  return "";
}

}  // namespace

NetworkdCheck CheckNetworkd(const std::string& root, const std::vector<int>& ifindexes) {
  namespace stdfs = std::filesystem;
  NetworkdCheck check;
  std::error_code ec;
  check.running = NetworkdProcessRuns(root);
  const std::string links = root + "/run/systemd/netif/links";
  for (const auto& entry : stdfs::directory_iterator(links, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 ||
        name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (!ifindexes.empty() &&
        std::find(ifindexes.begin(), ifindexes.end(), std::stoi(name)) == ifindexes.end())
      continue;
    const std::string state = AdminState(entry.path().string());
    if (!state.empty() && state != "unmanaged") {
      check.manages = true;
      check.detail += entry.path().string() + ": ADMIN_STATE=" + state + "\n";
    }
  }
  if (!check.running)
    check.detail += "no systemd-networkd process\n";
  else if (!check.manages)
    check.detail += "systemd-networkd manages none of the " +
                    std::string(ifindexes.empty() ? "links" : "backup interfaces") + "\n";
  ApplyFile(root + "/etc/systemd/networkd.conf", &check);
  // Drop-ins are applied in lexical order of their file names across the three directories; a
  // file in /etc hides one of the same name in /run or /usr/lib.
  std::vector<std::pair<std::string, std::string>> dropins;  // (name, path)
  for (const char* dir : {"/etc", "/run", "/usr/lib"}) {
    std::string d = root + dir + "/systemd/networkd.conf.d";
    if (!stdfs::is_directory(d, ec))
      continue;
    for (const auto& entry : stdfs::directory_iterator(d, ec)) {
      std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".conf")
        continue;
      bool seen = std::any_of(dropins.begin(), dropins.end(),
                              [&](const auto& p) { return p.first == name; });
      if (!seen)
        dropins.emplace_back(name, entry.path().string());
    }
  }
  std::sort(dropins.begin(), dropins.end());
  for (const auto& [name, path] : dropins)
    ApplyFile(path, &check);
  if (check.detail.find("ManageForeign") == std::string::npos)
    check.detail += "no setting found: networkd's defaults (yes) apply\n";
  return check;
}

Status InstallNetworkdDropIn(const std::string& root) {
  std::string dir = root + "/etc/systemd/networkd.conf.d";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Unexpected(ErrorCode::kIo, "cannot create " + dir + ": " + ec.message());
  }
  return fs::WriteFileAtomic(dir + "/bnfc.conf",
                             std::string("# Written by bnfc-proxyd setup-networkd: keep the routes "
                                         "and rules of other owners (bnfc-proxyd's pins).\n") +
                                 kNetworkdFix,
                             0644);
}

}  // namespace bnfc::proxyd
