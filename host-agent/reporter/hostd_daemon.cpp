#include "hostd_daemon.h"

#include <csignal>

#include "bnfc/fs.h"
#include "bnfc/keys.h"
#include "bnfc/log.h"
#include "hostagent/agent_config.h"
#include "hostagent/cycle.h"
#include "hostagent/runner.h"
#include "reporter.h"

namespace bnfc::hostagent {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) {
  g_stop = true;
}

struct KeyPaths {
  std::string secret;
  std::string public_key;
};

// --dir DIR wins; else the config's key paths; else the defaults of the config schema.
bool ResolveKeyPaths(const std::vector<std::string>& args, KeyPaths* paths, std::ostream& err) {
  std::string dir, config = "/etc/bnfc/hostd.conf";
  for (size_t i = 1; i < args.size(); ++i) {
    if ((args[i] == "--dir" || args[i] == "--config") && i + 1 < args.size()) {
      (args[i] == "--dir" ? dir : config) = args[i + 1];
      ++i;
    } else if (args[i] != "show") {
      err << "bnfc-hostd " << args[0] << ": unknown option '" << args[i] << "'\n";
      return false;
    }
  }
  if (!dir.empty()) {
    *paths = {dir + "/hostd.key_secret", dir + "/hostd.key"};
    return true;
  }
  auto c = LoadAgentConfig(config);
  if (!c) {
    err << "bnfc-hostd: " << c.error().message << "\n";
    return false;
  }
  *paths = {c->secret_key_file, c->public_key_file};
  return true;
}

std::vector<ProbeAddress> ToProbes(const std::vector<proto::ProbeTarget>& targets) {
  std::vector<ProbeAddress> out;
  for (const auto& t : targets) {
    out.push_back({t.address(), t.mtu(), "proxy"});
  }
  return out;
}

}  // namespace

int Keygen(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  KeyPaths paths;
  if (!ResolveKeyPaths(args, &paths, err)) {
    return 2;
  }
  if (fs::Exists(paths.secret)) {
    auto existing = keys::Load(paths.secret, paths.public_key);
    if (!existing) {
      err << "bnfc-hostd keygen: " << existing.error().message << "\n";
      return 1;
    }
    out << "host key exists: " << keys::Fingerprint(existing->public_z85) << "\n";
    return 0;
  }
  auto pair = keys::Generate();
  if (!pair) {
    err << "bnfc-hostd keygen: " << pair.error().message << "\n";
    return 1;
  }
  if (auto s = keys::Save(*pair, paths.secret, paths.public_key); !s) {
    err << "bnfc-hostd keygen: " << s.error().message << "\n";
    return 1;
  }
  out << "created " << paths.public_key << ": " << keys::Fingerprint(pair->public_z85) << "\n";
  return 0;
}

int KeyShow(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  KeyPaths paths;
  if (!ResolveKeyPaths(args, &paths, err)) {
    return 2;
  }
  auto key = keys::LoadPublic(paths.public_key);
  if (!key) {
    err << "bnfc-hostd key show: " << key.error().message << " (run `bnfc-hostd keygen`)\n";
    return 1;
  }
  out << *key << "\n" << keys::Fingerprint(*key) << "\n";
  return 0;
}

HostDaemon::HostDaemon(Environment env, CommandRunner& runner, ReportChannel& reporter,
                       DaemonSettings settings)
    : env_(env),
      reporter_(reporter),
      settings_(std::move(settings)),
      engine_(runner, settings_.engine) {}

CycleResult HostDaemon::RunCycle() {
  ++cycles_;
  CycleOptions options;
  options.allow_changes = true;
  options.extra_probes = ToProbes(reporter_.ProbeTargets());
  options.now_unix_ms = env_.clock.NowUnixMs();
  options.consent_missing = !settings_.proxies_configured ? "no proxy is configured"
                            : reporter_.AnyAcknowledged()
                                ? ""
                                : "no proxy has acknowledged a report yet";
  consent_missing_ = options.consent_missing;
  for (const auto& p : options.extra_probes) {
    known_targets_.insert(p.address);
  }
  CycleResult result = engine_.RunCycle(options);
  for (const auto& change : result.report.changes()) {
    // Syslog (and stderr in the foreground): who changed which tag, when and why.
    const std::string line = "tag " + change.action() + " vSphereBackupNFC on " + change.vmknic() +
                             " by the agent: " + change.reason() + (change.ok() ? "" : " (failed)");
    if (change.ok()) {
      log::Info(line);
    } else {
      log::Error(line);
    }
    journal_.Add(change, reporter_.AckCounts());
  }
  // A planned but withheld change is logged when it first appears or changes, not every cycle.
  std::string plan;
  for (const Finding& f : result.findings) {
    if (f.code == codes::kPlannedTagAdd || f.code == codes::kPlannedTagRemove) {
      plan += (plan.empty() ? "" : "; ") + f.detail;
    }
  }
  if (plan != last_plan_ && !plan.empty()) {
    log::Info("planned, not applied: " + plan);
  }
  last_plan_ = plan;
  journal_.AttachTo(&result.report);
  reporter_.Publish(result.report);
  // The interval is the quiet time between cycles: a slow cycle (commands timing out) never makes
  // the next one start at once.
  next_due_ = env_.clock.Steady() + settings_.interval;
  return result;
}

