// The real Transport: HTTPS to the source's /sdk with Poco NetSSL. Each POST opens a connection,
// completes the TLS handshake and verifies the server (the leaf certificate's SHA-256 against the
// pinned thumbprint, or the chain against ca_file and the URL's host name) BEFORE any byte of the
// request, so credentials and session cookies only ever reach the pinned server. A fresh,
// verified connection per request also means no library-driven reconnect can skip the check.
#pragma once

#include <chrono>
#include <string>

#include "client.h"
#include "source_config.h"

namespace bnfc::vsphere {

struct TlsPolicy {
  std::string thumbprint;  // normalized "aa:bb:..."; "" when ca_file or insecure
  std::string ca_file;
  bool insecure = false;
};

class HttpsTransport : public Transport {
 public:
  HttpsTransport(Url url, TlsPolicy tls, std::chrono::milliseconds timeout,
                 size_t max_response_bytes = 64u << 20);
  Expected<HttpResponse> Post(const std::string& soap_action, const std::string& body,
                              const std::string& cookie) override;
  // The thumbprint seen on the last handshake ("" before one), for the report and first setup.
  const std::string& last_thumbprint() const { return last_thumbprint_; }

 private:
  Url url_;
  TlsPolicy tls_;
  std::chrono::milliseconds timeout_;
  size_t max_response_bytes_;
  std::string last_thumbprint_;
};

// SHA-256 of a DER certificate as "aa:bb:..." (lower case).
std::string Sha256Thumbprint(const std::string& der);

}  // namespace bnfc::vsphere
