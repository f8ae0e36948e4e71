#include "bnfc/channel.h"

#include "bnfc/log.h"
#include "bnfc/text.h"

namespace bnfc::channel {

namespace {
// zmq::poll throws on EINTR; a signal (SIGTERM) must end a wait, not the process.
bool PollInterruptible(zmq::pollitem_t* item, std::chrono::milliseconds timeout) {
  try {
    zmq::poll(item, 1, timeout);
    return true;
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) {
      return false;
    }
    throw;
  }
}
}  // namespace

Status CheckLibzmq() {
  int major = 0, minor = 0, patch = 0;
  zmq_version(&major, &minor, &patch);
  if (major * 10000 + minor * 100 + patch < 40303) {
    return Unexpected(ErrorCode::kUnavailable,
                      "libzmq " + std::to_string(major) + "." + std::to_string(minor) + "." +
                          std::to_string(patch) +
                          " is too old: 4.3.3 or newer is required (CVE-2019-13132, "
                          "CVE-2020-15166)");
  }
  if (!zmq_has("curve")) {
    return Unexpected(ErrorCode::kUnavailable, "libzmq was built without CURVE support");
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Server

SecureServer::SecureServer(zmq::context_t& context, std::shared_ptr<ZapHandler> zap,
                           ServerOptions options)
    : zap_(std::move(zap)),
      options_(std::move(options)),
      socket_(context, zmq::socket_type::router) {}

Expected<std::unique_ptr<SecureServer>> SecureServer::Create(zmq::context_t& context,
                                                             std::shared_ptr<ZapHandler> zap,
                                                             ServerOptions options) {
  if (auto s = CheckLibzmq(); !s) {
    return s.error();
  }
  if (!zap || !zap->running()) {
    return Unexpected(ErrorCode::kUnavailable,
                      "refusing to open the CURVE server: no ZAP handler is running, and libzmq "
                      "would then accept any client that knows the server key");
  }
  if (auto s = keys::ValidateKey(options.server_keys.secret_z85, "server secret key"); !s) {
    return s.error();
  }
  std::unique_ptr<SecureServer> server(
      new SecureServer(context, std::move(zap), std::move(options)));
  zmq::socket_t& s = server->socket_;
  try {
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::curve_server, 1);
    s.set(zmq::sockopt::curve_secretkey, server->options_.server_keys.secret_z85);
    s.set(zmq::sockopt::zap_domain, kZapDomain);
    // libzmq closes a connection whose message exceeds this; below it, Admit() drops and counts.
    s.set(zmq::sockopt::maxmsgsize,
          static_cast<int64_t>(server->options_.max_frame_bytes) * 4 + 1024);
    s.set(zmq::sockopt::router_mandatory, 1);
    // Per connection: a host queues at most a few reports (its send queue is 4), and the bound
    // keeps one enrolled key from parking up to rcvhwm x maxmsgsize bytes in the proxy.
    s.set(zmq::sockopt::rcvhwm, 64);
    s.set(zmq::sockopt::handshake_ivl,
          static_cast<int>(server->options_.handshake_timeout.count()));
    server->guard_ = std::make_unique<ConnectionGuard>(context, s, server->options_.guard);
    if (!server->guard_->ok()) {
      return Unexpected(ErrorCode::kUnavailable,
                        "cannot watch connections to " + server->options_.bind_endpoint);
    }
    s.bind(server->options_.bind_endpoint);
  } catch (const zmq::error_t& e) {
    return Unexpected(ErrorCode::kUnavailable,
                      "cannot bind " + server->options_.bind_endpoint + ": " + e.what());
  }
  return server;
}

std::string SecureServer::endpoint() const {
  return socket_.get(zmq::sockopt::last_endpoint);
}

bool SecureServer::Admit(zmq::message_t& routing, zmq::message_t& payload, Incoming* out) {
  if (payload.size() > options_.max_frame_bytes) {
    counters_.dropped_oversize++;
    return false;
  }
  const char* user_id = payload.gets("User-Id");
  const char* address = payload.gets("Peer-Address");
  std::string key = user_id ? user_id : "";
  // The ZAP handler set the user id to the client's key; look it up again so that a revocation
  // takes effect on established connections, not only on the next handshake.
  auto peer = zap_->allow_list()->Find(key);
  if (!peer) {
    counters_.dropped_revoked++;
    return false;
  }
  auto envelope = protocol::Decode(payload.data(), payload.size(), options_.max_frame_bytes);
  if (!envelope) {
    counters_.dropped_undecodable++;
    return false;
  }
  if (envelope->host_id() != peer->identity) {
    counters_.dropped_identity_mismatch++;
    // The claimed id is the sender's to choose (up to a whole frame): bounded and escaped.
    log::Warn("dropped a report claiming host id " + text::QuoteUntrusted(envelope->host_id(), 80) +
              " sent with the key of " + text::QuoteUntrusted(peer->identity, 80));
    return false;
  }
  switch (replay_.Check(peer->identity, envelope->boot_id(), envelope->sequence())) {
    case ReplayVerdict::kAccepted:
      break;
    case ReplayVerdict::kNotNewer:
      counters_.dropped_replay++;
      return false;
    case ReplayVerdict::kImplausible:
      counters_.dropped_implausible_stamp++;
      return false;
  }
  counters_.accepted++;
  out->routing_id = routing.to_string();
  out->identity = peer->identity;
  out->public_z85 = key;
  out->peer_address = address ? address : "";
  out->envelope = std::move(*envelope);
  return true;
}

Expected<std::optional<Incoming>> SecureServer::Receive(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!zap_->running()) {
      return Unexpected(ErrorCode::kUnavailable,
                        "the ZAP handler stopped; refusing to accept further messages");
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) {
      left = std::chrono::milliseconds(0);
    }
    // Read first, poll only when nothing is queued: under load a poll per frame (zmq_poll or
    // ZMQ_EVENTS, each a system call) cost more than the frame's own checks (docs/performance.md,
    // report ingest). recv's own command processing is throttled by libzmq.
    zmq::message_t routing;
    zmq::message_t payload;
    if (!socket_.recv(routing, zmq::recv_flags::dontwait)) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (!PollInterruptible(&item, left)) {
        return std::optional<Incoming>();  // a signal: the caller checks its stop flag
      }
      if (!(item.revents & ZMQ_POLLIN) && left.count() == 0) {
        return std::optional<Incoming>();
      }
      continue;
    }
    bool well_formed = routing.more() && socket_.recv(payload, zmq::recv_flags::dontwait);
    bool extra = well_formed && payload.more();
    while (payload.more() || (!well_formed && routing.more())) {
      // Discard the rest of a multi-part message: we only speak single-frame envelopes.
      zmq::message_t rest;
      if (!socket_.recv(rest, zmq::recv_flags::dontwait) || !rest.more()) {
        break;
      }
    }
    if (!well_formed || extra) {
      counters_.dropped_malformed++;
      continue;
    }
    Incoming in;
    if (Admit(routing, payload, &in)) {
      return std::optional<Incoming>(std::move(in));
    }
  }
}

