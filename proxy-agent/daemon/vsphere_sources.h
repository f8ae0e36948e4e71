// The vSphere sources of bnfc-proxyd (`vsphere_source = PATH`): one reader thread per source reads
// every host in scope once per interval through the vSphere API, and the daemon applies the
// finished reads to its host table before each cycle, so API hosts go through the same mapping,
// pinning, observation and verdict as agent hosts (docs/vsphere-source.md).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bnfc/expected.h"
#include "ensure.h"
#include "facts.h"
#include "host_table.h"
#include "proxy_config.h"
#include "source_config.h"

namespace bnfc::proxyd {

// One finished read of one source.
struct SourceRead {
  std::string source_name;
  std::string control_peer;  // the server's address when the URL names it literally, else ""
  int64_t read_unix_ms = 0;
  bool ok = false;
  std::string error;                        // when !ok
  std::vector<vsphere::VsphereHost> hosts;  // hosts whose facts parsed
  std::vector<std::string> host_errors;     // hosts whose facts did not (one line each)
};

// Pure: applies a read to the table. An API host matches an agent's entry by host id, else by
// management address. A host whose agent reported within `freshness_ms` keeps the
// agent's facts (they include the host-side checks); the API's view of it becomes the
// cross-check. Every other host in the read enters (or refreshes) the table as source vsphere.
// Returns the host ids taken from the API.
std::vector<std::string> ApplyVsphereRead(const SourceRead& read, HostTable& hosts,
                                          int64_t freshness_ms, int64_t now_ms);

// Host id -> this cycle's DF proofs, for hosts read through the API under ensure.
using EnsureProofMap = std::map<std::string, std::vector<vsphere::DfProof>>;

// Pure: sends each host's proofs to the source its table entry came from. Hosts the table holds
// as agent hosts (a fresh agent: the API is only its cross-check) get none, so the proxy never
// tags a host whose agent does. Returns source name -> proofs.
std::map<std::string, EnsureProofMap> RouteEnsureProofs(const HostTable& hosts,
                                                        const EnsureProofMap& proofs);

class VsphereSources {
 public:
  // Loads every source file and credentials file; any error refuses them all (precise message).
  static Expected<std::unique_ptr<VsphereSources>> Load(const ProxyConfig& config, uid_t uid);
  ~VsphereSources();
  void Start();
  void Stop();
  // Reads finished since the last call, oldest first.
  std::vector<SourceRead> TakeReads();
  // The proofs of the cycle that just ran (RouteEnsureProofs): each source under ensure plans
  // and applies its tag changes in its own thread, then reads its hosts again at once when it
  // made a call, so that only a read made after the change can show it.
  void OfferProofs(std::map<std::string, EnsureProofMap> by_source);
  size_t size() const { return sources_.size(); }

 private:
  struct Source;
  explicit VsphereSources(std::chrono::milliseconds interval);
  void Loop(Source& s);
  SourceRead ReadOnce(Source& s);
  bool ApplyEnsure(Source& s, const EnsureProofMap& proofs);

  std::chrono::milliseconds interval_;
  std::vector<std::unique_ptr<Source>> sources_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<SourceRead> done_;
  std::map<std::string, EnsureProofMap> proofs_;  // source name -> proofs not yet taken
};

}  // namespace bnfc::proxyd
