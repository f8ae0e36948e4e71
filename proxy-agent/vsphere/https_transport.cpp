#include "https_transport.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/String.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <istream>
#include <mutex>
#include <ostream>

namespace bnfc::vsphere {

namespace {

std::string Hex(const unsigned char* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i != 0) {
      out += ':';
    }
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string CertThumbprint(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) {
    return "";
  }
  return Hex(md, n);
}

Poco::Net::Context::Ptr MakeContext(const TlsPolicy& tls) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  using Poco::Net::Context;
  // Thumbprint and insecure: the chain is not judged by OpenSSL (a pinned self-signed ESXi
  // certificate is the common case); the pin is checked right after the handshake.
  const bool chain = !tls.ca_file.empty();
  Context::Ptr ctx = new Context(Context::TLS_CLIENT_USE, "", "", chain ? tls.ca_file : "",
                                 chain ? Context::VERIFY_RELAXED : Context::VERIFY_NONE, 9, false,
                                 "HIGH:!aNULL:!MD5:!RC4");
  ctx->requireMinimumProtocol(Context::PROTO_TLSV1_2);
  // The host name is checked here, not through Poco's process-wide certificate handler.
  ctx->enableExtendedCertificateVerification(false);
  return ctx;
}

}  // namespace

std::string Sha256Thumbprint(const std::string& der) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(der.data(), der.size(), md, &n, EVP_sha256(), nullptr) != 1) {
    return "";
  }
  return Hex(md, n);
}

HttpsTransport::HttpsTransport(Url url, TlsPolicy tls, std::chrono::milliseconds timeout,
                               size_t max_response_bytes)
    : url_(std::move(url)),
      tls_(std::move(tls)),
      timeout_(timeout),
      max_response_bytes_(max_response_bytes) {}

namespace {

// Poco connects lazily, inside sendRequest(). The check sits in connect(), which runs right after
// the TLS handshake and before the request is written, on the first connection and on any
// reconnect alike; a refusal throws and leaves the reason in `refusal`.
class VerifiedSession : public Poco::Net::HTTPSClientSession {
 public:
  VerifiedSession(const Url& url, Poco::Net::Context::Ptr ctx, const TlsPolicy& tls,
                  std::string& seen, std::string& refusal)
      : HTTPSClientSession(url.host, static_cast<Poco::UInt16>(url.port), ctx),
        url_(url),
        tls_(tls),
        seen_(seen),
        refusal_(refusal) {}

 protected:
  void connect(const Poco::Net::SocketAddress& address) override {
    HTTPSClientSession::connect(address);
    Poco::Net::SecureStreamSocket sss(socket());
    sss.completeHandshake();
    Poco::Net::X509Certificate cert = sss.peerCertificate();
    seen_ = CertThumbprint(cert.certificate());
    const std::string where = url_.host + ":" + std::to_string(url_.port);
    if (!tls_.thumbprint.empty() && seen_ != tls_.thumbprint) {
      refusal_ = where + ": the server's certificate has SHA-256 thumbprint " + seen_ +
                 ", not the pinned " + tls_.thumbprint +
                 "; nothing was sent (check the server, then the thumbprint in the source file)";
    } else if (!tls_.ca_file.empty() && !cert.verify(url_.host)) {
      refusal_ = where + ": the server's certificate (subject " + cert.subjectName() +
                 ") is not issued for " + url_.host + "; nothing was sent";
    }
    if (!refusal_.empty()) {
      sss.close();
      throw Poco::Net::CertificateValidationException(refusal_);
    }
  }

 private:
  const Url& url_;
  const TlsPolicy& tls_;
  std::string& seen_;
  std::string& refusal_;
};

}  // namespace

Expected<HttpResponse> HttpsTransport::Post(const std::string& soap_action, const std::string& body,
                                            const std::string& cookie) {
  const std::string where = url_.host + ":" + std::to_string(url_.port);
  const Poco::Timespan timeout(static_cast<long>(timeout_.count() / 1000),
                               static_cast<long>((timeout_.count() % 1000) * 1000));
  std::string refusal;
  try {
    VerifiedSession session(url_, MakeContext(tls_), tls_, last_thumbprint_, refusal);
    session.setTimeout(timeout);
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, url_.path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost(url_.host, static_cast<Poco::UInt16>(url_.port));
    req.setContentType("text/xml; charset=utf-8");
    req.set("SOAPAction", "\"" + soap_action + "\"");
    if (!cookie.empty()) {
      req.set("Cookie", cookie);
    }
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    req.setKeepAlive(false);
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    HttpResponse out;
    out.status = static_cast<int>(resp.getStatus());
    if (resp.hasContentLength() &&
        resp.getContentLength64() > static_cast<Poco::Int64>(max_response_bytes_)) {
      return Unexpected(ErrorCode::kProtocol, where + ": response of " +
                                                  std::to_string(resp.getContentLength64()) +
                                                  " bytes is larger than the limit");
    }
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      out.body.append(buf, static_cast<size_t>(in.gcount()));
      if (out.body.size() > max_response_bytes_) {
        return Unexpected(ErrorCode::kProtocol, where + ": response larger than " +
                                                    std::to_string(max_response_bytes_) + " bytes");
      }
    }
    for (const auto& [name, value] : resp) {
      if (Poco::icompare(name, "Set-Cookie") == 0 && value.rfind("vmware_soap_session=", 0) == 0) {
        out.set_cookie = value.substr(0, value.find(';'));
      }
    }
    return out;
  } catch (const Poco::Net::CertificateValidationException& e) {
    return Unexpected(ErrorCode::kPermission,
                      refusal.empty() ? where + ": TLS: " + e.displayText() : refusal);
  } catch (const Poco::TimeoutException& e) {
    return Unexpected(ErrorCode::kTimeout, where + ": " + e.displayText());
  } catch (const Poco::Net::SSLException& e) {
    return Unexpected(ErrorCode::kPermission, where + ": TLS: " + e.displayText());
  } catch (const Poco::Exception& e) {
    return Unexpected(ErrorCode::kUnavailable, where + ": " + e.displayText());
  } catch (const std::exception& e) {
    return Unexpected(ErrorCode::kUnavailable, where + ": " + e.what());
  }
}

}  // namespace bnfc::vsphere
