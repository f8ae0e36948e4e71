// key = value configuration files with a declared schema and precise errors.
//
// Format (docs/config-format.md): one `key = value` per line; `#` starts a comment line, and in an
// unquoted value a `#` preceded by whitespace starts a trailing comment; blank lines ignored;
// values may be wrapped in double quotes to keep leading/trailing spaces or a ` #` (escapes \" and
// \\). CRLF line ends and a UTF-8 byte order mark at the very start are tolerated. Keys declared
// `repeated` may appear more than once (e.g. `proxy = ...`); any other key at most once. Unknown
// keys are errors. Every error names the file, the line, the key and what was expected.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/net.h"

namespace bnfc::config {

enum class Type { kString, kInt, kBool, kDuration, kEnum, kIpAddress, kPrefix, kPath };

struct KeySpec {
  std::string key;
  Type type = Type::kString;
  std::string help;  // used in error messages and docs
  bool required = false;
  bool repeated = false;
  std::optional<std::string> default_value;
  std::vector<std::string> choices;  // for kEnum
  long long min_int = 0;             // for kInt
  long long max_int = 0;             // for kInt; max_int < min_int means unbounded

  // Builders, so schemas read well and compile cleanly under -Wextra:
  //   KeySpec::Make("port", Type::kInt, "proxy port").Range(1, 65535).Default("5690")
  static KeySpec Make(std::string key, Type type, std::string help) {
    KeySpec k;
    k.key = std::move(key);
    k.type = type;
    k.help = std::move(help);
    return k;
  }
  KeySpec Required() const {
    KeySpec k = *this;
    k.required = true;
    return k;
  }
  KeySpec Repeated() const {
    KeySpec k = *this;
    k.repeated = true;
    return k;
  }
  KeySpec Default(std::string value) const {
    KeySpec k = *this;
    k.default_value = std::move(value);
    return k;
  }
  KeySpec Range(long long min, long long max) const {
    KeySpec k = *this;
    k.min_int = min;
    k.max_int = max;
    return k;
  }
  KeySpec Choices(std::vector<std::string> values) const {
    KeySpec k = *this;
    k.choices = std::move(values);
    return k;
  }
};

using Schema = std::vector<KeySpec>;

struct Entry {
  std::string value;
  int line = 0;  // 0 for defaults
};

class Config {
 public:
  // Typed getters. Keys must be in the schema (asking for an undeclared key, or with a getter that
  // does not match its declared type, is a programming bug and aborts). Values were validated at
  // parse time, so these only return what is there: nullopt when the key is absent and has no
  // default. GetString works for every type (the text as written). For a repeated key the getters
  // return the last value; GetAll returns them all.
  std::optional<std::string> GetString(const std::string& key) const;
  std::string GetStringOr(const std::string& key, const std::string& fallback) const;
  std::optional<long long> GetInt(const std::string& key) const;
  std::optional<bool> GetBool(const std::string& key) const;
  std::optional<std::chrono::milliseconds> GetDuration(const std::string& key) const;
  std::optional<net::IpAddress> GetIpAddress(const std::string& key) const;
  std::optional<net::Prefix> GetPrefix(const std::string& key) const;
  std::vector<Entry> GetAll(const std::string& key) const;  // repeated keys, in file order
  bool Has(const std::string& key) const;
  const std::string& source() const { return source_; }

  // Used by the parser.
  Config(std::string source, const Schema* schema) : source_(std::move(source)), schema_(schema) {}
  void Add(const std::string& key, Entry e) { values_[key].push_back(std::move(e)); }

 private:
  const KeySpec& Spec(const std::string& key) const;
  std::string source_;
  const Schema* schema_;
  std::map<std::string, std::vector<Entry>> values_;
};

// `source` is the file name used in messages. The schema must outlive the Config.
Expected<Config> ParseText(const std::string& text, const std::string& source,
                           const Schema& schema);
Expected<Config> ParseFile(const std::string& path, const Schema& schema);

// A cross-key or shape check that failed after parsing, worded like the parser's own errors:
// "<source> line N: key 'KEY': WHAT" ("<source>: key 'KEY': WHAT" for a default, line 0).
Unexpected KeyError(const std::string& source, const Entry& entry, const std::string& key,
                    const std::string& what);

// "1500ms", "2s", "1.5s", "5m", "1h", "1d", sums like "1m30s", plain number = seconds. Whole
// milliseconds only; no sign, no spaces, lower-case units.
Expected<std::chrono::milliseconds> ParseDuration(const std::string& text);
// "true|false|yes|no|on|off|1|0" (case-insensitive).
Expected<bool> ParseBool(const std::string& text);

// A commented sample file listing every key of the schema with its type, help and default, for
// `--help` output and docs.
std::string DescribeSchema(const Schema& schema);

}  // namespace bnfc::config
