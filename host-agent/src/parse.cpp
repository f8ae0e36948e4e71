// esxcli text/XML parsers. A small generic layer turns either formatter into records of named
// fields with line numbers; per-command converters turn records into typed rows.
#include "hostagent/parse.h"

#include <expat.h>
#include <sodium.h>

#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>

#include "bnfc/net.h"
#include "bnfc/text.h"

namespace bnfc::hostagent {
namespace {

using text::Trim;

// ------------------------------------------------------------------ generic records

struct RawField {
  std::string display;  // the name as written
  std::string text;
  std::vector<std::string> list;
  bool is_list = false;
  int line = 0;
};

struct RawRecord {
  std::string title;  // keyed-list record name (text) or structure typeName (XML)
  int line = 0;
  std::map<std::string, RawField> fields;  // by normalized name
};

std::string Normalize(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// Printable excerpt of a line for error messages (bounded, control bytes escaped).
std::string Quote(std::string_view s) {
  std::string out = "'";
  size_t n = 0;
  for (char c : s) {
    if (++n > 80) {
      out += "...";
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct Line {
  int number;
  std::string text;  // without the line end; trailing blanks removed
  std::string raw;   // without the line end, as written
};

std::vector<Line> SplitLines(std::string_view bytes) {
  std::vector<Line> lines;
  size_t start = 0;
  int number = 1;
  while (start < bytes.size()) {
    size_t nl = bytes.find('\n', start);
    size_t end = nl == std::string_view::npos ? bytes.size() : nl;
    std::string_view raw = bytes.substr(start, end - start);
    if (!raw.empty() && raw.back() == '\r') {
      raw.remove_suffix(1);
    }
    std::string text(raw);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
      text.pop_back();
    }
    lines.push_back(Line{number, text, std::string(raw)});
    ++number;
    if (nl == std::string_view::npos) {
      break;
    }
    start = nl + 1;
  }
  return lines;
}

Unexpected ParseError(const std::string& cmd, int line, const std::string& what) {
  if (line > 0) {
    return Unexpected(ErrorCode::kParse, cmd + ": line " + std::to_string(line) + ": " + what);
  }
  return Unexpected(ErrorCode::kParse, cmd + ": " + what);
}

Status CheckText(std::string_view bytes, const std::string& cmd) {
  std::string err = EsxcliErrorText(bytes);
  if (!err.empty()) {
    return ParseError(cmd, 0, "the command reported an error instead of output: " + Quote(err));
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\0') {
      return ParseError(cmd, 0,
                        "expected text output, found a NUL byte at offset " + std::to_string(i));
    }
  }
  return OkStatus();
}

// "   Field Name: value" -> (name, value). Accepts a missing trailing space after an empty value.
bool SplitField(const std::string& text, std::string* name, std::string* value) {
  size_t colon = text.find(": ");
  if (colon == std::string::npos) {
    if (!text.empty() && text.back() == ':') {
      colon = text.size() - 1;
    } else {
      return false;
    }
  }
  *name = Trim(std::string_view(text).substr(0, colon));
  *value = colon + 2 <= text.size() ? Trim(std::string_view(text).substr(colon + 2)) : "";
  return !name->empty();
}

void AddField(RawRecord* rec, const std::string& name, const std::string& value, int line) {
  RawField f;
  f.display = name;
  f.text = value;
  f.line = line;
  rec->fields[Normalize(name)] = std::move(f);
}

// Keyed list: a record name at column 0, then indented "Field: value" lines.
Expected<std::vector<RawRecord>> ParseKeyedListText(std::string_view bytes,
                                                    const std::string& cmd) {
  Status st = CheckText(bytes, cmd);
  if (!st.ok()) {
    return st.error();
  }
  std::vector<RawRecord> records;
  for (const Line& l : SplitLines(bytes)) {
    if (l.text.empty()) {
      continue;
    }
    const bool indented = l.text[0] == ' ' || l.text[0] == '\t';
    if (!indented) {
      if (l.text.find(": ") != std::string::npos) {
        return ParseError(cmd, l.number,
                          "expected a record name at column 0 (like 'vmk0') or an indented "
                          "'Field Name: value' line, got " +
                              Quote(l.text));
      }
      RawRecord rec;
      rec.title = Trim(l.text);
      rec.line = l.number;
      records.push_back(std::move(rec));
      continue;
    }
    if (records.empty()) {
      return ParseError(
          cmd, l.number,
          "expected a record name at column 0 before the first field, got " + Quote(l.text));
    }
    std::string name;
    std::string value;
    if (!SplitField(l.text, &name, &value)) {
      return ParseError(cmd, l.number, "expected 'Field Name: value', got " + Quote(l.text));
    }
    AddField(&records.back(), name, value, l.number);
  }
  return records;
}

// Single structure: "   Field: value" lines; an unindented first line without ':' is a title.
Expected<RawRecord> ParseSingleText(std::string_view bytes, const std::string& cmd) {
  Status st = CheckText(bytes, cmd);
  if (!st.ok()) {
    return st.error();
  }
  RawRecord rec;
  bool first = true;
  for (const Line& l : SplitLines(bytes)) {
    if (l.text.empty()) {
      continue;
    }
    std::string name;
    std::string value;
    if (!SplitField(l.text, &name, &value)) {
      if (first && l.text[0] != ' ') {
        rec.title = Trim(l.text);
        first = false;
        continue;
      }
      return ParseError(cmd, l.number, "expected 'Field Name: value', got " + Quote(l.text));
    }
    if (rec.line == 0) {
      rec.line = l.number;
    }
    first = false;
    AddField(&rec, name, value, l.number);
  }
  return rec;
}

// Table: header line, dash line, rows. Columns start where the dash groups start; the last
// column runs to the end of the line (ESXi may not re-pad the last dash group). A value that runs
// over the next column's start (short dash group) stays with the column it starts in.
Expected<std::vector<RawRecord>> ParseTableText(std::string_view bytes, const std::string& cmd) {
  Status st = CheckText(bytes, cmd);
  if (!st.ok()) {
    return st.error();
  }
  std::vector<Line> lines = SplitLines(bytes);
  size_t i = 0;
  while (i < lines.size() && lines[i].text.empty()) {
    ++i;
  }
  if (i >= lines.size()) {
    return ParseError(cmd, 0, "expected a table header line, the output is empty");
  }
  const Line& header = lines[i];
  if (i + 1 >= lines.size()) {
    return ParseError(cmd, header.number + 1,
                      "expected a dash line under the header, the output ended");
  }
  const Line& dash = lines[i + 1];
  if (dash.text.empty() || dash.text.find_first_not_of("- ") != std::string::npos ||
      dash.text.find('-') == std::string::npos) {
    return ParseError(
        cmd, dash.number,
        "expected a dash line ('----  ------') under the header, got " + Quote(dash.text));
  }
  std::vector<size_t> starts;
  for (size_t p = 0; p < dash.text.size(); ++p) {
    if (dash.text[p] == '-' && (p == 0 || dash.text[p - 1] == ' ')) {
      starts.push_back(p);
    }
  }
  auto slice = [&](const std::string& text, std::vector<std::string>* out) {
    out->clear();
    std::vector<size_t> cut = starts;
    for (size_t c = 1; c < cut.size(); ++c) {
      size_t b = cut[c];
      if (b < cut[c - 1]) {
        b = cut[c - 1];
      }
      // Straddling token: move the boundary past its end.
      while (b > 0 && b < text.size() && text[b - 1] != ' ' && text[b] != ' ') {
        ++b;
      }
      cut[c] = b;
    }
    for (size_t c = 0; c < cut.size(); ++c) {
      size_t b = std::min(cut[c], text.size());
      size_t e = c + 1 < cut.size() ? std::min(cut[c + 1], text.size()) : text.size();
      out->push_back(e > b ? Trim(std::string_view(text).substr(b, e - b)) : "");
    }
  };
  std::vector<std::string> names;
  slice(header.text, &names);
  for (size_t c = 0; c < names.size(); ++c) {
    if (names[c].empty()) {
      return ParseError(cmd, header.number,
                        "expected a column name above dash group " + std::to_string(c + 1) +
                            ", got " + Quote(header.text));
    }
  }
  std::vector<RawRecord> rows;
  std::vector<std::string> cells;
  for (size_t r = i + 2; r < lines.size(); ++r) {
    const Line& l = lines[r];
    if (l.text.empty()) {
      continue;
    }
    if (l.text.find_first_not_of("- ") == std::string::npos) {
      return ParseError(cmd, l.number, "expected a table row, got a second dash line");
    }
    slice(l.text, &cells);
    RawRecord rec;
    rec.line = l.number;
    for (size_t c = 0; c < names.size(); ++c) {
      AddField(&rec, names[c], cells[c], l.number);
    }
    rows.push_back(std::move(rec));
  }
  return rows;
}

// ------------------------------------------------------------------ CSV

// One CSV line into cells; "" inside a quoted cell is a quote. nullopt on an unterminated quote.
std::optional<std::vector<std::string>> SplitCsvLine(const std::string& text) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  if (quoted) {
    return std::nullopt;
  }
  return cells;
}

// Header of field keys, then one record per line. esxcli ends every line with a comma, so a
// last empty cell beyond the header's width is that comma, not a value.
Expected<std::vector<RawRecord>> ParseCsvRecords(std::string_view bytes, const std::string& cmd) {
  Status st = CheckText(bytes, cmd);
  if (!st.ok()) {
    return st.error();
  }
  std::vector<std::string> names;
  int header_line = 0;
  bool trailing_comma = false;  // the header ends with one: every record line must too
  std::vector<RawRecord> rows;
  for (const Line& l : SplitLines(bytes)) {
    if (l.text.empty()) {
      continue;
    }
    auto cells = SplitCsvLine(l.raw);
    if (!cells) {
      return ParseError(cmd, l.number,
                        "expected CSV cells, found an unterminated quote in " + Quote(l.text));
    }
    if (header_line == 0) {
      if (cells->size() > 1 && cells->back().empty()) {
        cells->pop_back();
        trailing_comma = true;
      }
      for (size_t c = 0; c < cells->size(); ++c) {
        if (Trim((*cells)[c]).empty()) {
          return ParseError(cmd, l.number,
                            "expected a field name in CSV header column " + std::to_string(c + 1) +
                                ", got " + Quote(l.text));
        }
      }
      names = std::move(*cells);
      header_line = l.number;
      continue;
    }
    if ((trailing_comma || cells->size() == names.size() + 1) && cells->size() > 1 &&
        cells->back().empty()) {
      cells->pop_back();
    }
    if (cells->size() != names.size()) {
      return ParseError(cmd, l.number,
                        "expected " + std::to_string(names.size()) +
                            " comma-separated cells as in the header (line " +
                            std::to_string(header_line) + "), got " +
                            std::to_string(cells->size()) + " in " + Quote(l.text));
    }
    RawRecord rec;
    rec.line = l.number;
    for (size_t c = 0; c < names.size(); ++c) {
      AddField(&rec, Trim(names[c]), Trim((*cells)[c]), l.number);
    }
    rows.push_back(std::move(rec));
  }
  if (header_line == 0) {
    return ParseError(cmd, 0, "expected a CSV header line, the output is empty");
  }
  return rows;
}

// ------------------------------------------------------------------ XML (expat)

struct XmlNode {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::string text;
  int line = 0;
  std::vector<std::unique_ptr<XmlNode>> children;
  XmlNode* parent = nullptr;
};

struct XmlBuild {
  std::unique_ptr<XmlNode> root;
  XmlNode* cur = nullptr;
  XML_Parser parser = nullptr;
  std::string error;
  int depth = 0;
};

constexpr int kMaxXmlDepth = 32;

void XMLCALL OnStart(void* ud, const XML_Char* name, const XML_Char** attrs) {
  auto* b = static_cast<XmlBuild*>(ud);
  if (++b->depth > kMaxXmlDepth) {
    b->error = "elements nested deeper than " + std::to_string(kMaxXmlDepth);
    XML_StopParser(b->parser, XML_FALSE);
    return;
  }
  auto node = std::make_unique<XmlNode>();
  std::string n = name;
  size_t sep = n.find('|');  // not namespace-aware, but tolerate a prefix "x:"
  if (sep == std::string::npos) {
    sep = n.find(':');
  }
  node->name = sep == std::string::npos ? n : n.substr(sep + 1);
  node->line = static_cast<int>(XML_GetCurrentLineNumber(b->parser));
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    node->attrs[attrs[i]] = attrs[i + 1];
  }
  node->parent = b->cur;
  XmlNode* raw = node.get();
  if (b->cur == nullptr) {
    b->root = std::move(node);
  } else {
    b->cur->children.push_back(std::move(node));
  }
  b->cur = raw;
}

void XMLCALL OnEnd(void* ud, const XML_Char* /*name*/) {
  auto* b = static_cast<XmlBuild*>(ud);
  --b->depth;
  if (b->cur != nullptr) {
    b->cur = b->cur->parent;
  }
}

void XMLCALL OnText(void* ud, const XML_Char* s, int len) {
  auto* b = static_cast<XmlBuild*>(ud);
  if (b->cur != nullptr && b->cur->text.size() < (1u << 20)) {
    b->cur->text.append(s, static_cast<size_t>(len));
  }
}

void XMLCALL OnDoctype(void* ud, const XML_Char* /*name*/, const XML_Char* /*sysid*/,
                       const XML_Char* /*pubid*/, int /*has_internal_subset*/) {
  auto* b = static_cast<XmlBuild*>(ud);
  b->error = "a DOCTYPE declaration is not expected in esxcli output";
  XML_StopParser(b->parser, XML_FALSE);
}

// Expat salts its hash tables per parser from arc4random, i.e. getrandom, which ESXi 6.5 lacks
// (glibc then polls /dev/random). One salt per process from libsodium's source (/dev/urandom in
// bnfc-hostd) keeps the hash-flooding protection without that call. Never 0: 0 asks expat to
// make its own.
unsigned long XmlHashSalt() {
  static const unsigned long salt =
      ((static_cast<unsigned long>(randombytes_random()) << 32) | randombytes_random()) | 1u;
  return salt;
}

Expected<std::unique_ptr<XmlNode>> ParseXmlTree(std::string_view bytes, const std::string& cmd) {
  std::string err = EsxcliErrorText(bytes);
  if (!err.empty()) {
    return ParseError(cmd, 0, "the command reported an error instead of output: " + Quote(err));
  }
  if (bytes.size() > (64u << 20)) {
    return ParseError(cmd, 0, "XML output larger than 64 MiB");
  }
  XmlBuild b;
  std::unique_ptr<XML_ParserStruct, void (*)(XML_Parser)> parser(XML_ParserCreate(nullptr),
                                                                 XML_ParserFree);
  if (!parser) {
    return Unexpected(ErrorCode::kInternal, cmd + ": cannot create an XML parser");
  }
  b.parser = parser.get();
  XML_SetHashSalt(b.parser, XmlHashSalt());
  XML_SetUserData(b.parser, &b);
  XML_SetElementHandler(b.parser, OnStart, OnEnd);
  XML_SetCharacterDataHandler(b.parser, OnText);
  XML_SetStartDoctypeDeclHandler(b.parser, OnDoctype);
  XML_Status s = XML_Parse(b.parser, bytes.data(), static_cast<int>(bytes.size()), XML_TRUE);
  if (s != XML_STATUS_OK || !b.error.empty()) {
    int line = static_cast<int>(XML_GetCurrentLineNumber(b.parser));
    std::string what = b.error.empty() ? XML_ErrorString(XML_GetErrorCode(b.parser)) : b.error;
    return ParseError(cmd, line, "expected well-formed esxcli XML output: " + what);
  }
  if (!b.root) {
    return ParseError(cmd, 0, "expected an <output> element, the document is empty");
  }
  return std::move(b.root);
}

const XmlNode* FirstElement(const XmlNode& n) {
  return n.children.empty() ? nullptr : n.children.front().get();
}

Expected<RawRecord> XmlStructure(const XmlNode& s, const std::string& cmd) {
  RawRecord rec;
  rec.line = s.line;
  auto tn = s.attrs.find("typeName");
  if (tn != s.attrs.end()) {
    rec.title = tn->second;
  }
  for (const auto& child : s.children) {
    if (child->name != "field") {
      return ParseError(cmd, child->line,
                        "expected <field> inside <structure>, got <" + child->name + ">");
    }
    auto name = child->attrs.find("name");
    if (name == child->attrs.end()) {
      return ParseError(cmd, child->line, "expected a name attribute on <field>");
    }
    RawField f;
    f.display = name->second;
    f.line = child->line;
    const XmlNode* v = FirstElement(*child);
    if (v == nullptr) {
      f.text = "";
    } else if (v->name == "string" || v->name == "integer" || v->name == "boolean" ||
               v->name == "long" || v->name == "float") {
      f.text = Trim(v->text);
    } else if (v->name == "list") {
      f.is_list = true;
      for (const auto& item : v->children) {
        if (item->name == "structure") {
          continue;  // nested structures are not used by the agent
        }
        f.list.push_back(Trim(item->text));
      }
    } else if (v->name == "structure") {
      continue;  // nested structure: not used by the agent
    } else {
      return ParseError(cmd, v->line,
                        "expected <string>, <integer>, <boolean> or <list> in field '" +
                            name->second + "', got <" + v->name + ">");
    }
    rec.fields[Normalize(f.display)] = std::move(f);
  }
  return rec;
}

// <output><root> then a <list type="structure"> or a single <structure>.
Expected<std::vector<RawRecord>> ParseXmlRecords(std::string_view bytes, const std::string& cmd,
                                                 bool* single) {
  auto tree = ParseXmlTree(bytes, cmd);
  if (!tree.ok()) {
    return tree.error();
  }
  const XmlNode& out = **tree;
  if (out.name != "output") {
    return ParseError(cmd, out.line,
                      "expected the document element <output>, got <" + out.name + ">");
  }
  const XmlNode* root = FirstElement(out);
  if (root == nullptr || root->name != "root") {
    return ParseError(cmd, root ? root->line : out.line, "expected <root> inside <output>");
  }
  const XmlNode* payload = FirstElement(*root);
  std::vector<RawRecord> records;
  *single = false;
  if (payload == nullptr) {
    return records;  // empty result
  }
  if (payload->name == "structure") {
    *single = true;
    auto rec = XmlStructure(*payload, cmd);
    if (!rec.ok()) {
      return rec.error();
    }
    records.push_back(std::move(*rec));
    return records;
  }
  if (payload->name != "list") {
    return ParseError(cmd, payload->line,
                      "expected <list> or <structure> inside <root>, got <" + payload->name + ">");
  }
  for (const auto& item : payload->children) {
    if (item->name != "structure") {
      return ParseError(cmd, item->line,
                        "expected <structure> items in the list, got <" + item->name + ">");
    }
    auto rec = XmlStructure(*item, cmd);
    if (!rec.ok()) {
      return rec.error();
    }
    records.push_back(std::move(*rec));
  }
  return records;
}

// ------------------------------------------------------------------ typed field access

class Fields {
 public:
  Fields(const RawRecord& r, const std::string& cmd) : r_(r), cmd_(cmd) {}

