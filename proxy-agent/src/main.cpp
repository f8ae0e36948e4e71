// bnfc-proxyd: command-line entry point. Each subcommand is a small function; the daemon loop
// lives in daemon/.
#include <net/if.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bnfc/cli.h"
#include "bnfc/clock.h"
#include "bnfc/fs.h"
#include "bnfc/keys.h"
#include "bnfc/log.h"
#include "bnfc/report/evidence.h"
#include "bnfc/report/http.h"
#include "bnfc/report/merge.h"
#include "bnfc/text.h"
#include "bnfc/version.h"
#include "daemon.h"
#include "keystore.h"
#include "network_side.h"
#include "networkd.h"
#include "pin.h"
#include "proxy_config.h"
#include "run_lock.h"

#include <csignal>

namespace {

using bnfc::Expected;
using bnfc::proxyd::ProxyConfig;

constexpr const char* kUsage = R"(usage: bnfc-proxyd COMMAND [OPTIONS]

Commands:
  keys list [--json]                       enrolled, pending and rejected host keys
  keys accept HOST (--fingerprint FP | --key Z85 | --from ADDRESS) [--source PREFIX ...]
                                           enrol a pending key as HOST (sources default to
                                           the address it connected from)
  keys add HOST --key Z85 --source PREFIX  enrol a key given out of band
  keys reject (--fingerprint FP | --key Z85 | --from ADDRESS)
  keys revoke HOST                         remove HOST's access at once (running daemon too)
  keys show-server-key                     the proxy's public key and fingerprint
  keygen                                   create the server key pair if missing
  run [--foreground] [--retain]            the agent: control channel, pins, checks, report
  report [--json | --format text|html|junit|csv] [--host HOST ...] [--verdict VERDICT ...]
         [--merge URL|FILE ...]            the latest validation report (text unless --json or
                                           --format); --merge: one report from several
                                           proxies' /report.json; exit status below
  pins [--json]                            what is pinned, and why (3 when stale)
  check-networkd                           is systemd-networkd set to delete foreign routes?
  setup-networkd                           install the networkd drop-in that keeps our pins
  --version                                print the version

Every command takes --config FILE (default /etc/bnfc/proxyd.conf).

A report older than `freshness`, or one read while `bnfc-proxyd run` is not running, is stale:
every pair is then shown UNKNOWN with a STALE finding, never ISOLATED.

Exit status of `report` (the most severe verdict decides):
  0  every pair ISOLATED
  1  some pair DEGRADED, none worse
  2  some pair NOT_ISOLATED or UNREACHABLE
  3  some pair UNKNOWN, the report is stale, or there are no pairs
  4  usage error (bad option or format)
  5  no report to read (missing or unreadable report.json)
)";

struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> options;  // --name value / --name=value
  bool Has(const std::string& k) const { return options.count(k) > 0; }
  std::string Get(const std::string& k, const std::string& fallback = "") const {
    auto it = options.find(k);
    return it == options.end() ? fallback : it->second;
  }
  std::vector<std::string> GetAll(const std::string& k) const {
    std::vector<std::string> out;
    for (auto [it, end] = options.equal_range(k); it != end; ++it) {
      out.push_back(it->second);
    }
    return out;
  }
};

std::atomic<bool> g_stop{false};
void OnSignal(int) {
  g_stop = true;
}

int Fail(const std::string& message, int code = 1) {
  std::cerr << "bnfc-proxyd: " << message << "\n";
  return code;
}

Expected<ProxyConfig> Config(const Args& args) {
  return bnfc::proxyd::LoadProxyConfig(args.Get("config", "/etc/bnfc/proxyd.conf"));
}

bnfc::enrol::KeyStore Store(const ProxyConfig& config) {
  return bnfc::enrol::KeyStore(config.state_dir + "/enrolment.json", bnfc::SystemClock::Instance());
}

bnfc::enrol::Selector SelectorFrom(const Args& args) {
  return {args.Get("fingerprint"), args.Get("key"), args.Get("from")};
}

