// The data model behind every esxcli answer: typed fields in structures, as the esxcli framework
// sees them. The formatters (format.h) turn one Output into text, XML, CSV or keyvalue bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace esxsim {

struct Structure;

struct Value {
  enum class Kind { kString, kInteger, kBoolean, kStringList, kStructure, kStructureList };
  Kind kind = Kind::kString;
  std::string str;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<std::string> strings;
  std::vector<Structure> structures;  // exactly one element for kStructure

  static Value Str(std::string s);
  static Value Int(int64_t i);
  static Value Bool(bool b);
  static Value StrList(std::vector<std::string> list);
  static Value Struct(Structure s);
  static Value List(std::vector<Structure> list);

  bool IsScalar() const {
    return kind == Kind::kString || kind == Kind::kInteger || kind == Kind::kBoolean;
  }
};

struct Field {
  std::string name;  // display name in the text formatter ("MAC Address")
  std::string key;   // structured key used by xml/csv/keyvalue ("MACAddress")
  Value value;
  std::string unit;  // text-only suffix, e.g. " sec" for neighbor expiry
};

struct Structure {
  std::string type_name;
  std::vector<Field> fields;

  // Appends a field; the key defaults to the display name without spaces.
  Structure& Add(const std::string& name, Value value, const std::string& key = "",
                 const std::string& unit = "");
  const Field* Find(const std::string& name) const;
};

// Display name -> structured key: spaces (and '/', '-') removed.
std::string KeyFromName(const std::string& name);

// How the default (text) formatter lays out a result.
enum class TextShape {
  kNone,       // commands that print nothing on success (tag add)
  kTable,      // header, dash line, rows
  kKeyedList,  // record key line, then "   Field: value" lines, blank line between records
  kSingle,     // "   Field: value" lines, optional title line first
};

struct Output {
  TextShape shape = TextShape::kNone;
  Value value;             // kStructureList for kTable/kKeyedList, kStructure for kSingle
  std::string title;       // kSingle: printed first when not empty ("Installation Result")
  std::string record_key;  // kKeyedList: field printed as the record header line
  Structure schema;        // lists: type name, columns and kinds to use when the list is empty
};

}  // namespace esxsim
