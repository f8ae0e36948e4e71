#include "bnfc/vib/descriptor.h"

#include <algorithm>
#include <regex>
#include <set>

namespace bnfc::vib {

const std::vector<std::string>& DescriptorElementOrder() {
  static const std::vector<std::string> kOrder = {"type",
                                                  "name",
                                                  "version",
                                                  "vendor",
                                                  "summary",
                                                  "description",
                                                  "release-date",
                                                  "urls",
                                                  "relationships",
                                                  "software-tags",
                                                  "system-requires",
                                                  "file-list",
                                                  "acceptance-level",
                                                  "live-install-allowed",
                                                  "live-remove-allowed",
                                                  "cimom-restart",
                                                  "stateless-ready",
                                                  "overlay",
                                                  "payloads"};
  return kOrder;
}

namespace {

std::string TextOf(const XmlNode& root, const char* name) {
  const XmlNode* n = root.Child(name);
  return n ? n->text : std::string();
}

bool ParseSize(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 19) {
    return false;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

std::string Where(const XmlNode* n) {
  return n ? "descriptor.xml line " + std::to_string(n->line) : "descriptor.xml";
}

}  // namespace

Expected<Descriptor> ParseDescriptor(std::string_view xml) {
  auto tree = ParseXml(xml, "descriptor.xml");
  if (!tree) {
    return tree.error();
  }
  if (tree->name != "vib") {
    return Unexpected(ErrorCode::kParse,
                      "descriptor.xml: the root element is <" + tree->name + ">, expected <vib>");
  }
  Descriptor d;
  const XmlNode& root = *tree;
  if (const std::string* v = root.Attr("version")) {
    d.schema_version = *v;
  }
  d.type = TextOf(root, "type");
  d.name = TextOf(root, "name");
  d.version = TextOf(root, "version");
  d.vendor = TextOf(root, "vendor");
  d.summary = TextOf(root, "summary");
  d.description = TextOf(root, "description");
  d.release_date = TextOf(root, "release-date");
  d.acceptance_level = TextOf(root, "acceptance-level");
  d.live_install_allowed = TextOf(root, "live-install-allowed");
  d.live_remove_allowed = TextOf(root, "live-remove-allowed");
  d.cimom_restart = TextOf(root, "cimom-restart");
  d.stateless_ready = TextOf(root, "stateless-ready");
  d.overlay = TextOf(root, "overlay");
  if (const XmlNode* sr = root.Child("system-requires")) {
    d.maintenance_mode = TextOf(*sr, "maintenance-mode");
  }
  if (const XmlNode* fl = root.Child("file-list")) {
    for (const XmlNode* f : fl->Children("file")) {
      d.files.push_back(f->text);
    }
  }
  if (const XmlNode* pls = root.Child("payloads")) {
    for (const XmlNode* p : pls->Children("payload")) {
      DescriptorPayload dp;
      dp.line = p->line;
      if (const std::string* a = p->Attr("name")) {
        dp.name = *a;
      }
      if (const std::string* a = p->Attr("type")) {
        dp.type = *a;
      }
      if (const std::string* a = p->Attr("size")) {
        dp.size_text = *a;
        uint64_t v = 0;
        if (ParseSize(*a, &v)) {
          dp.size = v;
        }
      }
      for (const XmlNode* c : p->Children("checksum")) {
        DescriptorChecksum ck;
        if (const std::string* a = c->Attr("checksum-type")) {
          ck.type = *a;
        }
        if (const std::string* a = c->Attr("verify-process")) {
          ck.verify_process = *a;
        }
        ck.value = c->text;
        dp.checksums.push_back(std::move(ck));
      }
      d.payloads.push_back(std::move(dp));
    }
  }
  for (const auto& c : root.children) {
    d.element_order.push_back(c.name);
  }
  d.tree = std::move(*tree);
  return d;
}

void CheckDescriptor(const Descriptor& d, Problems* problems) {
  const auto& order = DescriptorElementOrder();
  std::set<std::string> known(order.begin(), order.end());
  std::set<std::string> seen;
  for (const auto& c : d.tree.children) {
    if (!known.count(c.name)) {
      AddWarning(problems, "DESCRIPTOR_UNKNOWN_ELEMENT", Where(&c),
                 "<" + c.name + "> is not an element ESXi VIB descriptors use");
    } else if (seen.count(c.name)) {
      AddError(problems, "DESCRIPTOR_DUPLICATE_ELEMENT", Where(&c),
               "<" + c.name + "> appears more than once");
    }
    seen.insert(c.name);
  }
  for (const auto& name : order) {
    if (name == "urls") {
      continue;  // optional
    }
    if (!seen.count(name)) {
      AddError(problems, "DESCRIPTOR_ELEMENT_MISSING", "descriptor.xml",
               "<" + name + "> is missing; ESXi 7/8 VIB descriptors carry it");
    }
  }
  // Known elements must appear in the usual order.
  size_t last = 0;
  for (const auto& c : d.tree.children) {
    auto it = std::find(order.begin(), order.end(), c.name);
    if (it == order.end()) {
      continue;
    }
    size_t idx = static_cast<size_t>(it - order.begin());
    if (idx < last) {
      AddWarning(problems, "DESCRIPTOR_ORDER", Where(&c),
                 "<" + c.name + "> comes after <" + order[last] +
                     ">; tools emit it before (usual order: type, name, version, vendor, ...)");
    }
    last = std::max(last, idx);
  }
  auto check_text = [&](const char* elem, const std::string& value) {
    if (seen.count(elem) && value.empty()) {
      AddError(problems, "DESCRIPTOR_BAD_VALUE", Where(d.tree.Child(elem)),
               std::string("<") + elem + "> is empty");
    }
  };
  check_text("name", d.name);
  check_text("version", d.version);
  check_text("vendor", d.vendor);
  if (!d.schema_version.empty() && d.schema_version != "5.0") {
    AddWarning(problems, "DESCRIPTOR_BAD_VALUE", "descriptor.xml line 1",
               "<vib version=\"" + d.schema_version + "\">: every known VIB uses 5.0");
  }
  if (seen.count("type") && d.type != "bootbank" && d.type != "locker") {
    AddError(problems, "DESCRIPTOR_BAD_VALUE", Where(d.tree.Child("type")),
             "<type> is '" + d.type + "', expected bootbank or locker");
  }
  static const std::set<std::string> kLevels = {"community", "partner", "accepted", "certified"};
  if (seen.count("acceptance-level") && !kLevels.count(d.acceptance_level)) {
    AddError(problems, "DESCRIPTOR_BAD_VALUE", Where(d.tree.Child("acceptance-level")),
             "<acceptance-level> is '" + d.acceptance_level +
                 "', expected community, partner, accepted or certified");
  }
  const std::pair<const char*, const std::string*> bools[] = {
      {"live-install-allowed", &d.live_install_allowed},
      {"live-remove-allowed", &d.live_remove_allowed},
      {"cimom-restart", &d.cimom_restart},
      {"stateless-ready", &d.stateless_ready},
      {"overlay", &d.overlay}};
  for (const auto& [elem, value] : bools) {
    if (seen.count(elem) && *value != "true" && *value != "false") {
      AddError(problems, "DESCRIPTOR_BAD_VALUE", Where(d.tree.Child(elem)),
               std::string("<") + elem + "> is '" + *value + "', expected true or false");
    }
  }
  // X.Y.Z-R.S.T with 1..3 dotted parts on each side (photon-controller's rule).
  static const std::regex kVersion(
      "^[A-Za-z0-9]+(\\.[A-Za-z0-9]+){0,2}-[A-Za-z0-9]+(\\.[A-Za-z0-9]+){0,2}$");
  if (!d.version.empty() && !std::regex_match(d.version, kVersion)) {
    AddWarning(problems, "DESCRIPTOR_BAD_VALUE", Where(d.tree.Child("version")),
               "<version> '" + d.version + "' is not of the form X.Y.Z-R.S.T");
  }
  if (seen.count("payloads") && d.payloads.empty()) {
    AddError(problems, "DESCRIPTOR_BAD_VALUE", Where(d.tree.Child("payloads")),
             "<payloads> lists no <payload>");
  }
  for (const auto& p : d.payloads) {
    std::string where = "descriptor.xml line " + std::to_string(p.line);
    if (p.name.empty()) {
      AddError(problems, "DESCRIPTOR_BAD_VALUE", where, "<payload> has no name attribute");
    }
    if (!p.size) {
      AddError(problems, "DESCRIPTOR_BAD_VALUE", where,
               "<payload name=\"" + p.name + "\"> size '" + p.size_text + "' is not a byte count");
    }
  }
}

std::string VibId(const Descriptor& d) {
  return d.vendor + "_" + d.type + "_" + d.name + "_" + d.version;
}

}  // namespace bnfc::vib
