#include "client.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "bnfc/text.h"

namespace bnfc::vsphere {

namespace {

// The method name inside a request envelope ("<Login xmlns=..."), for the SOAPAction and
// messages.
std::string MethodOf(const std::string& body) {
  size_t at = body.find("<soapenv:Body><");
  if (at == std::string::npos) {
    return "?";
  }
  at += 15;
  size_t end = body.find_first_of(" >", at);
  return body.substr(at, end - at);
}

}  // namespace

std::vector<std::string> HostPropertyPaths(bool want_vnic_manager) {
  std::vector<std::string> p = {"name", "config.network.vnic", "config.network.portgroup",
                                "config.virtualNicManagerInfo.netConfig",
                                "runtime.connectionState"};
  if (want_vnic_manager) {
    p.push_back("configManager.virtualNicManager");
  }
  return p;
}

bool IsNotAuthenticated(const Error& e) {
  // Our own prefixes ("RetrievePropertiesExResponse: ") come before the fault type.
  const size_t at = e.message.find("NotAuthenticated: ");
  return e.code == ErrorCode::kProtocol && at != std::string::npos &&
         (at == 0 || e.message.compare(at - 2, 2, ": ") == 0);
}

Client::Client(Transport& transport, Credentials credentials, Scope scope, ClientOptions options)
    : transport_(transport),
      credentials_(std::move(credentials)),
      scope_(std::move(scope)),
      options_(options) {}

Expected<std::string> Client::Call(const std::string& body, size_t& requests) {
  ++requests;
  const std::string method = MethodOf(body);
  // Announce the server's own API version once known, so it serializes every property it has.
  const std::string version = sc_.api_version.empty() ? "6.7" : sc_.api_version;
  auto r = transport_.Post("urn:vim25/" + version, body, cookie_);
  if (!r) {
    return Unexpected(r.error().code, method + ": " + r.error().message);
  }
  if (!r->set_cookie.empty()) {
    cookie_ = r->set_cookie;
  }
  // SOAP faults come with status 500 and are parsed by the caller; anything else non-200 is not
  // a vSphere answer.
  if (r->status != 200 && r->status != 500) {
    return Unexpected(ErrorCode::kProtocol,
                      method + ": HTTP status " + std::to_string(r->status) + " from the server");
  }
  return std::move(r->body);
}

void Client::Reset() {
  cookie_.clear();
  view_ = {};
}

Status Client::EnsureSession(size_t& requests) {
  if (!cookie_.empty()) {
    return OkStatus();
  }
  view_ = {};
  auto sc_body = Call(soap::RetrieveServiceContent(), requests);
  if (!sc_body) {
    return sc_body.error();
  }
  auto sc = soap::ParseServiceContent(*sc_body);
  if (!sc) {
    return Unexpected(sc.error().code, "RetrieveServiceContent: " + sc.error().message);
  }
  sc_ = *sc;
  cookie_.clear();  // only the Login answer's cookie is a session
  auto login = Call(soap::Login(sc_.session_manager, credentials_.username, credentials_.password),
                    requests);
  if (!login) {
    return login.error();
  }
  if (auto s = soap::ParseLogin(*login); !s) {
    cookie_.clear();
    return Unexpected(
        s.error().code,
        "Login as " + text::QuoteUntrusted(credentials_.username, 80) + ": " + s.error().message);
  }
  if (cookie_.empty()) {
    return Unexpected(ErrorCode::kProtocol, "Login: the server set no session cookie");
  }
  return OkStatus();
}

Expected<soap::MoRef> Client::FindContainer(size_t& requests) {
  if (scope_.kind == ScopeKind::kAll || scope_.kind == ScopeKind::kHosts) {
    return sc_.root_folder;
  }
  const std::string type =
      scope_.kind == ScopeKind::kCluster ? "ClusterComputeResource" : "Datacenter";
  auto view_body =
      Call(soap::CreateContainerView(sc_.view_manager, sc_.root_folder, type), requests);
  if (!view_body) {
    return view_body.error();
  }
  auto view = soap::ParseCreateContainerView(*view_body);
  if (!view) {
    return view.error();
  }
  auto page = Call(soap::RetrievePropertiesEx(sc_.property_collector, *view, type, {"name"}, 10000),
                   requests);
  (void)Call(soap::DestroyView(*view), requests);
  if (!page) {
    return page.error();
  }
  auto result = soap::ParseRetrieve(*page, "RetrievePropertiesExResponse");
  if (!result) {
    return result.error();
  }
  std::vector<soap::MoRef> found;
  for (const auto& o : result->objects) {
    auto it = o.props.find("name");
    if (it != o.props.end() && it->second.text == scope_.name) {
      found.push_back(o.obj);
    }
  }
  const std::string what =
      std::string(ScopeKindName(scope_.kind)) + " " + text::QuoteUntrusted(scope_.name, 80);
  if (found.empty()) {
    return Unexpected(ErrorCode::kNotFound, "scope: no " + what + " on this server");
  }
  if (found.size() > 1) {
    return Unexpected(ErrorCode::kConflict, "scope: " + std::to_string(found.size()) +
                                                " objects are named " + what +
                                                "; name a unique one");
  }
  return found.front();
}

Status Client::EnsureView(size_t& requests) {
  if (!view_.empty()) {
    return OkStatus();
  }
  auto container = FindContainer(requests);
  if (!container) {
    return container.error();
  }
  auto body = Call(soap::CreateContainerView(sc_.view_manager, *container, "HostSystem"), requests);
  if (!body) {
    return body.error();
  }
  auto view = soap::ParseCreateContainerView(*body);
  if (!view) {
    return Unexpected(view.error().code, "CreateContainerView: " + view.error().message);
  }
  view_ = *view;
  return OkStatus();
}

Expected<HostsRead> Client::ReadOnce(size_t& requests) {
  HostsRead out;
  if (auto s = EnsureSession(requests); !s) {
    return s.error();
  }
  if (auto s = EnsureView(requests); !s) {
    return s.error();
  }
  auto body = Call(soap::RetrievePropertiesEx(sc_.property_collector, view_, "HostSystem",
                                              HostPropertyPaths(options_.want_vnic_manager),
                                              options_.max_objects_per_page),
                   requests);
  std::string response = "RetrievePropertiesExResponse";
  std::set<std::string> seen;
  while (true) {
    if (!body) {
      return body.error();
    }
    auto page = soap::ParseRetrieve(*body, response);
    std::string().swap(*body);  // the page's text is not needed once parsed
    if (!page) {
      return Unexpected(page.error().code, response + ": " + page.error().message);
    }
    ++out.pages;
    for (auto& o : page->objects) {
      if (!seen.insert(o.obj.value).second) {
        return Unexpected(ErrorCode::kProtocol,
                          "the server returned " + o.obj.value + " twice in one read");
      }
      out.hosts.push_back(std::move(o));
    }
    if (page->token.empty()) {
      break;
    }
    if (out.pages >= options_.max_pages) {
      return Unexpected(ErrorCode::kProtocol, "more than " + std::to_string(options_.max_pages) +
                                                  " pages in one read; refusing to continue");
    }
    response = "ContinueRetrievePropertiesExResponse";
    body = Call(soap::ContinueRetrievePropertiesEx(sc_.property_collector, page->token), requests);
  }
  out.requests = requests;
  if (scope_.kind == ScopeKind::kHosts) {
    const std::set<std::string> wanted(scope_.hosts.begin(), scope_.hosts.end());
    out.hosts.erase(std::remove_if(out.hosts.begin(), out.hosts.end(),
                                   [&](const soap::ObjectContent& o) {
                                     auto it = o.props.find("name");
                                     return it == o.props.end() ||
                                            wanted.count(text::AsciiLower(it->second.text)) == 0;
                                   }),
                    out.hosts.end());
  }
  return out;
}

Expected<HostsRead> Client::ReadHosts() {
  size_t requests = 0;
  auto r = ReadOnce(requests);
  if (!r && IsNotAuthenticated(r.error())) {
    // The session expired (or the server restarted): one fresh login, then give up.
    Reset();
    return ReadOnce(requests);
  }
  return r;
}

namespace {

Status VnicCall(const Expected<std::string>& body, const std::string& response) {
  if (!body) {
    return body.error();
  }
  return soap::ParseVoid(*body, response);
}

}  // namespace

Status Client::SelectVnic(const soap::MoRef& m, const std::string& nic_type,
                          const std::string& device) {
  size_t requests = 0;
  if (auto s = EnsureSession(requests); !s) {
    return s.error();
  }
  return VnicCall(Call(soap::SelectVnicForNicType(m, nic_type, device), requests),
                  "SelectVnicForNicTypeResponse");
}

Status Client::DeselectVnic(const soap::MoRef& m, const std::string& nic_type,
                            const std::string& device) {
  size_t requests = 0;
  if (auto s = EnsureSession(requests); !s) {
    return s.error();
  }
  return VnicCall(Call(soap::DeselectVnicForNicType(m, nic_type, device), requests),
                  "DeselectVnicForNicTypeResponse");
}

void Client::Logout() {
  if (cookie_.empty()) {
    return;
  }
  size_t requests = 0;
  if (!view_.empty()) {
    (void)Call(soap::DestroyView(view_), requests);
  }
  (void)Call(soap::Logout(sc_.session_manager), requests);
  Reset();
}

}  // namespace bnfc::vsphere
