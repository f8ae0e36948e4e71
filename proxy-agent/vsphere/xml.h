// A small, bounded XML tree for SOAP responses: element local names, the two attributes the
// vSphere API uses (xsi:type and a managed object reference's `type`), and text. Built with
// Poco's SAX parser; a document type declaration, too deep a tree or too many nodes are refused
// with a precise error instead of being expanded or followed.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bnfc/expected.h"

namespace bnfc::vsphere::xml {

struct Node {
  std::string name;      // local name, namespace dropped
  std::string xsi_type;  // xsi:type attribute without its prefix ("" when absent)
  std::string type;      // unqualified `type` attribute (ManagedObjectReference), "" when absent
  std::string text;      // character data directly inside this element
  std::vector<Node> children;

  const Node* Child(const std::string& local_name) const;  // the first, or nullptr
  std::vector<const Node*> Children(const std::string& local_name) const;
  // Text of the first child of that name, or "" (absent and empty are the same for SOAP).
  std::string ChildText(const std::string& local_name) const;
  // "/"-separated path of children from here, e.g. "spec/ip/ipAddress"; nullptr when absent.
  const Node* Find(const std::string& path) const;
};

struct Limits {
  size_t max_bytes = 64u << 20;
  size_t max_depth = 48;
  size_t max_nodes = 4u << 20;
  size_t max_text = 1u << 20;  // bytes of character data in one element
};

// The root element of `bytes`. Errors (kParse) name the line and column when the parser gives them.
Expected<Node> Parse(const std::string& bytes, const Limits& limits = Limits{});

}  // namespace bnfc::vsphere::xml