int KeysList(const ProxyConfig& config, const Args& args) {
  auto records = Store(config).List();
  if (!records) {
    return Fail(records.error().message);
  }
  if (args.Has("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *records) {
      out.push_back({{"host", r.host_id},
                     {"state", bnfc::enrol::KeyStateName(r.state)},
                     {"fingerprint", r.fingerprint},
                     {"public_key", r.public_z85},
                     {"sources", r.sources},
                     {"last_address", r.last_address},
                     {"last_seen_ms", r.last_seen_ms},
                     {"attempts", r.attempts}});
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  if (records->empty()) {
    std::cout << "no keys (unknown hosts appear here as pending when they try to connect)\n";
    return 0;
  }
  std::printf("%-9s %-16s %-51s %-16s %s\n", "STATE", "HOST", "FINGERPRINT", "LAST ADDRESS",
              "SOURCES");
  // Store values (host ids, addresses) are escaped: no control byte reaches a terminal raw.
  const auto e = [](const std::string& v) { return bnfc::text::EscapeForLine(v, 256); };
  for (const auto& r : *records) {
    std::string sources;
    for (const auto& s : r.sources) {
      sources += (sources.empty() ? "" : ",") + e(s);
    }
    std::printf("%-9s %-16s %-51s %-16s %s\n", bnfc::enrol::KeyStateName(r.state),
                r.host_id.empty() ? "-" : e(r.host_id).c_str(), e(r.fingerprint).c_str(),
                r.last_address.empty() ? "-" : e(r.last_address).c_str(), sources.c_str());
  }
  return 0;
}

int Keygen(const ProxyConfig& config) {
  if (bnfc::fs::Exists(config.server_secret_key)) {
    auto pair = bnfc::keys::Load(config.server_secret_key, config.server_public_key);
    if (!pair) {
      return Fail(pair.error().message);
    }
    std::cout << "server key exists: " << bnfc::keys::Fingerprint(pair->public_z85) << "\n";
    return 0;
  }
  auto pair = bnfc::keys::Generate();
  if (!pair) {
    return Fail(pair.error().message);
  }
  if (auto s = bnfc::keys::Save(*pair, config.server_secret_key, config.server_public_key); !s) {
    return Fail(s.error().message);
  }
  std::cout << "created " << config.server_public_key << ": "
            << bnfc::keys::Fingerprint(pair->public_z85) << "\n";
  return 0;
}

// Every control connection costs a descriptor until the guard or the handshake timeout closes
// it: take the whole hard limit the service manager grants (LimitNOFILE in the unit).
void RaiseOpenFileLimit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max) {
    return;
  }
  const auto soft = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    bnfc::log::Warn("cannot raise the open-file limit from " + std::to_string(soft) + ": " +
                    std::strerror(errno));
    return;
  }
  bnfc::log::Info("open-file limit raised from " + std::to_string(soft) + " to " +
                  std::to_string(rl.rlim_max));
}

// Lines joined with "; " for a one-line log message.
std::string OneLine(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out += (out.empty() ? "" : "; ") + line;
    }
  }
  return out;
}

// The interfaces named in backup_interface and mapping lines (empty: any link counts).
std::vector<int> BackupIfindexes(const ProxyConfig& config) {
  std::vector<int> out;
  std::vector<std::string> names = config.backup_interfaces;
  for (const auto& m : config.mappings) {
    names.push_back(m.interface);
  }
  for (const auto& n : names) {
    if (unsigned i = if_nametoindex(n.c_str()); i != 0) {
      out.push_back(static_cast<int>(i));
    }
  }
  return out;
}

