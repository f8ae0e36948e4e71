// The secure control channel: CURVE-encrypted ZeroMQ with an enrolled-key allow-list.
//   host agent  : SecureClient (DEALER) -> connects to each proxy, server key pinned in config
//   proxy agent : SecureServer (ROUTER) -> binds, authorises through a running ZapHandler
// Every frame is one protocol Envelope. The server drops (and counts) oversize frames, frames
// that do not decode, envelopes whose host id differs from the identity bound to the sender's key,
// frames from keys revoked after the handshake, and replayed envelopes.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "bnfc.pb.h"
#include "bnfc/conn_guard.h"
#include "bnfc/expected.h"
#include "bnfc/keys.h"
#include "bnfc/protocol.h"
#include "bnfc/replay.h"
#include "bnfc/zap.h"

namespace bnfc::channel {

// Refuses to run on a libzmq older than 4.3.3 (CVE-2019-13132, CVE-2020-15166) or without CURVE.
Status CheckLibzmq();

struct ServerOptions {
  std::string bind_endpoint;  // e.g. tcp://10.98.0.100:9902
  keys::KeyPair server_keys;
  size_t max_frame_bytes = protocol::kMaxFrameBytes;
  // A connection that has not finished the CURVE handshake (ZAP included) by then is closed.
  std::chrono::milliseconds handshake_timeout{5000};
  GuardLimits guard{};  // caps on concurrent connections (see conn_guard.h)
};

struct ServerCounters {
  uint64_t accepted = 0;
  uint64_t dropped_oversize = 0;
  uint64_t dropped_undecodable = 0;
  uint64_t dropped_identity_mismatch = 0;
  uint64_t dropped_revoked = 0;
  uint64_t dropped_replay = 0;
  uint64_t dropped_implausible_stamp = 0;  // boot id / sequence no honest sender uses
  uint64_t dropped_malformed = 0;          // not a [routing id, payload] pair
};

struct Incoming {
  std::string routing_id;  // where to send the reply
  std::string identity;    // host id bound to the sender's key
  std::string public_z85;  // the sender's key
  std::string peer_address;
  proto::Envelope envelope;
};

class SecureServer {
 public:
  // Fails unless `zap` is running in the same context: without it libzmq would accept any client.
  static Expected<std::unique_ptr<SecureServer>> Create(zmq::context_t& context,
                                                        std::shared_ptr<ZapHandler> zap,
                                                        ServerOptions options);

  // Waits up to `timeout` for one valid envelope; invalid frames met on the way are dropped and
  // counted. nullopt on timeout. An error means the server cannot go on safely (ZAP handler died).
  Expected<std::optional<Incoming>> Receive(std::chrono::milliseconds timeout);
  Status Send(const std::string& routing_id, const proto::Envelope& envelope);

  const ServerCounters& counters() const { return counters_; }
  std::string endpoint() const;  // the bound endpoint, with the real port when bound to :*
  ReplayGuard& replay_guard() { return replay_; }
  zmq::socket_t& socket() { return socket_; }
  // Connection and handshake counters; null only when the monitor could not start.
  const ConnectionGuard* guard() const { return guard_.get(); }

 private:
  SecureServer(zmq::context_t& context, std::shared_ptr<ZapHandler> zap, ServerOptions options);
  // One frame pair already read: validate and fill `out`; false when dropped.
  bool Admit(zmq::message_t& routing, zmq::message_t& payload, Incoming* out);

  std::shared_ptr<ZapHandler> zap_;
  ServerOptions options_;
  zmq::socket_t socket_;
  ReplayGuard replay_;
  ServerCounters counters_;
  std::unique_ptr<ConnectionGuard> guard_;  // declared after socket_: stops before it closes
};

struct ClientOptions {
  std::string connect_endpoint;   // tcp://PROXY:PORT
  std::string server_public_z85;  // pinned proxy key
  keys::KeyPair client_keys;
  int send_queue = 4;  // messages held while the proxy is away; the caller keeps newest state
  size_t max_frame_bytes = protocol::kMaxFrameBytes;
};

class SecureClient {
 public:
  static Expected<std::unique_ptr<SecureClient>> Create(zmq::context_t& context,
                                                        ClientOptions options);
  // Never blocks: kUnavailable when the queue towards the proxy is full or not connected.
  Status Send(const proto::Envelope& envelope);
  // nullopt on timeout; undecodable, oversize or replayed replies are dropped (counted).
  Expected<std::optional<proto::Envelope>> Receive(std::chrono::milliseconds timeout);
  uint64_t dropped() const { return dropped_; }
  zmq::socket_t& socket() { return socket_; }

 private:
  SecureClient(zmq::context_t& context, ClientOptions options);
  ClientOptions options_;
  zmq::socket_t socket_;
  ReplayGuard replay_{nullptr};  // no boot id bound: the host's clock may be far off
  uint64_t dropped_ = 0;
};

}  // namespace bnfc::channel