bool HostDaemon::RunEarly() const {
  // The first acknowledgement gives ensure its consent: act on a withheld plan at once.
  if (!last_plan_.empty() && !consent_missing_.empty() && settings_.proxies_configured &&
      reporter_.AnyAcknowledged()) {
    return true;
  }
  // A ProbeRequest with new addresses: check them at once.
  for (const auto& t : reporter_.ProbeTargets()) {
    if (known_targets_.count(t.address()) == 0) {
      return true;
    }
  }
  return false;
}

void HostDaemon::WaitForNextCycle(const std::atomic<bool>& stop) {
  while (!stop && env_.clock.Steady() < next_due_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_due_ - env_.clock.Steady());
    reporter_.Pump(std::min(settings_.pump_slice, left));
    journal_.Prune(reporter_.AckCounts());
    if (RunEarly()) {
      return;
    }
  }
}

int HostDaemon::Run(const std::atomic<bool>& stop, const std::function<bool()>& commands_alive) {
  while (!stop) {
    RunCycle();
    if (commands_alive && !commands_alive()) {
      // No new helper can be forked with libzmq threads running; the supervisor restarts us.
      log::Error("the command helper is gone; stopping");
      return 1;
    }
    WaitForNextCycle(stop);
  }
  log::Info("stopping");
  return 0;
}

int RunDaemon(const std::string& config_path, bool foreground, std::ostream& err) {
  auto config = LoadAgentConfig(config_path);
  if (!config) {
    err << "bnfc-hostd run: " << config.error().message << "\n";
    return 2;
  }
  log::Options logging;
  logging.ident = "bnfc-hostd";
  logging.to_stderr = foreground;
  logging.to_syslog = true;
  bool level_ok = true;
  logging.min_level = log::ParseLevel(config->log_level, &level_ok);
  log::Init(logging);

  // Commands are started by a helper forked now, while this process has one thread: once libzmq
  // runs its threads the daemon never forks.
  HelperCommandRunner runner;
  if (auto started = runner.Start(); !started) {
    log::Error(started.error().message + "; stopping");
    err << "bnfc-hostd run: " << started.error().message << "\n";
    return 1;
  }
  auto host_keys = keys::Load(config->secret_key_file, config->public_key_file);
  if (!host_keys) {
    err << "bnfc-hostd run: " << host_keys.error().message << " (run `bnfc-hostd keygen`)\n";
    return 1;
  }
  if (config->proxies.empty()) {
    log::Warn(
        "no proxy configured: the agent checks and reports to nobody, and never changes a "
        "tag (ensure needs a proxy that acknowledged a report)");
  }
  const Environment env = SystemEnvironment();
  zmq::context_t context(1);
  // The back-off never outlasts the interval: a proxy that comes back is reached within one.
  ProxyReporter reporter(context, *host_keys, config->engine.host_id, env,
                         BoundedByInterval(BackoffPolicy{}, config->interval));
  for (const auto& p : config->proxies) {
    if (auto s = reporter.AddProxy({p.endpoint, p.server_key}); !s) {
      err << "bnfc-hostd run: proxy " << p.endpoint << ": " << s.error().message << "\n";
      return 2;
    }
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  DaemonSettings settings;
  settings.engine = config->engine;
  settings.interval = config->interval;
  settings.proxies_configured = !config->proxies.empty();
  HostDaemon daemon(env, runner, reporter, std::move(settings));
  log::Info("started for host '" + config->engine.host_id + "', " +
            std::to_string(config->proxies.size()) + " proxy(ies), interval " +
            std::to_string(config->interval.count()) + " ms");
  return daemon.Run(g_stop, [&runner] { return runner.helper_alive(); });
}

}  // namespace bnfc::hostagent
