#include "vsphere_sources.h"

#include "bnfc/log.h"
#include "bnfc/net.h"
#include "bnfc/text.h"
#include "client.h"
#include "https_transport.h"

namespace bnfc::proxyd {

std::vector<std::string> ApplyVsphereRead(const SourceRead& read, HostTable& hosts,
                                          int64_t freshness_ms, int64_t now_ms) {
  std::vector<std::string> taken;
  if (!read.ok) {
    return taken;  // the previous facts age out through `freshness` like a silent agent's
  }
  for (const vsphere::VsphereHost& h : read.hosts) {
    HostEntry* e = hosts.Mutable(h.host_id);
    // vCenter may know the host by another name than its agent's host id: the management
    // address identifies it too.
    const std::string& mgmt = h.report.management_address();
    for (const auto& [id, other] : hosts.hosts()) {
      if (e == nullptr && !mgmt.empty() && other.source == "agent" &&
          other.report.management_address() == mgmt) {
        e = hosts.Mutable(id);
      }
    }
    if (e != nullptr && e->source == "agent" && now_ms - e->received_ms <= freshness_ms) {
      auto c = vsphere::CompareNfcAddress(e->report, h, read.source_name);
      e->cross_check = c.agree ? "" : c.evidence;
      e->api_view = h.report;
      e->api_view_source = read.source_name;
      continue;
    }
    hosts.Update(h.host_id, read.control_peer, "", h.report, read.read_unix_ms);
    HostEntry* mine = hosts.Mutable(h.host_id);
    mine->source = "vsphere";
    mine->source_name = read.source_name;
    mine->cross_check.clear();
    mine->api_view.Clear();
    mine->api_view_source.clear();
    taken.push_back(h.host_id);
  }
  return taken;
}

std::map<std::string, EnsureProofMap> RouteEnsureProofs(const HostTable& hosts,
                                                        const EnsureProofMap& proofs) {
  std::map<std::string, EnsureProofMap> out;
  for (const auto& [id, p] : proofs) {
    const HostEntry* e = hosts.Find(id);
    if (e != nullptr && e->source == "vsphere" && !e->source_name.empty()) {
      out[e->source_name][id] = p;
    }
  }
  return out;
}

struct VsphereSources::Source {
  vsphere::SourceConfig config;
  std::unique_ptr<vsphere::HttpsTransport> transport;
  std::unique_ptr<vsphere::Client> client;
  std::unique_ptr<vsphere::ClientTagger> tagger;
  std::unique_ptr<vsphere::ApiTagEnsurer> ensurer;
  std::vector<vsphere::VsphereHost> last_hosts;  // of the last good read: what ensure plans on
  std::string control_peer;
  std::string last_error;  // logged once per change
};

Expected<std::unique_ptr<VsphereSources>> VsphereSources::Load(const ProxyConfig& config,
                                                               uid_t uid) {
  std::unique_ptr<VsphereSources> out(new VsphereSources(config.interval));
  for (const std::string& path : config.vsphere_sources) {
    auto sc = vsphere::LoadSourceConfig(path);
    if (!sc) {
      return sc.error();
    }
    auto creds = vsphere::LoadCredentials(sc->credentials_file, uid);
    if (!creds) {
      return Unexpected(creds.error().code, path + ": " + creds.error().message);
    }
    for (const auto& other : out->sources_) {
      if (other->config.name == sc->name) {
        return Unexpected(
            ErrorCode::kInvalidArgument,
            path + ": source name '" + sc->name + "' is also used by " + other->config.file);
      }
    }
    auto s = std::make_unique<Source>();
    s->config = *sc;
    s->transport = std::make_unique<vsphere::HttpsTransport>(
        sc->url, vsphere::TlsPolicy{sc->thumbprint, sc->ca_file, sc->insecure}, sc->timeout);
    vsphere::ClientOptions opts;
    opts.want_vnic_manager = sc->tag_policy == "ensure";
    s->client = std::make_unique<vsphere::Client>(*s->transport, *creds, sc->scope, opts);
    if (net::IpAddress::Parse(sc->url.host)) {
      s->control_peer = sc->url.host;
    }
    if (sc->insecure) {
      log::Warn("vSphere source " + sc->name +
                ": insecure = true, the server's certificate is not verified");
    }
    s->tagger = std::make_unique<vsphere::ClientTagger>(*s->client);
    s->ensurer = std::make_unique<vsphere::ApiTagEnsurer>(sc->name, sc->backup_vmknic,
                                                          sc->tag_policy, *s->tagger);
    if (sc->tag_policy == "ensure") {
      log::Info("vSphere source " + sc->name + ": tag_policy = ensure: vSphereBackupNFC goes to " +
                sc->backup_vmknic +
                " through the API once the proxy's DF probe to it was answered");
    }
    out->sources_.push_back(std::move(s));
  }
  return out;
}

VsphereSources::VsphereSources(std::chrono::milliseconds interval) : interval_(interval) {}

VsphereSources::~VsphereSources() {
  Stop();
}

void VsphereSources::Start() {
  for (auto& s : sources_) {
    threads_.emplace_back([this, src = s.get()] { Loop(*src); });
  }
}

void VsphereSources::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
  threads_.clear();
  for (auto& s : sources_) {
    s->client->Logout();
  }
}