Status SecureServer::Send(const std::string& routing_id, const proto::Envelope& envelope) {
  std::string bytes = protocol::Encode(envelope);
  try {
    if (!socket_.send(zmq::buffer(routing_id),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait) ||
        !socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) {
      return Unexpected(ErrorCode::kUnavailable, "reply queue full");
    }
  } catch (const zmq::error_t& e) {
    return Unexpected(ErrorCode::kUnavailable, std::string("cannot reply: ") + e.what());
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Client

SecureClient::SecureClient(zmq::context_t& context, ClientOptions options)
    : options_(std::move(options)), socket_(context, zmq::socket_type::dealer) {}

Expected<std::unique_ptr<SecureClient>> SecureClient::Create(zmq::context_t& context,
                                                             ClientOptions options) {
  if (auto s = CheckLibzmq(); !s) {
    return s.error();
  }
  if (auto s = keys::ValidateKey(options.server_public_z85, "proxy server key"); !s) {
    return s.error();
  }
  if (auto s = keys::ValidateKey(options.client_keys.secret_z85, "host secret key"); !s) {
    return s.error();
  }
  std::unique_ptr<SecureClient> client(new SecureClient(context, std::move(options)));
  zmq::socket_t& s = client->socket_;
  try {
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::curve_serverkey, client->options_.server_public_z85);
    s.set(zmq::sockopt::curve_publickey, client->options_.client_keys.public_z85);
    s.set(zmq::sockopt::curve_secretkey, client->options_.client_keys.secret_z85);
    s.set(zmq::sockopt::sndhwm, client->options_.send_queue);
    s.set(zmq::sockopt::maxmsgsize,
          static_cast<int64_t>(client->options_.max_frame_bytes) * 4 + 1024);
    // libzmq's own reconnect back-off; the agent adds jitter on top for its reports.
    s.set(zmq::sockopt::reconnect_ivl, 500);
    s.set(zmq::sockopt::reconnect_ivl_max, 30000);
    s.connect(client->options_.connect_endpoint);
  } catch (const zmq::error_t& e) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "cannot connect to " + client->options_.connect_endpoint + ": " + e.what());
  }
  return client;
}

Status SecureClient::Send(const proto::Envelope& envelope) {
  std::string bytes = protocol::Encode(envelope);
  try {
    if (!socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) {
      return Unexpected(ErrorCode::kUnavailable,
                        "send queue to " + options_.connect_endpoint + " is full");
    }
  } catch (const zmq::error_t& e) {
    return Unexpected(ErrorCode::kUnavailable, std::string("cannot send: ") + e.what());
  }
  return OkStatus();
}

Expected<std::optional<proto::Envelope>> SecureClient::Receive(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) {
      left = std::chrono::milliseconds(0);
    }
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (!PollInterruptible(&item, left)) {
      return std::optional<proto::Envelope>();  // a signal: the caller checks its stop flag
    }
    if (!(item.revents & ZMQ_POLLIN)) {
      if (left.count() == 0) {
        return std::optional<proto::Envelope>();
      }
      continue;
    }
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) {
      continue;
    }
    if (frame.more()) {
      while (frame.more()) {
        zmq::message_t rest;
        if (!socket_.recv(rest, zmq::recv_flags::dontwait)) {
          break;
        }
        frame = std::move(rest);
      }
      dropped_++;
      continue;
    }
    auto envelope = protocol::Decode(frame.data(), frame.size(), options_.max_frame_bytes);
    if (!envelope ||
        !replay_.Accept(envelope->host_id(), envelope->boot_id(), envelope->sequence())) {
      dropped_++;
      continue;
    }
    return std::optional<proto::Envelope>(std::move(*envelope));
  }
}

}  // namespace bnfc::channel
