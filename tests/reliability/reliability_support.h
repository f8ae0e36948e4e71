// Shared by the reliability tests: a proxy network side that only records what the daemon asked,
// a private state directory with an enrolment file written in one go, a reserved 127.0.0.1 port
// where nothing answers, and the file-descriptor limit.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bnfc/fs.h"
#include "bnfc/keys.h"
#include "daemon.h"
#include "keystore.h"

namespace bnfc::reliability {

// The proxy's network side reduced to bookkeeping: every host gets one backup address to probe,
// and the backup address of every report the daemon handled is recorded in arrival order.
class RecordingNetwork : public proxyd::NetworkSide {
 public:
  std::vector<proto::ProbeTarget> ProbeTargetsFor(const std::string& backup_address) override {
    std::lock_guard<std::mutex> lock(mu_);
    asked_.push_back(backup_address);
    proto::ProbeTarget t;
    t.set_address("10.99.0.100");
    t.set_mtu(9000);
    return {t};
  }
  void Cycle(const proxyd::HostTable&, int64_t) override {}
  void Stop(bool) override {}
  std::vector<std::string> Asked() {
    std::lock_guard<std::mutex> lock(mu_);
    return asked_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> asked_;
};

// A fresh directory under /tmp, removed with everything in it.
class StateDir {
 public:
  StateDir() {
    char tmpl[] = "/tmp/bnfc-reliability-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) {
      path_ = tmpl;
    }
  }
  ~StateDir() {
    if (!path_.empty()) {
      std::filesystem::remove_all(path_);
    }
  }
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string enrolment() const { return path_ + "/enrolment.json"; }

 private:
  std::string path_;
};

// Enrols every (host id, public key) pair from 127.0.0.1 with one write of the store's own format,
// as `bnfc-proxyd keys add` would leave it (one Add per host rewrites the file each time).
inline Status EnrolAll(const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& hosts,
                       const Clock& clock) {
  std::vector<enrol::KeyRecord> records;
  for (const auto& [host_id, public_z85] : hosts) {
    enrol::KeyRecord r;
    r.public_z85 = public_z85;
    r.fingerprint = keys::Fingerprint(public_z85);
    r.state = enrol::KeyState::kAccepted;
    r.host_id = host_id;
    r.sources = {"127.0.0.1/32"};
    r.first_seen_ms = r.last_seen_ms = r.decided_ms = clock.NowUnixMs();
    records.push_back(std::move(r));
  }
  return fs::WriteFileAtomic(path, enrol::Serialize(records), 0600);
}

// Holds a 127.0.0.1 TCP port bound but not listening: connecting to it is refused (a proxy that is
// down), and the kernel never hands it out as the local port of an outgoing connection, so the
// proxy can bind it later. Release() just before the proxy binds.
class ReservedPort {
 public:
  ReservedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~ReservedPort() { Release(); }
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;
  int port() const { return port_; }
  std::string endpoint() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  void Release() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit; false (with the limits in `why`) when even the
// hard limit is below `needed`.
inline bool RaiseFdLimit(rlim_t needed, std::string* why) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    *why = "getrlimit(RLIMIT_NOFILE) failed";
    return false;
  }
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < needed) {
    *why = "needs " + std::to_string(needed) + " file descriptors, the hard RLIMIT_NOFILE is " +
           std::to_string(lim.rlim_max);
    return false;
  }
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= needed) {
    return true;
  }
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    *why = "setrlimit(RLIMIT_NOFILE) to the hard limit failed";
    return false;
  }
  return true;
}

}  // namespace bnfc::reliability
