#include "soap.h"

#include "bnfc/text.h"

namespace bnfc::vsphere::soap {

namespace {

std::string Esc(const std::string& s) {
  return text::EscapeXml(s);
}

std::string Envelope(const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>" +
         body + "</soapenv:Body></soapenv:Envelope>";
}

std::string Ref(const std::string& element, const MoRef& r) {
  return "<" + element + " type=\"" + Esc(r.type) + "\">" + Esc(r.value) + "</" + element + ">";
}

std::string Method(const std::string& name, const MoRef& self, const std::string& args) {
  return Envelope("<" + name + " xmlns=\"urn:vim25\">" + Ref("_this", self) + args + "</" + name +
                  ">");
}

Unexpected Shape(const std::string& what) {
  return Unexpected(ErrorCode::kParse, "unexpected SOAP response: " + what);
}

}  // namespace

std::string RetrieveServiceContent() {
  return Method("RetrieveServiceContent", MoRef{"ServiceInstance", "ServiceInstance"}, "");
}

std::string Login(const MoRef& sm, const std::string& user, const std::string& pass) {
  return Method("Login", sm,
                "<userName>" + Esc(user) + "</userName><password>" + Esc(pass) + "</password>");
}

std::string Logout(const MoRef& sm) {
  return Method("Logout", sm, "");
}

std::string CreateContainerView(const MoRef& vm, const MoRef& container, const std::string& type) {
  return Method(
      "CreateContainerView", vm,
      Ref("container", container) + "<type>" + Esc(type) + "</type><recursive>true</recursive>");
}

std::string DestroyView(const MoRef& view) {
  return Method("DestroyView", view, "");
}

std::string RetrievePropertiesEx(const MoRef& collector, const MoRef& view, const std::string& type,
                                 const std::vector<std::string>& paths, int max_objects) {
  std::string prop = "<propSet><type>" + Esc(type) + "</type><all>false</all>";
  for (const auto& p : paths) {
    prop += "<pathSet>" + Esc(p) + "</pathSet>";
  }
  prop += "</propSet>";
  const std::string obj = "<objectSet>" + Ref("obj", view) +
                          "<skip>true</skip><selectSet xsi:type=\"TraversalSpec\"><name>view</name>"
                          "<type>ContainerView</type><path>view</path><skip>false</skip>"
                          "</selectSet></objectSet>";
  return Method("RetrievePropertiesEx", collector,
                "<specSet>" + prop + obj + "</specSet><options><maxObjects>" +
                    std::to_string(max_objects) + "</maxObjects></options>");
}

std::string ContinueRetrievePropertiesEx(const MoRef& collector, const std::string& token) {
  return Method("ContinueRetrievePropertiesEx", collector, "<token>" + Esc(token) + "</token>");
}

std::string SelectVnicForNicType(const MoRef& m, const std::string& nic_type,
                                 const std::string& device) {
  return Method("SelectVnicForNicType", m,
                "<nicType>" + Esc(nic_type) + "</nicType><device>" + Esc(device) + "</device>");
}

std::string DeselectVnicForNicType(const MoRef& m, const std::string& nic_type,
                                   const std::string& device) {
  return Method("DeselectVnicForNicType", m,
                "<nicType>" + Esc(nic_type) + "</nicType><device>" + Esc(device) + "</device>");
}

Expected<MoRef> ToMoRef(const xml::Node& n, const std::string& what) {
  MoRef r{n.type, n.text};
  // Managed object ids carry no white space; trim the document's.
  size_t b = r.value.find_first_not_of(" \t\r\n");
  r.value =
      b == std::string::npos ? "" : r.value.substr(b, r.value.find_last_not_of(" \t\r\n") - b + 1);
  if (r.type.empty() || r.value.empty()) {
    return Shape(what + " is not a managed object reference (needs a type attribute and an id)");
  }
  return r;
}

namespace {

Expected<const xml::Node*> BodyChild(const xml::Node& root) {
  if (root.name != "Envelope") {
    return Shape("root element is <" + text::EscapeForLine(root.name, 64) + ">, not <Envelope>");
  }
  const xml::Node* body = root.Child("Body");
  if (body == nullptr) {
    return Shape("<Envelope> has no <Body>");
  }
  if (body->children.size() != 1) {
    return Shape("<Body> holds " + std::to_string(body->children.size()) +
                 " elements, expected one");
  }
  return &body->children.front();
}

Fault FaultFromNode(const xml::Node& f) {
  Fault out;
  out.message = f.ChildText("faultstring");
  if (const xml::Node* detail = f.Child("detail"); detail && !detail->children.empty()) {
    const xml::Node& d = detail->children.front();
    out.fault_type = !d.xsi_type.empty() ? d.xsi_type : d.name;
    const std::string suffix = "Fault";
    if (d.xsi_type.empty() && out.fault_type.size() > suffix.size() &&
        out.fault_type.compare(out.fault_type.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.fault_type.resize(out.fault_type.size() - suffix.size());
    }
  }
  return out;
}

}  // namespace

Fault FaultOf(const std::string& bytes) {
  auto root = xml::Parse(bytes);
  if (!root) {
    return {};
  }
  auto child = BodyChild(*root);
  if (!child || (*child)->name != "Fault") {
    return {};
  }
  return FaultFromNode(**child);
}

Expected<xml::Node> ResponseBody(const std::string& bytes, const std::string& expected) {
  auto root = xml::Parse(bytes);
  if (!root) {
    return root.error();
  }
  auto child = BodyChild(*root);
  if (!child) {
    return child.error();
  }
  if ((*child)->name == "Fault") {
    Fault f = FaultFromNode(**child);
    return Unexpected(ErrorCode::kProtocol,
                      (f.fault_type.empty() ? std::string("SOAP fault") : f.fault_type) + ": " +
                          text::EscapeForLine(f.message, 300));
  }
  if ((*child)->name != expected) {
    return Shape("<" + text::EscapeForLine((*child)->name, 64) + "> where <" + expected +
                 "> was expected");
  }
  return std::move(**child);
}

Expected<ServiceContent> ParseServiceContent(const std::string& bytes) {
  auto body = ResponseBody(bytes, "RetrieveServiceContentResponse");
  if (!body) {
    return body.error();
  }
  const xml::Node* rv = body->Child("returnval");
  if (rv == nullptr) {
    return Shape("RetrieveServiceContentResponse has no <returnval>");
  }
  ServiceContent sc;
  struct Want {
    const char* element;
    MoRef* out;
  };
  for (Want w :
       {Want{"rootFolder", &sc.root_folder}, Want{"propertyCollector", &sc.property_collector},
        Want{"viewManager", &sc.view_manager}, Want{"sessionManager", &sc.session_manager}}) {
    const xml::Node* n = rv->Child(w.element);
    if (n == nullptr) {
      return Shape(std::string("ServiceContent has no <") + w.element +
                   "> (a vCenter or ESXi host always has one)");
    }
    auto r = ToMoRef(*n, std::string("ServiceContent.") + w.element);
    if (!r) {
      return r.error();
    }
    *w.out = *r;
  }
  if (const xml::Node* about = rv->Child("about")) {
    sc.api_version = about->ChildText("apiVersion");
    sc.product = about->ChildText("fullName");
  }
  return sc;
}

Status ParseLogin(const std::string& bytes) {
  auto body = ResponseBody(bytes, "LoginResponse");
  if (!body) {
    return body.error();
  }
  return OkStatus();
}

Expected<MoRef> ParseCreateContainerView(const std::string& bytes) {
  auto body = ResponseBody(bytes, "CreateContainerViewResponse");
  if (!body) {
    return body.error();
  }
  const xml::Node* rv = body->Child("returnval");
  if (rv == nullptr) {
    return Shape("CreateContainerViewResponse has no <returnval>");
  }
  return ToMoRef(*rv, "the container view");
}

Expected<RetrieveResult> ParseRetrieve(const std::string& bytes, const std::string& name) {
  auto body = ResponseBody(bytes, name);
  if (!body) {
    return body.error();
  }
  RetrieveResult out;
  const auto rvs = body->Children("returnval");
  if (rvs.empty()) {
    return out;  // nothing in scope
  }
  if (rvs.size() > 1) {
    return Shape(name + " has " + std::to_string(rvs.size()) + " <returnval>, expected one");
  }
  // Moved out of the tree, not copied: a 1,000-host page is tens of MB of nodes.
  xml::Node* rv = nullptr;
  for (xml::Node& c : body->children) {
    if (c.name == "returnval") {
      rv = &c;
    }
  }
  out.token = rv->ChildText("token");
  for (xml::Node& o : rv->children) {
    if (o.name != "objects") {
      continue;
    }
    ObjectContent oc;
    const xml::Node* obj = o.Child("obj");
    if (obj == nullptr) {
      return Shape("an <objects> entry has no <obj>");
    }
    auto ref = ToMoRef(*obj, "<objects><obj>");
    if (!ref) {
      return ref.error();
    }
    oc.obj = *ref;
    for (xml::Node& p : o.children) {
      if (p.name != "propSet") {
        continue;
      }
      const std::string pname = p.ChildText("name");
      xml::Node* val = nullptr;
      for (xml::Node& v : p.children) {
        if (v.name == "val" && val == nullptr) {
          val = &v;
        }
      }
      if (pname.empty() || val == nullptr) {
        return Shape("a <propSet> of " + oc.obj.value + " lacks <name> or <val>");
      }
      if (oc.props.count(pname) != 0) {
        return Shape("property " + text::EscapeForLine(pname, 80) + " of " + oc.obj.value +
                     " appears twice");
      }
      oc.props.emplace(pname, std::move(*val));
    }
    for (const xml::Node* m : o.Children("missingSet")) {
      std::string type;
      if (const xml::Node* f = m->Find("fault/fault")) {
        type = f->xsi_type.empty() ? f->name : f->xsi_type;
      }
      oc.missing[m->ChildText("path")] = type.empty() ? "unknown fault" : type;
    }
    out.objects.push_back(std::move(oc));
  }
  return out;
}

Status ParseVoid(const std::string& bytes, const std::string& name) {
  auto body = ResponseBody(bytes, name);
  if (!body) {
    return body.error();
  }
  return OkStatus();
}

}  // namespace bnfc::vsphere::soap
