#include "esxsim/format.h"

#include <algorithm>

namespace esxsim {

Value Value::Str(std::string s) {
  Value v;
  v.kind = Kind::kString;
  v.str = std::move(s);
  return v;
}
Value Value::Int(int64_t i) {
  Value v;
  v.kind = Kind::kInteger;
  v.integer = i;
  return v;
}
Value Value::Bool(bool b) {
  Value v;
  v.kind = Kind::kBoolean;
  v.boolean = b;
  return v;
}
Value Value::StrList(std::vector<std::string> list) {
  Value v;
  v.kind = Kind::kStringList;
  v.strings = std::move(list);
  return v;
}
Value Value::Struct(Structure s) {
  Value v;
  v.kind = Kind::kStructure;
  v.structures.push_back(std::move(s));
  return v;
}
Value Value::List(std::vector<Structure> list) {
  Value v;
  v.kind = Kind::kStructureList;
  v.structures = std::move(list);
  return v;
}

std::string KeyFromName(const std::string& name) {
  std::string key;
  for (char c : name) {
    if (c != ' ' && c != '/' && c != '-') {
      key += c;
    }
  }
  return key;
}

Structure& Structure::Add(const std::string& name, Value value, const std::string& key,
                          const std::string& unit) {
  fields.push_back(Field{name, key.empty() ? KeyFromName(name) : key, std::move(value), unit});
  return *this;
}

const Field* Structure::Find(const std::string& name) const {
  for (const Field& f : fields) {
    if (f.name == name || f.key == name) {
      return &f;
    }
  }
  return nullptr;
}

bool ParseFormatter(const std::string& name, Formatter* out) {
  if (name == "xml") {
    *out = Formatter::kXml;
  } else if (name == "csv") {
    *out = Formatter::kCsv;
  } else if (name == "keyvalue") {
    *out = Formatter::kKeyValue;
  } else {
    return false;
  }
  return true;
}

namespace {

const char* TypeWord(Value::Kind k) {
  switch (k) {
    case Value::Kind::kInteger:
      return "integer";
    case Value::Kind::kBoolean:
      return "boolean";
    default:
      return "string";
  }
}

bool RightAligned(Value::Kind k) {
  return k == Value::Kind::kInteger || k == Value::Kind::kBoolean;
}

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += items[i];
  }
  return out;
}

std::vector<const Field*> SortedFields(const Structure& s) {
  std::vector<const Field*> sorted;
  for (const Field& f : s.fields) {
    sorted.push_back(&f);
  }
  // ASCII order of the keys: upper case before lower case ("DPUId" < "Description").
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Field* a, const Field* b) { return a->key < b->key; });
  return sorted;
}

std::string Spaces(size_t n) {
  return std::string(n, ' ');
}

// ---- text ----

void TextFields(const Structure& s, size_t indent, std::string* out);

void TextField(const Field& f, size_t indent, std::string* out) {
  *out += Spaces(indent) + f.name + ": ";
  if (f.value.kind == Value::Kind::kStructure) {
    *out += "\n";
    TextFields(f.value.structures[0], indent + 6, out);
  } else if (f.value.kind == Value::Kind::kStructureList) {
    *out += "\n";
    for (size_t i = 0; i < f.value.structures.size(); ++i) {
      if (i > 0) {
        *out += "\n";
      }
      TextFields(f.value.structures[i], indent + 6, out);
    }
  } else {
    *out += ScalarText(f.value) + f.unit + "\n";
  }
}

void TextFields(const Structure& s, size_t indent, std::string* out) {
  for (const Field& f : s.fields) {
    TextField(f, indent, out);
  }
}

std::string TextTable(const Output& o) {
  const Structure& proto = o.value.structures.empty() ? o.schema : o.value.structures[0];
  std::vector<Column> cols;
  for (const Field& f : proto.fields) {
    cols.push_back(Column{f.name, RightAligned(f.value.kind)});
  }
  std::vector<std::vector<std::string>> rows;
  for (const Structure& s : o.value.structures) {
    std::vector<std::string> row;
    for (const Field& f : s.fields) {
      row.push_back(ScalarText(f.value) + f.unit);
    }
    rows.push_back(std::move(row));
  }
  return RenderTable(cols, rows);
}

