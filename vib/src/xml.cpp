#include "bnfc/vib/xml.h"

#include "bnfc/text.h"

#include <expat.h>

#include <memory>

namespace bnfc::vib {

const XmlNode* XmlNode::Child(std::string_view child_name) const {
  for (const auto& c : children) {
    if (c.name == child_name) {
      return &c;
    }
  }
  return nullptr;
}

XmlNode* XmlNode::Child(std::string_view child_name) {
  for (auto& c : children) {
    if (c.name == child_name) {
      return &c;
    }
  }
  return nullptr;
}

std::vector<const XmlNode*> XmlNode::Children(std::string_view child_name) const {
  std::vector<const XmlNode*> out;
  for (const auto& c : children) {
    if (c.name == child_name) {
      out.push_back(&c);
    }
  }
  return out;
}

const std::string* XmlNode::Attr(std::string_view attr_name) const {
  for (const auto& [k, v] : attrs) {
    if (k == attr_name) {
      return &v;
    }
  }
  return nullptr;
}

XmlNode XmlNode::Element(std::string name, std::string text) {
  XmlNode n;
  n.name = std::move(name);
  n.text = std::move(text);
  return n;
}

XmlNode& XmlNode::Add(XmlNode child) {
  children.push_back(std::move(child));
  return children.back();
}

XmlNode& XmlNode::Add(std::string child_name, std::string child_text) {
  return Add(Element(std::move(child_name), std::move(child_text)));
}

XmlNode& XmlNode::SetAttr(std::string attr_name, std::string value) {
  attrs.emplace_back(std::move(attr_name), std::move(value));
  return *this;
}

namespace {

constexpr int kMaxDepth = 64;

struct ParseState {
  XML_Parser parser = nullptr;
  std::vector<XmlNode*> stack;
  XmlNode root;
  bool have_root = false;
  std::string error;
};

using text::Trim;

void Fail(ParseState* st, std::string why) {
  if (st->error.empty()) {
    st->error = std::move(why);
  }
  XML_StopParser(st->parser, XML_FALSE);
}

void OnStart(void* data, const XML_Char* name, const XML_Char** atts) {
  auto* st = static_cast<ParseState*>(data);
  if (st->stack.size() >= static_cast<size_t>(kMaxDepth)) {
    Fail(st, "elements nested deeper than 64 levels");
    return;
  }
  XmlNode node;
  node.name = name;
  node.line = static_cast<int>(XML_GetCurrentLineNumber(st->parser));
  for (int i = 0; atts[i] != nullptr && atts[i + 1] != nullptr; i += 2) {
    node.attrs.emplace_back(atts[i], atts[i + 1]);
  }
  if (st->stack.empty()) {
    st->root = std::move(node);
    st->have_root = true;
    st->stack.push_back(&st->root);
  } else {
    st->stack.push_back(&st->stack.back()->Add(std::move(node)));
  }
}

void OnEnd(void* data, const XML_Char*) {
  auto* st = static_cast<ParseState*>(data);
  if (!st->stack.empty()) {
    st->stack.back()->text = Trim(st->stack.back()->text);
    st->stack.pop_back();
  }
}

void OnText(void* data, const XML_Char* s, int len) {
  auto* st = static_cast<ParseState*>(data);
  if (!st->stack.empty()) {
    st->stack.back()->text.append(s, static_cast<size_t>(len));
  }
}

void OnDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  Fail(static_cast<ParseState*>(data), "a DOCTYPE is not allowed here");
}

}  // namespace

Expected<XmlNode> ParseXml(std::string_view text, const std::string& what) {
  std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)> parser(XML_ParserCreate("UTF-8"),
                                                                 XML_ParserFree);
  if (!parser) {
    return Unexpected(ErrorCode::kInternal, "cannot create an XML parser");
  }
  ParseState st;
  st.parser = parser.get();
  XML_SetUserData(parser.get(), &st);
  XML_SetElementHandler(parser.get(), OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser.get(), OnText);
  XML_SetStartDoctypeDeclHandler(parser.get(), OnDoctype);
  XML_SetParamEntityParsing(parser.get(), XML_PARAM_ENTITY_PARSING_NEVER);
  // Feed in chunks: XML_Parse takes an int length.
  constexpr size_t kChunk = 1 << 20;
  size_t pos = 0;
  bool ok = true;
  do {
    size_t n = std::min(kChunk, text.size() - pos);
    bool last = pos + n == text.size();
    if (XML_Parse(parser.get(), text.data() + pos, static_cast<int>(n), last ? 1 : 0) ==
        XML_STATUS_ERROR) {
      ok = false;
      break;
    }
    pos += n;
  } while (pos < text.size());
  if (!ok) {
    std::string why = st.error.empty() ? XML_ErrorString(XML_GetErrorCode(parser.get())) : st.error;
    return Unexpected(
        ErrorCode::kParse,
        what + " line " + std::to_string(XML_GetCurrentLineNumber(parser.get())) + " column " +
            std::to_string(XML_GetCurrentColumnNumber(parser.get()) + 1) + ": " + why);
  }
  if (!st.have_root) {
    return Unexpected(ErrorCode::kParse, what + ": no root element");
  }
  return std::move(st.root);
}


namespace {

void Write(const XmlNode& n, int depth, std::string* out) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  *out += "<" + n.name;
  for (const auto& [k, v] : n.attrs) {
    *out += " " + k + "=\"" + text::EscapeXml(v) + "\"";
  }
  if (n.children.empty() && n.text.empty()) {
    *out += "/>\n";
    return;
  }
  *out += ">";
  if (n.children.empty()) {
    *out += text::EscapeXml(n.text) + "</" + n.name + ">\n";
    return;
  }
  *out += "\n";
  for (const auto& c : n.children) {
    Write(c, depth + 1, out);
  }
  out->append(static_cast<size_t>(depth) * 2, ' ');
  *out += "</" + n.name + ">\n";
}

}  // namespace

std::string WriteXml(const XmlNode& root, bool declaration) {
  std::string out;
  if (declaration) {
    out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  }
  Write(root, 0, &out);
  return out;
}

}  // namespace bnfc::vib
