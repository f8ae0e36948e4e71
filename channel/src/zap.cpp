#include "bnfc/zap.h"

#include <chrono>

#include <array>

#include "bnfc/host_id.h"
#include "bnfc/keys.h"
#include "bnfc/log.h"

namespace bnfc::channel {

Status AllowList::Add(const std::string& public_z85, Peer peer) {
  if (auto s = Validate(public_z85, peer); !s) {
    return s;
  }
  std::lock_guard<std::mutex> lock(mu_);
  by_key_[public_z85] = std::move(peer);
  return OkStatus();
}

Status AllowList::ReplaceAll(std::map<std::string, Peer> by_key) {
  for (const auto& [key, peer] : by_key) {
    if (auto s = Validate(key, peer); !s) {
      return s;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  by_key_ = std::move(by_key);
  return OkStatus();
}

Status AllowList::Validate(const std::string& public_z85, const Peer& peer) {
  if (auto s = ValidateHostId(peer.identity); !s) {
    return s;
  }
  if (auto s = keys::ValidateKey(public_z85, "key for '" + peer.identity + "'"); !s) {
    return s;
  }
  if (peer.allowed_sources.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "key for '" + peer.identity +
                          "' has no allowed source prefixes; give at least one (0.0.0.0/0 to "
                          "allow any IPv4 source)");
  }
  return OkStatus();
}

bool AllowList::Remove(const std::string& public_z85) {
  std::lock_guard<std::mutex> lock(mu_);
  return by_key_.erase(public_z85) > 0;
}

size_t AllowList::RemoveIdentity(const std::string& identity) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t removed = 0;
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    if (it->second.identity == identity) {
      it = by_key_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

std::optional<Peer> AllowList::Find(const std::string& public_z85) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(public_z85);
  if (it == by_key_.end()) {
    return std::nullopt;
  }
  return it->second;
}

size_t AllowList::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_key_.size();
}

const char* ZapVerdictName(ZapVerdict v) {
  switch (v) {
    case ZapVerdict::kAccepted:
      return "accepted";
    case ZapVerdict::kUnknownKey:
      return "unknown_key";
    case ZapVerdict::kWrongSource:
      return "wrong_source";
    case ZapVerdict::kBadMechanism:
      return "bad_mechanism";
    case ZapVerdict::kBadDomain:
      return "bad_domain";
  }
  return "unknown";
}

ZapDecision Decide(const AllowList& allow, const ZapRequest& request) {
  ZapDecision d;
  if (request.domain != kZapDomain) {
    d.verdict = ZapVerdict::kBadDomain;
    d.reason = "ZAP domain '" + request.domain + "' is not ours";
    return d;
  }
  if (request.mechanism != "CURVE") {
    d.verdict = ZapVerdict::kBadMechanism;
    d.reason = "mechanism " + request.mechanism + " refused; only CURVE is allowed";
    return d;
  }
  auto peer = allow.Find(request.public_z85);
  if (!peer) {
    d.verdict = ZapVerdict::kUnknownKey;
    d.reason = "key " + keys::Fingerprint(request.public_z85) + " from " + request.address +
               " is not enrolled";
    return d;
  }
  auto address = net::IpAddress::Parse(request.address);
  bool source_ok = false;
  if (address) {
    for (const auto& prefix : peer->allowed_sources) {
      if (prefix.Contains(*address)) {
        source_ok = true;
        break;
      }
    }
  }
  if (!source_ok) {
    d.verdict = ZapVerdict::kWrongSource;
    d.reason = "key of '" + peer->identity + "' used from " + request.address +
               ", outside its allowed source prefixes";
    return d;
  }
  d.verdict = ZapVerdict::kAccepted;
  d.user_id = request.public_z85;
  d.reason = "accepted '" + peer->identity + "' from " + request.address;
  return d;
}

ZapHandler::ZapHandler(zmq::context_t& context, std::shared_ptr<AllowList> allow)
    : context_(context), allow_(std::move(allow)) {}

ZapHandler::~ZapHandler() {
  Stop();
}

void ZapHandler::SetUnknownKeyCallback(UnknownKeyCallback cb) {
  std::lock_guard<std::mutex> lock(cb_mu_);
  on_unknown_ = std::move(cb);
}

Status ZapHandler::Start() {
  if (running_) {
    return OkStatus();
  }
  try {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::rep);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    socket_.reset();
    return Unexpected(ErrorCode::kConflict,
                      std::string("cannot bind the ZAP handler (another one already bound in "
                                  "this context?): ") +
                          e.what());
  }
  stop_ = false;
  running_ = true;
  thread_ = std::thread([this] { Serve(); });
  return OkStatus();
}