  const RawField* Find(const char* name) const {
    auto it = r_.fields.find(Normalize(name));
    return it == r_.fields.end() ? nullptr : &it->second;
  }
  Expected<std::string> Req(const char* name) const {
    const RawField* f = Find(name);
    if (f == nullptr) {
      return ParseError(cmd_, r_.line, "expected a field '" + std::string(name) + "'" + Where());
    }
    if (f->text.empty()) {
      return ParseError(cmd_, f->line,
                        "expected a value for '" + std::string(name) + "'" + Where());
    }
    return f->text;
  }
  // Missing field, empty value or N/A -> nullopt.
  std::optional<std::string> Opt(const char* name) const {
    const RawField* f = Find(name);
    if (f == nullptr || f->text.empty() || f->text == "N/A") {
      return std::nullopt;
    }
    return f->text;
  }
  Expected<std::optional<bool>> OptBool(const char* name) const {
    const RawField* f = Find(name);
    if (f == nullptr || f->text.empty()) {
      return std::optional<bool>();
    }
    if (f->text == "true") {
      return std::optional<bool>(true);
    }
    if (f->text == "false") {
      return std::optional<bool>(false);
    }
    return ParseError(
        cmd_, f->line,
        "expected true or false for '" + std::string(name) + "', got " + Quote(f->text) + Where());
  }
  // Integer with an optional unit suffix ("1199 sec").
  Expected<std::optional<long long>> OptInt(const char* name, const char* unit = nullptr) const {
    const RawField* f = Find(name);
    if (f == nullptr || f->text.empty() || f->text == "N/A") {
      return std::optional<long long>();
    }
    std::string t = f->text;
    if (unit != nullptr && t.size() > std::string(unit).size() &&
        t.compare(t.size() - std::string(unit).size(), std::string::npos, unit) == 0) {
      t = Trim(t.substr(0, t.size() - std::string(unit).size()));
    }
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || end == nullptr || *end != '\0' || errno != 0) {
      return ParseError(cmd_, f->line,
                        "expected an integer" +
                            (unit ? std::string(" (optionally '") + unit + "')" : std::string()) +
                            " for '" + name + "', got " + Quote(f->text) + Where());
    }
    return std::optional<long long>(v);
  }
  std::vector<std::string> List(const char* name) const {
    const RawField* f = Find(name);
    if (f == nullptr) {
      return {};
    }
    if (f->is_list) {
      return f->list;
    }
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= f->text.size()) {
      size_t comma = f->text.find(',', start);
      std::string item = Trim(std::string_view(f->text).substr(
          start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!item.empty()) {
        out.push_back(item);
      }
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
    return out;
  }
  int line() const { return r_.line; }
  const std::string& title() const { return r_.title; }
  Unexpected Error(const RawField* f, const std::string& what) const {
    return ParseError(cmd_, f ? f->line : r_.line, what + Where());
  }

 private:
  std::string Where() const {
    return r_.title.empty() || r_.title.find(' ') != std::string::npos
               ? std::string()
               : " (record '" + r_.title + "')";
  }
  const RawRecord& r_;
  const std::string& cmd_;
};

Expected<std::vector<RawRecord>> Records(std::string_view bytes, Format format,
                                         const std::string& cmd, bool table) {
  if (format == Format::kXml) {
    bool single = false;
    return ParseXmlRecords(bytes, cmd, &single);
  }
  if (format == Format::kCsv) {
    return ParseCsvRecords(bytes, cmd);
  }
  return table ? ParseTableText(bytes, cmd) : ParseKeyedListText(bytes, cmd);
}

Expected<RawRecord> SingleRecord(std::string_view bytes, Format format, const std::string& cmd) {
  if (format == Format::kXml || format == Format::kCsv) {
    bool single = false;
    auto recs =
        format == Format::kXml ? ParseXmlRecords(bytes, cmd, &single) : ParseCsvRecords(bytes, cmd);
    if (!recs.ok()) {
      return recs.error();
    }
    if (recs->size() != 1) {
      return ParseError(cmd, 0,
                        std::string(format == Format::kXml ? "expected one <structure> inside "
                                                             "<root>, found "
                                                           : "expected one CSV record, found ") +
                            std::to_string(recs->size()));
    }
    return std::move((*recs)[0]);
  }
  return ParseSingleText(bytes, cmd);
}

Status CheckAddress(const Fields& f, const char* name, const std::optional<std::string>& v) {
  if (v && !net::IpAddress::Parse(*v).ok()) {
    return f.Error(f.Find(name),
                   "expected an IP address for '" + std::string(name) + "', got " + Quote(*v));
  }
  return OkStatus();
}

}  // namespace

std::string EsxcliErrorText(std::string_view bytes) {
  size_t b = 0;
  while (b < bytes.size() && (bytes[b] == ' ' || bytes[b] == '\n' || bytes[b] == '\r')) {
    ++b;
  }
  std::string_view rest = bytes.substr(b);
  if (rest.compare(0, 7, "Error: ") != 0) {
    return "";
  }
  size_t nl = rest.find('\n');
  return Trim(rest.substr(7, nl == std::string_view::npos ? std::string_view::npos : nl - 7));
}

Expected<VersionInfo> ParseSystemVersion(std::string_view bytes, Format format) {
  const std::string cmd = "esxcli system version get";
  auto rec = SingleRecord(bytes, format, cmd);
  if (!rec.ok()) {
    return rec.error();
  }
  Fields f(*rec, cmd);
  VersionInfo v;
  v.product = f.Opt("Product");
  v.version = f.Opt("Version");
  v.build = f.Opt("Build");
  v.update = f.Opt("Update");
  v.patch = f.Opt("Patch");
  if (!v.product && !v.version) {
    return ParseError(cmd, rec->line, "expected 'Product: ...' and 'Version: ...' fields");
  }
  return v;
}

Expected<std::vector<InterfaceRow>> ParseInterfaceList(std::string_view bytes, Format format) {
  const std::string cmd = "esxcli network ip interface list";
  auto recs = Records(bytes, format, cmd, false);
  if (!recs.ok()) {
    return recs.error();
  }
  if (recs->empty()) {
    return ParseError(cmd, 0, "expected at least one vmknic record, the output has none");
  }
  std::vector<InterfaceRow> rows;
  for (const RawRecord& r : *recs) {
    Fields f(r, cmd);
    InterfaceRow row;
    auto name = f.Req("Name");
    if (!name.ok()) {
      return name.error();
    }
    row.name = *name;
    if (format == Format::kText && !r.title.empty() && r.title != row.name) {
      return ParseError(
          cmd, r.line,
          "expected the record name '" + r.title + "' to equal its Name field '" + row.name + "'");
    }
    row.mac = f.Opt("MAC Address");
    if (row.mac && !net::MacAddress::Parse(*row.mac).ok()) {
      return f.Error(f.Find("MAC Address"), "expected a MAC address, got " + Quote(*row.mac));
    }
    auto enabled = f.OptBool("Enabled");
    if (!enabled.ok()) {
      return enabled.error();
    }
    row.enabled = *enabled;
    row.portset = f.Opt("Portset");
    row.portgroup = f.Opt("Portgroup");
    row.netstack = f.Opt("Netstack Instance");
    row.vds_name = f.Opt("VDS Name");
    auto mtu = f.OptInt("MTU");
    if (!mtu.ok()) {
      return mtu.error();
    }
    if (*mtu) {
      if (**mtu < 68 || **mtu > 65535) {
        return f.Error(f.Find("MTU"),
                       "expected an MTU between 68 and 65535, got " + std::to_string(**mtu));
      }
      row.mtu = static_cast<int>(**mtu);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Expected<std::vector<Ipv4Row>> ParseIpv4Get(std::string_view bytes, Format format) {
  const std::string cmd = "esxcli network ip interface ipv4 get";
  auto recs = Records(bytes, format, cmd, true);
  if (!recs.ok()) {
    return recs.error();
  }
  std::vector<Ipv4Row> rows;
  for (const RawRecord& r : *recs) {
    Fields f(r, cmd);
    Ipv4Row row;
    auto name = f.Req("Name");
    if (!name.ok()) {
      return name.error();
    }
    row.name = *name;
    row.address = f.Opt("IPv4 Address");
    row.netmask = f.Opt("IPv4 Netmask");
    row.broadcast = f.Opt("IPv4 Broadcast");
    row.type = f.Opt("Address Type");
    row.gateway = f.Opt("Gateway");
    for (const char* k : {"IPv4 Address", "IPv4 Broadcast", "Gateway"}) {
      Status st = CheckAddress(f, k, f.Opt(k));
      if (!st.ok()) {
        return st.error();
      }
    }
    if (row.netmask) {
      auto len = net::Prefix::NetmaskToLength(*row.netmask);
      if (!len.ok()) {
        return f.Error(f.Find("IPv4 Netmask"),
                       "expected a dotted IPv4 netmask, got " + Quote(*row.netmask));
      }
      row.prefix = *len;
    }
    auto dns = f.OptBool("DHCP DNS");
    if (!dns.ok()) {
      return dns.error();
    }
    row.dhcp_dns = *dns;
    rows.push_back(std::move(row));
  }
  return rows;
}

Expected<std::vector<Ipv6Row>> ParseIpv6AddressList(std::string_view bytes, Format format) {
  const std::string cmd = "esxcli network ip interface ipv6 address list";
  auto recs = Records(bytes, format, cmd, true);
  if (!recs.ok()) {
    return recs.error();
  }
  std::vector<Ipv6Row> rows;
  for (const RawRecord& r : *recs) {
    Fields f(r, cmd);
    Ipv6Row row;
    auto iface = f.Req("Interface");
    auto addr = f.Req("Address");
    if (!iface.ok()) {
      return iface.error();
    }
    if (!addr.ok()) {
      return addr.error();
    }
    row.interface = *iface;
    row.address = *addr;
    auto parsed = net::IpAddress::Parse(row.address);
    if (!parsed.ok() || parsed->family != net::Family::kIPv6) {
      return f.Error(f.Find("Address"), "expected an IPv6 address, got " + Quote(row.address));
    }
    auto len = f.OptInt("Netmask");
    if (!len.ok()) {
      return len.error();
    }
    if (!*len || **len < 0 || **len > 128) {
      return f.Error(f.Find("Netmask"), "expected a prefix length 0..128 in 'Netmask'");
    }
    row.prefix = static_cast<int>(**len);
    row.type = f.Opt("Type");
    row.status = f.Opt("Status");
    rows.push_back(std::move(row));
  }
  return rows;
}

Expected<std::vector<std::string>> ParseTagGet(std::string_view bytes, Format format) {
  const std::string cmd = "esxcli network ip interface tag get";
  auto rec = SingleRecord(bytes, format, cmd);
  if (!rec.ok()) {
    return rec.error();
  }
  Fields f(*rec, cmd);
  if (f.Find("Tags") == nullptr) {
    return ParseError(cmd, rec->line > 0 ? rec->line : 1, "expected a 'Tags: ...' field");
  }
  return f.List("Tags");
}

Expected<std::vector<NetstackRow>> ParseNetstackList(std::string_view bytes, Format format) {
  const std::string cmd = "esxcli network ip netstack list";
  auto recs = Records(bytes, format, cmd, false);
  if (!recs.ok()) {
    return recs.error();
  }
  if (recs->empty()) {
    return ParseError(cmd, 0, "expected at least one netstack record, the output has none");
  }
  std::vector<NetstackRow> rows;
  for (const RawRecord& r : *recs) {
    Fields f(r, cmd);
    NetstackRow row;
    auto key = f.Opt("Key");
    if (!key) {
      if (format == Format::kXml || r.title.empty()) {
        return ParseError(cmd, r.line, "expected a field 'Key'");
      }
      key = r.title;
    }
    row.key = *key;
    row.name = f.Opt("Name");
    auto state = f.OptInt("State");
    if (!state.ok()) {
      return state.error();
    }
    row.state = *state;
    rows.push_back(std::move(row));
  }
  return rows;
}

Expected<std::vector<NeighborRow>> ParseNeighborList(std::string_view bytes, Format format) {
  const std::string cmd = "esxcli network ip neighbor list";
  auto recs = Records(bytes, format, cmd, true);
  if (!recs.ok()) {
    return recs.error();
  }
  std::vector<NeighborRow> rows;
  for (const RawRecord& r : *recs) {
    Fields f(r, cmd);
    NeighborRow row;
    auto ip = f.Req("Neighbor");
    if (!ip.ok()) {
      return ip.error();
    }
    auto mac = f.Req("Mac Address");
    if (!mac.ok()) {
      return mac.error();
    }
    auto vmk = f.Req("Vmknic");
    if (!vmk.ok()) {
      return vmk.error();
    }
    if (!net::IpAddress::Parse(*ip).ok()) {
      return f.Error(f.Find("Neighbor"), "expected an IP address in 'Neighbor', got " + Quote(*ip));
    }
    if (!net::MacAddress::Parse(*mac).ok()) {
      return f.Error(f.Find("Mac Address"),
                     "expected a MAC address in 'Mac Address', got " + Quote(*mac));
    }
    row.ip = *ip;
    row.mac = *mac;
    row.vmknic = *vmk;
    auto expiry = f.OptInt("Expiry", "sec");
    if (!expiry.ok()) {
      return expiry.error();
    }
    row.expiry_s = *expiry;
    row.state = f.Opt("State");
    row.type = f.Opt("Type");
    rows.push_back(std::move(row));
  }
  return rows;
}

Expected<std::vector<RouteRow>> ParseRouteIpv4List(std::string_view bytes, Format format) {
  const std::string cmd = "esxcli network ip route ipv4 list";
  auto recs = Records(bytes, format, cmd, true);
  if (!recs.ok()) {
    return recs.error();
  }
  std::vector<RouteRow> rows;
  for (const RawRecord& r : *recs) {
    Fields f(r, cmd);
    RouteRow row;
    auto network = f.Req("Network");
    auto netmask = f.Req("Netmask");
    auto gateway = f.Req("Gateway");
    auto iface = f.Req("Interface");
    for (auto* e : {&network, &netmask, &gateway, &iface}) {
      if (!e->ok()) {
        return e->error();
      }
    }
    if (*network != "default" && !net::IpAddress::Parse(*network).ok()) {
      return f.Error(f.Find("Network"),
                     "expected 'default' or an IPv4 network, got " + Quote(*network));
    }
    if (!net::Prefix::NetmaskToLength(*netmask).ok()) {
      return f.Error(f.Find("Netmask"), "expected a dotted IPv4 netmask, got " + Quote(*netmask));
    }
    Status st = CheckAddress(f, "Gateway", *gateway);
    if (!st.ok()) {
      return st.error();
    }
    row.network = *network;
    row.netmask = *netmask;
    row.gateway = *gateway;
    row.interface = *iface;
    row.source = f.Opt("Source");
    rows.push_back(std::move(row));
  }
  return rows;
}

Expected<std::vector<PortgroupRow>> ParsePortgroupList(std::string_view bytes, Format format) {
  // The XML shape (<list type="structure"> of <structure typeName="PortGroup"> with the fields
  // ActiveClients, Name, VLANID, VirtualSwitch) is inferred from the other esxcli lists and the
  // CSV keys, not captured from a host.
  const std::string cmd = "esxcli network vswitch standard portgroup list";
  auto recs = Records(bytes, format, cmd, true);
  if (!recs.ok()) {
    return recs.error();
  }
  std::vector<PortgroupRow> rows;
  for (const RawRecord& r : *recs) {
    Fields f(r, cmd);
    PortgroupRow row;
    auto name = f.Req("Name");
    if (!name.ok()) {
      return name.error();
    }
    auto vswitch = f.Req("Virtual Switch");
    if (!vswitch.ok()) {
      return vswitch.error();
    }
    if (f.Find("VLAN ID") == nullptr) {
      return f.Error(nullptr, "expected a field 'VLAN ID'");
    }
    auto vlan = f.OptInt("VLAN ID");
    if (!vlan.ok()) {
      return vlan.error();
    }
    if (!*vlan || **vlan < 0 || **vlan > 4095) {
      return f.Error(f.Find("VLAN ID"),
                     "expected a VLAN ID 0..4095, got " + Quote(f.Find("VLAN ID")->text));
    }
    auto clients = f.OptInt("Active Clients");
    if (!clients.ok()) {
      return clients.error();
    }
    row.name = *name;
    row.vswitch = *vswitch;
    row.vlan_id = static_cast<int>(**vlan);
    row.active_clients = *clients;
    rows.push_back(std::move(row));
  }
  return rows;
}

Expected<PingResult> ParseVmkping(std::string_view bytes) {
  const std::string cmd = "vmkping";
  Status st = CheckText(bytes, cmd);
  if (!st.ok()) {
    return st.error();
  }
  PingResult p;
  bool header = false;
  bool stats = false;
  int last_line = 0;
  for (const Line& l : SplitLines(bytes)) {
    last_line = l.number;
    const std::string& t = l.text;
    if (t.empty()) {
      continue;
    }
    if (!header) {
      // PING 192.168.1.22 (192.168.1.22): 56 data bytes
      size_t open = t.find(" (");
      size_t close = t.find("): ");
      if (t.compare(0, 5, "PING ") != 0 || open == std::string::npos ||
          close == std::string::npos || close < open) {
        return ParseError(cmd, l.number,
                          "expected 'PING host (address): N data bytes', got " + Quote(t));
      }
      p.target = t.substr(open + 2, close - open - 2);
      p.payload_bytes = std::atoi(t.c_str() + close + 3);
      header = true;
      continue;
    }
    if (t.find(" bytes from ") != std::string::npos) {
      ++p.replies;
      continue;
    }
    if (t.compare(0, 16, "sendto() failed ") == 0) {
      std::string why = t.substr(16);
      if (why.size() >= 2 && why.front() == '(' && why.back() == ')') {
        why = why.substr(1, why.size() - 2);
      }
      if (why == "Message too long") {
        p.message_too_long = true;
      }
      p.send_errors.push_back(why);
      continue;
    }
    if (t.find("packets transmitted") != std::string::npos) {
      int tx = 0;
      int rx = 0;
      char pct[8] = {0};
      if (std::sscanf(t.c_str(), "%d packets transmitted, %d packets received, %7[0-9.]", &tx, &rx,
                      pct) != 3 ||
          tx < 0 || rx < 0) {
        return ParseError(cmd, l.number,
                          "expected 'N packets transmitted, M packets received, P% packet loss', "
                          "got " +
                              Quote(t));
      }
      p.transmitted = tx;
      p.received = rx;
      p.loss_percent = static_cast<int>(std::atof(pct) + 0.5);
      stats = true;
      continue;
    }
    if (t.compare(0, 10, "round-trip") == 0) {
      double a = 0;
      double b = 0;
      double c = 0;
      size_t eq = t.find("= ");
      if (eq == std::string::npos ||
          std::sscanf(t.c_str() + eq + 2, "%lf/%lf/%lf", &a, &b, &c) != 3) {
        return ParseError(cmd, l.number,
                          "expected 'round-trip min/avg/max = a/b/c ms', got " + Quote(t));
      }
      p.rtt_min_ms = a;
      p.rtt_avg_ms = b;
      p.rtt_max_ms = c;
      continue;
    }
    // Anything else ("--- x ping statistics ---", timeouts, warnings) carries no numbers we use.
  }
  if (!header) {
    return ParseError(cmd, 0, "expected 'PING host (address): N data bytes', the output is empty");
  }
  if (!stats) {
    return ParseError(cmd, last_line,
                      "expected a statistics line 'N packets transmitted, M packets received, "
                      "P% packet loss' before the end of the output");
  }
  return p;
}

}  // namespace bnfc::hostagent