// ---- xml ----

void XmlValue(const Value& v, size_t indent, std::string* out);

void XmlStructure(const Structure& s, size_t indent, std::string* out) {
  *out += Spaces(indent) + "<structure typeName=\"" + XmlEscape(s.type_name) + "\">\n";
  for (const Field* f : SortedFields(s)) {
    *out += Spaces(indent + 3) + "<field name=\"" + XmlEscape(f->key) + "\">\n";
    XmlValue(f->value, indent + 6, out);
    *out += Spaces(indent + 3) + "</field>\n";
  }
  *out += Spaces(indent) + "</structure>\n";
}

void XmlValue(const Value& v, size_t indent, std::string* out) {
  switch (v.kind) {
    case Value::Kind::kString:
    case Value::Kind::kInteger:
    case Value::Kind::kBoolean: {
      const char* t = TypeWord(v.kind);
      *out += Spaces(indent) + "<" + t + ">" + XmlEscape(ScalarText(v)) + "</" + t + ">\n";
      break;
    }
    case Value::Kind::kStringList:
      *out += Spaces(indent) + "<list type=\"string\">\n";
      for (const std::string& s : v.strings) {
        *out += Spaces(indent + 3) + "<string>" + XmlEscape(s) + "</string>\n";
      }
      *out += Spaces(indent) + "</list>\n";
      break;
    case Value::Kind::kStructure:
      XmlStructure(v.structures[0], indent, out);
      break;
    case Value::Kind::kStructureList:
      *out += Spaces(indent) + "<list type=\"structure\">\n";
      for (const Structure& s : v.structures) {
        XmlStructure(s, indent + 3, out);
      }
      *out += Spaces(indent) + "</list>\n";
      break;
  }
}

// ---- csv ----

std::string CsvCell(const Value& v) {
  std::string text;
  if (v.IsScalar() || v.kind == Value::Kind::kStringList) {
    text = ScalarText(v);
  }
  if (text.find_first_of(",\"\n") == std::string::npos) {
    return text;
  }
  std::string quoted = "\"";
  for (char c : text) {
    quoted += c;
    if (c == '"') {
      quoted += '"';
    }
  }
  return quoted + "\"";
}

// ---- keyvalue ----

void KeyValueStructure(const Structure& s, const std::string& prefix, std::string* out) {
  const std::string base = prefix + s.type_name + ".";
  for (const Field* f : SortedFields(s)) {
    const Value& v = f->value;
    const std::string key = base + f->key;
    switch (v.kind) {
      case Value::Kind::kString:
      case Value::Kind::kInteger:
      case Value::Kind::kBoolean:
        *out += key + "." + TypeWord(v.kind) + "=" + ScalarText(v) + "\n";
        break;
      case Value::Kind::kStringList:
        for (size_t i = 0; i < v.strings.size(); ++i) {
          *out += key + ".string[" + std::to_string(i) + "]=" + v.strings[i] + "\n";
        }
        break;
      case Value::Kind::kStructure:
        KeyValueStructure(v.structures[0], key + ".", out);
        break;
      case Value::Kind::kStructureList:
        for (size_t i = 0; i < v.structures.size(); ++i) {
          KeyValueStructure(v.structures[i], key + ".structure[" + std::to_string(i) + "].", out);
        }
        break;
    }
  }
}

}  // namespace