int Run(const ProxyConfig& loaded, const Args& args) {
  ProxyConfig config = loaded;
  config.retain_on_stop = loaded.retain_on_stop || args.Has("retain");
  bnfc::log::Options logging;
  logging.ident = "bnfc-proxyd";
  logging.to_syslog = !args.Has("foreground");
  // Under systemd stderr already is the journal: syslog too would log every line twice.
  if (bnfc::log::StderrIsJournal()) {
    logging.journal_socket = bnfc::log::kJournalSocket;
    logging.to_stderr = false;
    logging.to_syslog = false;
  }
  bool ok = true;
  logging.min_level = bnfc::log::ParseLevel(config.log_level, &ok);
  bnfc::log::Init(logging);
  auto keys = bnfc::keys::Load(config.server_secret_key, config.server_public_key);
  if (!keys) {
    return Fail(keys.error().message + " (run `bnfc-proxyd keygen`)");
  }
  // Held until the process ends: `report` and `pins` read it to know the daemon runs.
  if (auto lock = bnfc::proxyd::HoldRunLock(config.state_dir); !lock) {
    return Fail(lock.error().message);
  }
  RaiseOpenFileLimit();
  if (auto nd = bnfc::proxyd::CheckNetworkd("", BackupIfindexes(config)); nd.at_risk()) {
    bnfc::log::Warn(
        "NETWORKD_FOREIGN_ROUTES: systemd-networkd runs with ManageForeignRoutes/"
        "ManageForeignRoutingPolicyRules on and will delete our pins when it restarts; "
        "run `bnfc-proxyd setup-networkd` (" +
        OneLine(nd.detail) + ")");
  }
  auto kernel = bnfc::pin::MakeNetlinkKernel();
  bnfc::proxyd::ProxyNetworkSide network(config, *kernel);
  bnfc::proxyd::Daemon daemon(config, *keys, network, bnfc::SystemClock::Instance());
  // Every vSphere source file and credentials file is checked before anything starts.
  auto vsphere = bnfc::proxyd::VsphereSources::Load(config, ::geteuid());
  if (!vsphere) {
    return Fail(vsphere.error().message);
  }
  daemon.SetVsphereSources(vsphere->get());
  if (auto s = daemon.Start(); !s) {
    return Fail(s.error().message);
  }
  (*vsphere)->Start();
  auto listen = bnfc::report::ParseHttpListen(config.http_listen);
  if (!listen) {
    return Fail(config.source + ": key 'http_listen': " + listen.error().message);
  }
  // A cycle that stopped publishing must not leave an old ISOLATED on /report* or /metrics.
  auto current = [&] {
    auto r = network.LatestReport();
    auto why = bnfc::report::StaleReason(r, bnfc::SystemClock::Instance().NowUnixMs(),
                                         config.freshness.count(), true);
    if (!why.empty()) {
      bnfc::report::MarkStale(r, why);
    }
    return r;
  };
  bnfc::report::HttpContent content;
  content.metrics = [&] {
    auto m = network.Metrics();
    if (auto r = current(); r.stale) {
      bnfc::report::FillFromReport(r, m);
    }
    // Channel counters are read without a lock: plain integers, a torn read is only a stale value.
    if (const auto* server = daemon.server()) {
      const auto& c = server->counters();
      m.reports_received = c.accepted;
      m.replay_drops = c.dropped_replay;
      m.reports_rejected = {{"oversize", c.dropped_oversize},
                            {"undecodable", c.dropped_undecodable},
                            {"identity_mismatch", c.dropped_identity_mismatch},
                            {"revoked", c.dropped_revoked},
                            {"replay", c.dropped_replay},
                            {"implausible_stamp", c.dropped_implausible_stamp},
                            {"malformed", c.dropped_malformed}};
    }
    if (const auto* server = daemon.server(); server && server->guard()) {
      const auto& g = server->guard()->stats();
      m.connections_refused = {{"per_source_cap", g.refused_per_source.load()},
                               {"total_cap", g.refused_total.load()},
                               {"accept_failed", g.accept_failed.load()}};
      m.handshakes_failed = {{"mechanism", g.handshake_mechanism.load()},
                             {"auth", g.handshake_auth.load()},
                             {"protocol", g.handshake_protocol.load()},
                             {"incomplete", g.handshake_incomplete.load()}};
      m.connections_open = static_cast<uint64_t>(std::max<int64_t>(0, g.open.load()));
    }
    if (const auto* zap = daemon.zap()) {
      m.reports_rejected["unknown_key"] = zap->stats().unknown_key.load();
      m.reports_rejected["wrong_source"] = zap->stats().wrong_source.load();
    }
    auto store = daemon.keystore_health();
    m.keystore_revision = store.revision;
    m.keystore_reload_failures = store.reload_failures;
    m.keystore_stale = store.stale;
    m.enrolment_keys = store.keys_by_state;
    return bnfc::report::RenderPrometheus(m);
  };
  content.report_json = [&] { return bnfc::report::RenderJson(current()); };
  content.report_html = [&] { return bnfc::report::RenderHtml(current()); };
  content.health = [&]() -> bnfc::Status {
    if (daemon.zap() == nullptr || !daemon.zap()->running()) {
      return bnfc::Unexpected(bnfc::ErrorCode::kUnavailable, "the ZAP handler is not running");
    }
    // A store that cannot be applied means a revocation may not be in force: not healthy.
    if (auto store = daemon.keystore_health(); store.stale) {
      return bnfc::Unexpected(bnfc::ErrorCode::kUnavailable, store.problem);
    }
    return bnfc::OkStatus();
  };
  auto http = bnfc::report::HttpEndpoint::Start(*listen, content);
  if (!http) {
    return Fail("http_listen " + config.http_listen + ": " + http.error().message);
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  auto s = daemon.Run(g_stop);
  if (!s) {
    return Fail(s.error().message);
  }
  return 0;
}

// The report as stored, re-judged now: stale when the daemon is not running or the report is
// older than `freshness` (then every pair is UNKNOWN). With --merge, several proxies' reports in
// one. The exit status follows the verdicts.
int Report(const ProxyConfig& config, const Args& args) {
  namespace report = bnfc::report;
  if (args.Has("json") && args.Get("format", "json") != "json") {
    return Fail("--json and --format " + args.Get("format") + " contradict each other",
                report::kExitUsage);
  }
  // The same text on a terminal and in a pipe: scripts that want JSON say --json.
  std::string format = args.Has("json") ? "json" : args.Get("format", "text");
  std::set<std::string> verdicts;
  for (const auto& v : args.GetAll("verdict")) {
    bool known = false;
    for (report::Verdict x : report::VerdictsBySeverity()) {
      known = known || v == report::VerdictName(x);
    }
    if (!known) {
      return Fail(
          "--verdict must be ISOLATED, DEGRADED, UNKNOWN, UNREACHABLE or NOT_ISOLATED, not '" + v +
              "'",
          report::kExitUsage);
    }
    verdicts.insert(v);
  }
  if (format != "json" && format != "html" && format != "text" && format != "junit" &&
      format != "csv") {
    return Fail("--format must be json, html, text, junit or csv, not '" + format + "'",
                report::kExitUsage);
  }
  const int64_t now = bnfc::SystemClock::Instance().NowUnixMs();
  std::vector<std::string> sources = args.GetAll("merge");
  if (!sources.empty()) {
    sources.insert(sources.end(), args.positional.begin() + 1, args.positional.end());
  } else if (args.positional.size() > 1) {
    return Fail("report takes no argument '" + args.positional[1] + "' (did you mean --merge?)",
                report::kExitUsage);
  }
  report::Report r;
  if (sources.empty()) {
    const std::string path = config.state_dir + "/report.json";
    auto text = bnfc::fs::ReadFile(path);
    if (!text) {
      return Fail("no report yet (" + text.error().message +
                      "); is `bnfc-proxyd run` running with this config?",
                  report::kExitNoReport);
    }
    auto parsed = report::ParseReportJson(*text);
    if (!parsed) {
      return Fail(path + ": " + parsed.error().message, report::kExitNoReport);
    }
    r = std::move(*parsed);
    auto why = report::StaleReason(r, now, config.freshness.count(),
                                   bnfc::proxyd::DaemonRunning(config.state_dir));
    if (!why.empty() && !r.stale) {
      report::MarkStale(r, why);
    }
  } else {
    // Every source must be read: a fleet view that silently drops a proxy would overstate it.
    std::vector<report::Report> all;
    for (const auto& source : sources) {
      auto text = report::FetchReportText(source);
      if (!text) {
        return Fail(text.error().message, report::kExitNoReport);
      }
      auto parsed = report::ParseReportJson(*text);
      if (!parsed) {
        return Fail(source + ": " + parsed.error().message, report::kExitNoReport);
      }
      all.push_back(std::move(*parsed));
    }
    r = report::MergeReports(std::move(all), now, config.freshness.count());
    if (format == "text" || format == "html") {
      // One host may be paired with several proxies: say which pair each row is.
      for (auto& p : r.pairs) {
        p.host_id = p.proxy_id + "/" + p.host_id;
      }
    }
  }
  // Filters: the summary and the exit status then speak of the pairs shown. A host the report
  // does not know is a mistake (a typo would otherwise read as "no pairs").
  const auto hosts = args.GetAll("host");
  for (const auto& h : hosts) {
    const bool known = std::any_of(r.pairs.begin(), r.pairs.end(), [&](const auto& p) {
      return p.host_id.substr(p.host_id.find('/') + 1) == h;
    });
    if (!known) {
      std::string names;
      for (const auto& p : r.pairs) {
        names += (names.empty() ? "" : ", ") + p.host_id.substr(p.host_id.find('/') + 1);
      }
      return Fail("--host: no enrolled host '" + h +
                      "' in the report (hosts: " + (names.empty() ? "none" : names) + ")",
                  report::kExitUsage);
    }
  }
  if (!hosts.empty() || !verdicts.empty()) {
    std::vector<report::PairVerdict> kept;
    for (auto& p : r.pairs) {
      const std::string bare = p.host_id.substr(p.host_id.find('/') + 1);  // merged: PROXY/HOST
      bool host_ok = hosts.empty() || std::find(hosts.begin(), hosts.end(), bare) != hosts.end();
      if (host_ok && (verdicts.empty() || verdicts.count(report::VerdictName(p.verdict)))) {
        kept.push_back(std::move(p));
      }
    }
    r.pairs = std::move(kept);
    report::Summarise(r);
  }
  std::cout << (format == "json"    ? report::RenderJson(r)
                : format == "html"  ? report::RenderHtml(r)
                : format == "junit" ? report::RenderJunit(r)
                : format == "csv"   ? report::RenderCsv(r)
                                    : report::RenderText(r));
  return report::ExitCodeFor(r);
}

// pins.txt / pins.json as written by the daemon, marked stale like the report.
int Pins(const ProxyConfig& config, const Args& args) {
  const bool json = args.Has("json");
  const std::string path = config.state_dir + (json ? "/pins.json" : "/pins.txt");
  auto text = bnfc::fs::ReadFile(path);
  if (!text) {
    return Fail("no pins yet (" + text.error().message +
                    "); is `bnfc-proxyd run` running with this config?",
                bnfc::report::kExitNoReport);
  }
  std::string why;
  struct stat st {};
  if (!bnfc::proxyd::DaemonRunning(config.state_dir)) {
    why = "bnfc-proxyd is not running";
  } else if (::stat(path.c_str(), &st) == 0) {
    const int64_t age_ms =
        bnfc::SystemClock::Instance().NowUnixMs() - static_cast<int64_t>(st.st_mtim.tv_sec) * 1000;
    if (age_ms > config.freshness.count()) {
      why = "the pin list is " + std::to_string(age_ms / 1000) + " s old";
    }
  }
  if (why.empty()) {
    std::cout << *text;
    return 0;
  }
  if (json) {
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      return Fail(path + ": not a JSON object", bnfc::report::kExitNoReport);
    }
    doc["stale"] = true;
    doc["stale_reason"] = why;
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << "STALE: " << why << "; what follows was pinned when it last ran, not now.\n"
              << *text;
  }
  return bnfc::report::kExitUnknown;
}

