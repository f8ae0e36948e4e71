// key = value configuration files with a declared schema and precise errors.
//
// Format: one `key = value` per line; `#` starts a comment line; blank lines ignored; values may be
// wrapped in double quotes to keep leading/trailing spaces. Keys declared `repeated` may appear
// more than once (e.g. `proxy = ...`); any other key at most once. Unknown keys are errors. Every
// error names the file, the line, the key and what was expected.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bnfc/expected.h"

namespace bnfc::config {

enum class Type { kString, kInt, kBool, kDuration, kEnum, kIpAddress, kPrefix, kPath };

struct KeySpec {
  std::string key;
  Type type = Type::kString;
  std::string help;                  // used in error messages and docs
  bool required = false;
  bool repeated = false;
  std::optional<std::string> default_value;
  std::vector<std::string> choices;  // for kEnum
  long long min_int = 0;             // for kInt
  long long max_int = 0;             // for kInt; max_int < min_int means unbounded
};

using Schema = std::vector<KeySpec>;

struct Entry {
  std::string value;
  int line = 0;  // 0 for defaults
};

class Config {
 public:
  // Typed getters. Keys must be in the schema (asking for an undeclared key is a programming bug
  // and aborts). Values were validated at parse time, so these only return what is there.
  std::optional<std::string> GetString(const std::string& key) const;
  std::string GetStringOr(const std::string& key, const std::string& fallback) const;
  std::optional<long long> GetInt(const std::string& key) const;
  std::optional<bool> GetBool(const std::string& key) const;
  std::optional<std::chrono::milliseconds> GetDuration(const std::string& key) const;
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
Expected<Config> ParseText(const std::string& text, const std::string& source, const Schema& schema);
Expected<Config> ParseFile(const std::string& path, const Schema& schema);

// "1500ms", "2s", "1.5s", "5m", "1h", plain number = seconds.
Expected<std::chrono::milliseconds> ParseDuration(const std::string& text);
// "true|false|yes|no|on|off|1|0" (case-insensitive).
Expected<bool> ParseBool(const std::string& text);

}  // namespace bnfc::config