std::vector<SourceRead> VsphereSources::TakeReads() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SourceRead> out;
  out.swap(done_);
  return out;
}

void VsphereSources::OfferProofs(std::map<std::string, EnsureProofMap> by_source) {
  if (by_source.empty()) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [name, proofs] : by_source) {
      proofs_[name] = std::move(proofs);  // only this cycle's proofs count
    }
  }
  cv_.notify_all();
}

SourceRead VsphereSources::ReadOnce(Source& s) {
  SourceRead read;
  read.source_name = s.config.name;
  read.control_peer = s.control_peer;
  auto r = s.client->ReadHosts();
  read.read_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string error;
  s.last_hosts.clear();
  if (!r) {
    error = r.error().ToString();
    read.error = error;
  } else {
    read.ok = true;
    for (const auto& o : r->hosts) {
      auto h = vsphere::HostFromObject(o, s.config.tag_policy);
      if (h) {
        if (s.config.tag_policy == "ensure") {
          // The configured backup vmknic, when it names exactly one: the proxy then probes it.
          auto sel = vsphere::PlanApiTagChanges(*h, s.config.backup_vmknic, "observe", {});
          h->report.set_backup_vmknic(sel.backup_vmknic);
        }
        s.last_hosts.push_back(*h);
        s.ensurer->Annotate(*h);
        read.hosts.push_back(std::move(*h));
      } else {
        read.host_errors.push_back(h.error().message);
      }
    }
    if (!read.host_errors.empty()) {
      error = std::to_string(read.host_errors.size()) +
              " host(s) with unreadable facts, first: " + read.host_errors.front();
    }
  }
  if (error != s.last_error) {
    if (!error.empty()) {
      log::Warn("vSphere source " + s.config.name + ": " + text::EscapeForLine(error, 400));
    } else {
      log::Info("vSphere source " + s.config.name + ": reading " +
                std::to_string(read.hosts.size()) + " host(s)");
    }
    s.last_error = error;
  }
  return read;
}

bool VsphereSources::ApplyEnsure(Source& s, const EnsureProofMap& proofs) {
  bool called = false;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const vsphere::VsphereHost& h : s.last_hosts) {
    auto it = proofs.find(h.host_id);
    if (it != proofs.end()) {
      called = s.ensurer->Step(h, it->second, now) || called;
    }
  }
  return called;
}

void VsphereSources::Loop(Source& s) {
  while (true) {
    SourceRead read = ReadOnce(s);
    auto deadline = std::chrono::steady_clock::now() + interval_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Bounded: a daemon that stopped taking reads keeps only the newest few.
      if (done_.size() >= 16) {
        done_.erase(done_.begin());
      }
      done_.push_back(std::move(read));
    }
    // Until the interval is over: apply each cycle's proofs; after a call, read again at once.
    bool reread = false;
    while (!reread) {
      EnsureProofMap proofs;
      {
        std::unique_lock<std::mutex> lock(mu_);
        const bool woke = cv_.wait_until(
            lock, deadline, [&] { return stop_ || proofs_.count(s.config.name) != 0; });
        if (stop_) {
          return;
        }
        if (!woke) {
          break;
        }
        proofs = std::move(proofs_[s.config.name]);
        proofs_.erase(s.config.name);
      }
      reread = ApplyEnsure(s, proofs);
    }
  }
}

}  // namespace bnfc::proxyd