int Keys(const ProxyConfig& config, const Args& args) {
  const auto& p = args.positional;
  std::string verb = p.size() > 1 ? p[1] : "list";
  auto store = Store(config);
  if (verb == "list") {
    return KeysList(config, args);
  }
  if (verb == "show-server-key") {
    auto key = bnfc::keys::LoadPublic(config.server_public_key);
    if (!key) {
      return Fail(key.error().message + " (run `bnfc-proxyd keygen` first)");
    }
    std::cout << *key << "\n" << bnfc::keys::Fingerprint(*key) << "\n";
    return 0;
  }
  if (verb == "accept" || verb == "add") {
    if (p.size() != 3) {
      return Fail("usage: bnfc-proxyd keys " + verb + " HOST ...", 2);
    }
    auto record = verb == "accept" ? store.Accept(p[2], SelectorFrom(args), args.GetAll("source"))
                                   : store.Add(p[2], args.Get("key"), args.GetAll("source"));
    if (!record) {
      return Fail(record.error().message);
    }
    std::cout << "accepted " << record->host_id << " " << record->fingerprint << "\n";
    return 0;
  }
  if (verb == "reject") {
    auto record = store.Reject(SelectorFrom(args));
    if (!record) {
      return Fail(record.error().message);
    }
    std::cout << "rejected " << record->fingerprint << "\n";
    return 0;
  }
  if (verb == "revoke") {
    if (p.size() != 3) {
      return Fail("usage: bnfc-proxyd keys revoke HOST", 2);
    }
    auto n = store.Revoke(p[2]);
    if (!n) {
      return Fail(n.error().message);
    }
    std::cout << "revoked " << *n << " key(s) of " << p[2] << "\n";
    return 0;
  }
  return Fail("unknown keys command '" + verb + "'\n" + kUsage, 2);
}

}  // namespace