void ZapHandler::Stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  running_ = false;
}

void ZapHandler::Serve() {
  try {
    while (!stop_) {
      zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
      if (item.revents & ZMQ_POLLIN) {
        HandleOne();
      }
    }
  } catch (const zmq::error_t& e) {
    log::Error(std::string("ZAP handler stopped: ") + e.what());
  }
  socket_->close();
  socket_.reset();
  running_ = false;
}

void ZapHandler::HandleOne() {
  // RFC 27 request: version, request id, domain, address, routing id, mechanism, credentials...
  std::vector<zmq::message_t> frames;
  while (true) {
    zmq::message_t frame;
    if (!socket_->recv(frame, zmq::recv_flags::none)) {
      return;
    }
    bool more = frame.more();
    frames.push_back(std::move(frame));
    if (!more) {
      break;
    }
  }
  auto text = [&](size_t i) { return i < frames.size() ? frames[i].to_string() : std::string(); };
  std::string request_id = text(1);
  ZapRequest request{text(2), text(3), text(5), ""};
  ZapDecision decision;
  if (frames.size() < 6 || text(0) != "1.0") {
    decision.verdict = ZapVerdict::kBadMechanism;
    decision.reason = "malformed ZAP request";
  } else {
    if (request.mechanism == "CURVE" && frames.size() >= 7 && frames[6].size() == 32) {
      char z85[41] = {};
      zmq_z85_encode(z85, static_cast<const uint8_t*>(frames[6].data()), 32);
      request.public_z85 = z85;
    }
    decision = Decide(*allow_, request);
  }
  switch (decision.verdict) {
    case ZapVerdict::kAccepted:
      stats_.accepted++;
      break;
    case ZapVerdict::kUnknownKey: {
      stats_.unknown_key++;
      UnknownKeyCallback cb;
      {
        std::lock_guard<std::mutex> lock(cb_mu_);
        cb = on_unknown_;
      }
      if (cb && !request.public_z85.empty()) {
        cb(request.public_z85, request.address);
      }
      break;
    }
    case ZapVerdict::kWrongSource:
      stats_.wrong_source++;
      break;
    default:
      stats_.other_refusals++;
  }
  if (decision.verdict != ZapVerdict::kAccepted) {
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    if (last_refusal_log_ms_ == 0 || now - last_refusal_log_ms_ >= 10000) {
      log::Warn("refused connection: " + decision.reason +
                (refusals_not_logged_ > 0 ? " (and " + std::to_string(refusals_not_logged_) +
                                                " more refusal(s) since the last such line; see "
                                                "bnfc_reports_rejected_total)"
                                          : std::string()));
      last_refusal_log_ms_ = now;
      refusals_not_logged_ = 0;
    } else {
      ++refusals_not_logged_;
    }
  }
  bool ok = decision.verdict == ZapVerdict::kAccepted;
  std::array<std::string, 6> reply = {"1.0",
                                      request_id,
                                      ok ? "200" : "400",
                                      ok ? "OK" : decision.reason,
                                      ok ? decision.user_id : "",
                                      ""};
  for (size_t i = 0; i < reply.size(); ++i) {
    socket_->send(zmq::buffer(reply[i]),
                  i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

}  // namespace bnfc::channel
