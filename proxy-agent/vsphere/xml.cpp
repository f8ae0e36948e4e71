#include "xml.h"

#include <Poco/Exception.h>
#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>

#include <memory>

#include "bnfc/text.h"

namespace bnfc::vsphere::xml {

namespace {

constexpr const char* kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";

std::string LocalName(const std::string& qname) {
  size_t colon = qname.rfind(':');
  return colon == std::string::npos ? qname : qname.substr(colon + 1);
}

// Builds the tree. Handlers must not throw through the C parser, so a broken limit is recorded
// and everything after it ignored; Parse() reports it once parsing returns.
class TreeBuilder : public Poco::XML::ContentHandler {
 public:
  explicit TreeBuilder(const Limits& limits) : limits_(limits) {}

  void setDocumentLocator(const Poco::XML::Locator*) override {}
  void startDocument() override {}
  void endDocument() override {}
  void startPrefixMapping(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
  void endPrefixMapping(const Poco::XML::XMLString&) override {}
  void ignorableWhitespace(const Poco::XML::XMLChar*, int, int) override {}
  void processingInstruction(const Poco::XML::XMLString&, const Poco::XML::XMLString&) override {}
  void skippedEntity(const Poco::XML::XMLString& name) override {
    Fail("the document refers to an undeclared entity '" + name + "'");
  }

  void startElement(const Poco::XML::XMLString&, const Poco::XML::XMLString& local,
                    const Poco::XML::XMLString& qname,
                    const Poco::XML::Attributes& attrs) override {
    if (!error_.empty()) {
      return;
    }
    if (++nodes_ > limits_.max_nodes) {
      Fail("more than " + std::to_string(limits_.max_nodes) + " elements");
      return;
    }
    if (stack_.size() >= limits_.max_depth) {
      Fail("elements nested deeper than " + std::to_string(limits_.max_depth));
      return;
    }
    Node n;
    n.name = local.empty() ? LocalName(qname) : local;
    n.xsi_type = LocalName(attrs.getValue(kXsiNs, "type"));
    n.type = attrs.getValue("", "type");
    if (stack_.empty()) {
      if (root_) {
        Fail("more than one root element");
        return;
      }
      root_ = std::make_unique<Node>(std::move(n));
      stack_.push_back(root_.get());
    } else {
      stack_.back()->children.push_back(std::move(n));
      stack_.push_back(&stack_.back()->children.back());
    }
  }

  void endElement(const Poco::XML::XMLString&, const Poco::XML::XMLString&,
                  const Poco::XML::XMLString&) override {
    if (!error_.empty() || stack_.empty()) {
      return;
    }
    stack_.pop_back();
  }

  void characters(const Poco::XML::XMLChar ch[], int start, int length) override {
    if (!error_.empty() || stack_.empty()) {
      return;
    }
    std::string& t = stack_.back()->text;
    if (t.size() + static_cast<size_t>(length) > limits_.max_text) {
      Fail("an element holds more than " + std::to_string(limits_.max_text) + " bytes of text");
      return;
    }
    t.append(ch + start, static_cast<size_t>(length));
  }

  const std::string& error() const { return error_; }
  std::unique_ptr<Node> TakeRoot() { return std::move(root_); }

 private:
  void Fail(const std::string& what) {
    if (error_.empty()) {
      error_ = what;
    }
  }
  const Limits& limits_;
  size_t nodes_ = 0;
  std::unique_ptr<Node> root_;
  // Pointers into the tree: a parent's children vector only grows while its last child is open,
  // and that child is the one on top of the stack, so no open pointer is ever invalidated.
  std::vector<Node*> stack_;
  std::string error_;
};

}  // namespace

const Node* Node::Child(const std::string& local_name) const {
  for (const Node& c : children) {
    if (c.name == local_name) {
      return &c;
    }
  }
  return nullptr;
}

std::vector<const Node*> Node::Children(const std::string& local_name) const {
  std::vector<const Node*> out;
  for (const Node& c : children) {
    if (c.name == local_name) {
      out.push_back(&c);
    }
  }
  return out;
}

std::string Node::ChildText(const std::string& local_name) const {
  const Node* c = Child(local_name);
  return c == nullptr ? "" : text::Trim(c->text);
}

const Node* Node::Find(const std::string& path) const {
  const Node* n = this;
  size_t start = 0;
  while (n != nullptr && start <= path.size()) {
    size_t slash = path.find('/', start);
    n = n->Child(
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return n;
}

Expected<Node> Parse(const std::string& bytes, const Limits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return Unexpected(ErrorCode::kParse, "XML document of " + std::to_string(bytes.size()) +
                                             " bytes is larger than the limit of " +
                                             std::to_string(limits.max_bytes));
  }
  if (bytes.empty()) {
    return Unexpected(ErrorCode::kParse, "empty XML document");
  }
  // SOAP forbids a document type declaration; refusing it up front rules out entity expansion
  // and external entities whatever the parser would do with them.
  if (bytes.find("<!DOCTYPE") != std::string::npos || bytes.find("<!ENTITY") != std::string::npos) {
    return Unexpected(ErrorCode::kParse,
                      "XML document carries a document type declaration, which SOAP forbids");
  }
  TreeBuilder builder(limits);
  Poco::XML::SAXParser parser;
  try {
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    parser.setContentHandler(&builder);
    parser.parseMemoryNP(bytes.data(), bytes.size());
  } catch (const Poco::XML::SAXParseException& e) {
    return Unexpected(ErrorCode::kParse,
                      "malformed XML at line " + std::to_string(e.getLineNumber()) + ", column " +
                          std::to_string(e.getColumnNumber()) + ": " + e.message());
  } catch (const Poco::Exception& e) {
    return Unexpected(ErrorCode::kParse, "malformed XML: " + e.displayText());
  } catch (const std::exception& e) {
    return Unexpected(ErrorCode::kParse, std::string("malformed XML: ") + e.what());
  }
  if (!builder.error().empty()) {
    return Unexpected(ErrorCode::kParse, "XML document refused: " + builder.error());
  }
  auto root = builder.TakeRoot();
  if (!root) {
    return Unexpected(ErrorCode::kParse, "XML document has no root element");
  }
  return std::move(*root);
}

}  // namespace bnfc::vsphere::xml
