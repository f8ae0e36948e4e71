// vSphere SOAP messages (urn:vim25): request bodies built from typed arguments, responses parsed
// into typed results. Pure functions: no I/O. Every parse error says which element was expected.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "xml.h"

namespace bnfc::vsphere::soap {

// A managed object reference: <x type="HostSystem">host-21</x>.
struct MoRef {
  std::string type;
  std::string value;
  bool empty() const { return value.empty(); }
  bool operator==(const MoRef& o) const { return type == o.type && value == o.value; }
};

struct ServiceContent {
  MoRef root_folder;
  MoRef property_collector;
  MoRef view_manager;
  MoRef session_manager;
  std::string api_version;  // about.apiVersion, e.g. "8.0.3.0"
  std::string product;      // about.fullName
};

// One object of a RetrievePropertiesEx answer: its reference and the requested properties that
// came back (path -> the <val> element). `missing` lists paths the server could not read, with the
// fault's type (e.g. NoPermission).
struct ObjectContent {
  MoRef obj;
  std::map<std::string, xml::Node> props;
  std::map<std::string, std::string> missing;
};

struct RetrieveResult {
  std::vector<ObjectContent> objects;
  std::string token;  // "" when this was the last page
};

// A SOAP fault: `fault_type` is the detail's type (InvalidLogin, NotAuthenticated, NoPermission,
// InvalidProperty, ...; "" when the server gave none).
struct Fault {
  std::string fault_type;
  std::string message;
};

// ---- Requests (complete SOAP envelopes) ----
std::string RetrieveServiceContent();
std::string Login(const MoRef& session_manager, const std::string& user, const std::string& pass);
std::string Logout(const MoRef& session_manager);
std::string CreateContainerView(const MoRef& view_manager, const MoRef& container,
                                const std::string& type);
std::string DestroyView(const MoRef& view);
// Every object of `type` in `view`, with `paths`, at most `max_objects` per page.
std::string RetrievePropertiesEx(const MoRef& collector, const MoRef& view, const std::string& type,
                                 const std::vector<std::string>& paths, int max_objects);
std::string ContinueRetrievePropertiesEx(const MoRef& collector, const std::string& token);
std::string SelectVnicForNicType(const MoRef& vnic_manager, const std::string& nic_type,
                                 const std::string& device);
std::string DeselectVnicForNicType(const MoRef& vnic_manager, const std::string& nic_type,
                                   const std::string& device);

// ---- Responses ----
// The SOAP body's single child, or the fault if the body holds one (ErrorCode::kProtocol, with
// the fault type first in the message: "InvalidLogin: Cannot complete login ...").
Expected<xml::Node> ResponseBody(const std::string& bytes, const std::string& expected_response);
// The fault, when `bytes` is a SOAP fault document; nullopt-like empty fault_type and message
// when it is not.
Fault FaultOf(const std::string& bytes);
Expected<ServiceContent> ParseServiceContent(const std::string& bytes);
Status ParseLogin(const std::string& bytes);
Expected<MoRef> ParseCreateContainerView(const std::string& bytes);
// For RetrievePropertiesExResponse and ContinueRetrievePropertiesExResponse. An empty answer
// (no returnval) is a valid empty result.
Expected<RetrieveResult> ParseRetrieve(const std::string& bytes, const std::string& response_name);
Status ParseVoid(const std::string& bytes, const std::string& response_name);

// Reading a MoRef element: it needs a non-empty `type` attribute and text.
Expected<MoRef> ToMoRef(const xml::Node& n, const std::string& what);

}  // namespace bnfc::vsphere::soap