std::string ScalarText(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kString:
      return v.str;
    case Value::Kind::kInteger:
      return std::to_string(v.integer);
    case Value::Kind::kBoolean:
      return v.boolean ? "true" : "false";
    case Value::Kind::kStringList:
      return Join(v.strings, ", ");
    default:
      return "";
  }
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderTable(const std::vector<Column>& columns,
                        const std::vector<std::vector<std::string>>& rows) {
  const size_t n = columns.size();
  std::vector<size_t> width(n);
  for (size_t c = 0; c < n; ++c) {
    width[c] = columns[c].header.size();
    const bool last_left = (c + 1 == n) && !columns[c].right;
    if (last_left) {
      continue;  // the last left-aligned column keeps the header's width
    }
    for (const auto& row : rows) {
      if (c < row.size()) {
        width[c] = std::max(width[c], row[c].size());
      }
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < n; ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      const size_t pad = width[c] > cell.size() ? width[c] - cell.size() : 0;
      if (c > 0) {
        out += "  ";
      }
      if (columns[c].right) {
        out += Spaces(pad) + cell;
      } else if (c + 1 == n) {
        out += cell;  // no trailing padding after the last column
      } else {
        out += cell + Spaces(pad);
      }
    }
    return out + "\n";
  };
  std::vector<std::string> headers;
  std::vector<std::string> dashes;
  for (size_t c = 0; c < n; ++c) {
    headers.push_back(columns[c].header);
    dashes.push_back(std::string(width[c], '-'));
  }
  std::string out = line(headers) + line(dashes);
  for (const auto& row : rows) {
    out += line(row);
  }
  return out;
}

std::string FormatText(const Output& o) {
  std::string out;
  switch (o.shape) {
    case TextShape::kNone:
      break;
    case TextShape::kTable:
      out = TextTable(o);
      break;
    case TextShape::kKeyedList:
      for (size_t i = 0; i < o.value.structures.size(); ++i) {
        const Structure& s = o.value.structures[i];
        if (i > 0) {
          out += "\n";
        }
        const Field* key = s.Find(o.record_key);
        out += (key != nullptr ? ScalarText(key->value) : std::string()) + "\n";
        TextFields(s, 3, &out);
      }
      break;
    case TextShape::kSingle:
      if (!o.title.empty()) {
        out += o.title + "\n";
      }
      if (!o.value.structures.empty()) {
        TextFields(o.value.structures[0], 3, &out);
      }
      break;
  }
  return out;
}

std::string FormatXml(const Output& o) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<output xmlns=\"http://www.vmware.com/Products/ESX/5.0/esxcli\">\n"
      "<root>\n";
  if (o.shape == TextShape::kNone) {
    out += "   <boolean>true</boolean>\n";
  } else {
    XmlValue(o.value, 3, &out);
  }
  out += "</root>\n</output>\n";
  return out;
}

std::string FormatCsv(const Output& o) {
  if (o.shape == TextShape::kNone) {
    return "";
  }
  const bool list = o.value.kind == Value::Kind::kStructureList;
  const Structure& proto = o.value.structures.empty() ? o.schema : o.value.structures[0];
  std::string out;
  for (const Field* f : SortedFields(proto)) {
    out += f->key + ",";
  }
  out += "\n";
  for (const Structure& s : o.value.structures) {
    for (const Field* f : SortedFields(s)) {
      out += CsvCell(f->value) + ",";
    }
    out += "\n";
    if (!list) {
      break;
    }
  }
  return out;
}

std::string FormatKeyValue(const Output& o) {
  std::string out;
  if (o.shape == TextShape::kNone) {
    return out;
  }
  if (o.value.kind == Value::Kind::kStructureList) {
    for (size_t i = 0; i < o.value.structures.size(); ++i) {
      KeyValueStructure(o.value.structures[i], "structure[" + std::to_string(i) + "].", &out);
    }
  } else if (!o.value.structures.empty()) {
    KeyValueStructure(o.value.structures[0], "", &out);
  }
  return out;
}

std::string Format(const Output& o, Formatter f) {
  switch (f) {
    case Formatter::kXml:
      return FormatXml(o);
    case Formatter::kCsv:
      return FormatCsv(o);
    case Formatter::kKeyValue:
      return FormatKeyValue(o);
    default:
      return FormatText(o);
  }
}

}  // namespace esxsim
