// A vSphere API session over a Transport: RetrieveServiceContent, Login, one container view of
// the hosts in scope, then per interval one RetrievePropertiesEx (+ ContinueRetrievePropertiesEx
// pages) for all of them. The session cookie is reused across intervals; a NotAuthenticated
// answer (an expired session) logs in again once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "soap.h"
#include "source_config.h"

namespace bnfc::vsphere {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string set_cookie;  // the vmware_soap_session cookie ("name=value"), "" when none was set
};

// One HTTPS POST of a SOAP envelope to the source's /sdk. Implementations verify the server
// (pinned thumbprint or CA) before the first byte of `body` is sent.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Expected<HttpResponse> Post(const std::string& soap_action, const std::string& body,
                                      const std::string& cookie) = 0;
};

struct ClientOptions {
  int max_objects_per_page = 250;
  size_t max_pages = 1000;         // a server that keeps returning tokens is refused
  bool want_vnic_manager = false;  // ensure: the HostVirtualNicManager references are needed
};

// The host properties one read asks for.
std::vector<std::string> HostPropertyPaths(bool want_vnic_manager);

struct HostsRead {
  std::vector<soap::ObjectContent> hosts;
  size_t pages = 0;
  size_t requests = 0;  // SOAP requests this read made (login and view set-up included)
};

class Client {
 public:
  Client(Transport& transport, Credentials credentials, Scope scope, ClientOptions options = {});
  // All hosts in scope with HostPropertyPaths(). Sets up the session and view when needed.
  Expected<HostsRead> ReadHosts();
  Status SelectVnic(const soap::MoRef& vnic_manager, const std::string& nic_type,
                    const std::string& device);
  Status DeselectVnic(const soap::MoRef& vnic_manager, const std::string& nic_type,
                      const std::string& device);
  // Best effort: destroys the view and ends the session.
  void Logout();
  bool logged_in() const { return !cookie_.empty(); }
  const soap::ServiceContent& service_content() const { return sc_; }

 private:
  Expected<std::string> Call(const std::string& body, size_t& requests);
  Status EnsureSession(size_t& requests);
  Status EnsureView(size_t& requests);
  Expected<soap::MoRef> FindContainer(size_t& requests);
  Expected<HostsRead> ReadOnce(size_t& requests);
  void Reset();

  Transport& transport_;
  Credentials credentials_;
  Scope scope_;
  ClientOptions options_;
  soap::ServiceContent sc_;
  std::string cookie_;
  soap::MoRef view_;
};

// True when the error is the server saying the session is gone (NotAuthenticated).
bool IsNotAuthenticated(const Error& e);

}  // namespace bnfc::vsphere