// Every command, its options and operands, and its exit statuses: the one source for parsing
// and for `COMMAND --help`.
const std::vector<bnfc::cli::Command>& Commands() {
  using bnfc::cli::Command;
  using bnfc::cli::Option;
  const Option config{"config", "FILE", "configuration (default /etc/bnfc/proxyd.conf)"};
  const Option json{"json", "", "JSON instead of text"};
  const std::string plain = "  0  success\n  1  failure (the message says why)\n  2  usage error\n";
  const std::string verdicts =
      "  0  every pair ISOLATED\n  1  some pair DEGRADED, none worse\n"
      "  2  some pair NOT_ISOLATED or UNREACHABLE\n"
      "  3  some pair UNKNOWN, the report is stale, or there are no pairs\n"
      "  4  usage error (bad option, format or argument)\n"
      "  5  no report to read (missing or unreadable report.json, or a --merge source)\n";
  const Option fingerprint{"fingerprint", "FP", "the pending key with this fingerprint"};
  const Option key{"key", "Z85", "the key itself"};
  const Option from{"from", "ADDRESS", "the pending key last seen from this address"};
  const Option source{"source", "PREFIX", "addresses HOST may connect from", true};
  static const std::vector<Command> commands = {
      {"keys list", "", "Enrolled, pending and rejected host keys.", {json, config}, 0, 0, plain},
      {"keys accept",
       "HOST",
       "Enrol a pending key as HOST (sources default to the address it connected from).",
       {fingerprint, key, from, source, config},
       1,
       1,
       plain},
      {"keys add", "HOST", "Enrol a key given out of band.", {key, source, config}, 1, 1, plain},
      {"keys reject", "", "Reject a pending key.", {fingerprint, key, from, config}, 0, 0, plain},
      {"keys revoke",
       "HOST",
       "Remove HOST's access at once (a running daemon too).",
       {config},
       1,
       1,
       plain},
      {"keys show-server-key",
       "",
       "The proxy's public key and fingerprint.",
       {config},
       0,
       0,
       plain},
      {"keygen", "", "Create the server key pair if missing.", {config}, 0, 0, plain},
      {"run",
       "",
       "The agent: control channel, pins, checks, report, /metrics.",
       {{"foreground", "", "log to stderr only (no syslog)"},
        {"retain", "", "keep the pins when stopping"},
        config},
       0,
       0,
       plain},
      {"report",
       "[SOURCE ...]",
       "The latest validation report, re-judged now (stale when old or the daemon is not "
       "running).\nText unless --json or --format says otherwise (on a terminal and in a pipe "
       "alike); --merge: one report from several proxies' /report.json.",
       {{"json", "", "JSON (report.json's schema, docs/report.md)"},
        {"format", "FORMAT", "text (default), html, junit or csv (json: the same as --json)"},
        {"merge", "URL|FILE", "merge these proxies' reports (http://HOST:PORT or a file)", true},
        {"host", "HOST", "only this host's pairs (an unknown host is an error)", true},
        {"verdict", "VERDICT", "only pairs with this verdict (ISOLATED, DEGRADED, ...)", true},
        config},
       0,
       SIZE_MAX,
       verdicts,
       bnfc::report::kExitUsage},
      {"pins",
       "",
       "What is pinned, and why (3 when stale).",
       {json, config},
       0,
       0,
       "  0  the pin list is current\n  3  stale: the daemon is not running or the list is "
       "old\n  4  usage error\n  5  no pin list to read\n",
       bnfc::report::kExitUsage},
      {"check-networkd",
       "",
       "Would systemd-networkd delete our pins when it restarts?",
       {config},
       0,
       0,
       "  0  no risk\n  1  at risk (NETWORKD_FOREIGN_ROUTES)\n  2  usage error\n"},
      {"setup-networkd",
       "",
       "Install the networkd drop-in that keeps our pins.",
       {config},
       0,
       0,
       plain},
  };
  return commands;
}

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  // --config may also come before the command (bnfc-proxyd --config FILE keys list).
  std::string leading_config;
  while (!words.empty() && words[0].rfind("--config", 0) == 0) {
    if (words[0].rfind("--config=", 0) == 0) {
      leading_config = words[0].substr(9);
      words.erase(words.begin());
    } else if (words[0] == "--config" && words.size() > 1) {
      leading_config = words[1];
      words.erase(words.begin(), words.begin() + 2);
    } else {
      return Fail("option --config needs a value (FILE)", 2);
    }
  }
  if (words.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if (words[0] == "--version") {
    std::cout << "bnfc-proxyd " << BNFC_VERSION << "\n";
    return 0;
  }
  if (words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  // The command is its words: "keys" alone means "keys list".
  std::string name = words[0];
  size_t used = 1;
  if (name == "keys") {
    const bool verb = words.size() > 1 && !words[1].empty() && words[1][0] != '-';
    name += " " + (verb ? words[1] : std::string("list"));
    used = verb ? 2 : 1;
  }
  const bnfc::cli::Command* spec = nullptr;
  for (const auto& c : Commands()) {
    spec = c.name == name ? &c : spec;
  }
  if (spec == nullptr) {
    return Fail("unknown command '" + name + "' (see `bnfc-proxyd --help`)", 2);
  }
  auto parsed = bnfc::cli::Parse(*spec, {words.begin() + static_cast<long>(used), words.end()});
  if (!parsed) {
    return Fail(parsed.error().message, spec->usage_exit);
  }
  if (parsed->help) {
    std::cout << bnfc::cli::Help("bnfc-proxyd", *spec);
    return 0;
  }
  Args args;
  args.positional.assign(words.begin(), words.begin() + static_cast<long>(used));
  if (name == "keys list" && used == 1) {
    args.positional.push_back("list");
  }
  args.positional.insert(args.positional.end(), parsed->operands.begin(), parsed->operands.end());
  args.options = parsed->values;
  if (!leading_config.empty() && !args.Has("config")) {
    args.options.emplace("config", leading_config);
  }
  const std::string command = args.positional[0];
  if (command == "report" && !parsed->operands.empty() && !args.Has("merge")) {
    return Fail("report: unexpected argument '" + parsed->operands[0] +
                    "' (sources are read with --merge; see `report --help`)",
                bnfc::report::kExitUsage);
  }
  const bool verdict_exit = spec->usage_exit == bnfc::report::kExitUsage;
  auto config = Config(args);
  if (!config && command == "report" && args.Has("merge") && !args.Has("config")) {
    config = bnfc::proxyd::ProxyConfigFromText("", "(defaults)");  // merging needs no proxy
  }
  if (!config) {
    return Fail(config.error().message, verdict_exit ? bnfc::report::kExitUsage : 1);
  }
  if (command == "keys") {
    return Keys(*config, args);
  }
  if (command == "keygen") {
    return Keygen(*config);
  }
  if (command == "run") {
    return Run(*config, args);
  }
  if (command == "report") {
    return Report(*config, args);
  }
  if (command == "setup-networkd") {
    auto nd = bnfc::proxyd::CheckNetworkd("", BackupIfindexes(*config));
    if (auto s = bnfc::proxyd::InstallNetworkdDropIn(); !s) {
      return Fail(s.error().message);
    }
    std::cout << "wrote /etc/systemd/networkd.conf.d/bnfc.conf"
              << (nd.running ? "; restart systemd-networkd to apply it\n" : "\n");
    return 0;
  }
  if (command == "check-networkd") {
    auto nd = bnfc::proxyd::CheckNetworkd("", BackupIfindexes(*config));
    std::cout << (nd.at_risk() ? "NETWORKD_FOREIGN_ROUTES: at risk\n" : "ok\n") << nd.detail;
    return nd.at_risk() ? 1 : 0;
  }
  return Pins(*config, args);
}
