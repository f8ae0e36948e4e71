// key = value configuration files: line syntax, typed validation against a schema, typed access.
#include "bnfc/config.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>

#include "bnfc/fs.h"
#include "bnfc/text.h"

namespace bnfc::config {
namespace {

// Config lines trim spaces and tabs only (CR is handled where lines are split).
std::string TrimBlanks(std::string_view s) {
  return text::Trim(s, " \t");
}

constexpr size_t kMaxConfigBytes = 1u << 20;
const std::string kDurationShape = "expected a number with a unit (ms, s, m, h, d) like 30s or 5m";

// Untrusted text quoted in an error message.
std::string Quote(const std::string& text) {
  return text::QuoteUntrusted(text, 80);
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t';
}

bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const KeySpec* Find(const Schema& schema, const std::string& key) {
  for (const KeySpec& spec : schema) {
    if (spec.key == key) {
      return &spec;
    }
  }
  return nullptr;
}

std::string JoinChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  }
  return out;
}

Expected<std::chrono::milliseconds> DurationOrWhy(const std::string& text);

bool IntBounded(const KeySpec& spec) {
  return spec.max_int >= spec.min_int;
}

// What a value of this key looks like, completing "expected ...".
std::string Expectation(const KeySpec& spec) {
  switch (spec.type) {
    case Type::kString:
      return "a string";
    case Type::kInt:
      if (IntBounded(spec)) {
        return "an integer from " + std::to_string(spec.min_int) + " to " +
               std::to_string(spec.max_int);
      }
      return "an integer";
    case Type::kBool:
      return "true or false (also yes/no, on/off, 1/0)";
    case Type::kDuration:
      return "a duration like 30s or 5m";
    case Type::kEnum:
      return "one of " + JoinChoices(spec.choices);
    case Type::kIpAddress:
      return "an IP address like 192.0.2.10 or 2001:db8::10";
    case Type::kPrefix:
      return "a prefix like 10.99.0.0/24 or 2001:db8::/64";
    case Type::kPath:
      return "an absolute path like /etc/bnfc/key";
  }
  return "a value";
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::kString:
      return "string";
    case Type::kInt:
      return "integer";
    case Type::kBool:
      return "bool";
    case Type::kDuration:
      return "duration";
    case Type::kEnum:
      return "enum";
    case Type::kIpAddress:
      return "IP address";
    case Type::kPrefix:
      return "prefix";
    case Type::kPath:
      return "path";
  }
  return "?";
}

Expected<long long> ParseInt(const std::string& text) {
  size_t i = text.size() > 0 && text[0] == '-' ? 1 : 0;
  if (i == text.size() || text.size() > 20) {
    return Unexpected(ErrorCode::kParse, "not an integer");
  }
  for (size_t k = i; k < text.size(); ++k) {
    if (text[k] < '0' || text[k] > '9') {
      return Unexpected(ErrorCode::kParse, "not an integer");
    }
  }
  errno = 0;
  long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE) {
    return Unexpected(ErrorCode::kParse, "out of the 64-bit range");
  }
  return v;
}

// Checks a value against its key's type. The error message is the part after "key 'k': ".
Status Validate(const KeySpec& spec, const std::string& value) {
  auto fail = [&](const std::string& detail) -> Status {
    std::string m = "expected " + Expectation(spec) + ", got " + Quote(value);
    if (!detail.empty()) {
      m += " (" + detail + ")";
    }
    return Unexpected(ErrorCode::kInvalidArgument, m);
  };
  switch (spec.type) {
    case Type::kString:
      return OkStatus();
    case Type::kInt: {
      auto v = ParseInt(value);
      if (!v.ok()) {
        return fail("");
      }
      if (IntBounded(spec) && (*v < spec.min_int || *v > spec.max_int)) {
        return fail("");
      }
      return OkStatus();
    }
    case Type::kBool:
      return ParseBool(value).ok() ? OkStatus() : fail("");
    case Type::kDuration: {
      auto d = DurationOrWhy(value);
      if (d.ok()) {
        return OkStatus();
      }
      return fail(d.error().message == kDurationShape ? "" : d.error().message);
    }
    case Type::kEnum:
      if (std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end()) {
        return fail("");
      }
      return OkStatus();
    case Type::kIpAddress: {
      auto a = net::IpAddress::Parse(value);
      return a.ok() ? OkStatus() : fail(a.error().message);
    }
    case Type::kPrefix: {
      auto p = net::Prefix::Parse(value);
      return p.ok() ? OkStatus() : fail(p.error().message);
    }
    case Type::kPath:
      if (value.empty() || value[0] != '/') {
        return fail("");
      }
      return OkStatus();
  }
  return fail("");
}

Status CheckSchema(const Schema& schema) {
  std::set<std::string> seen;
  for (const KeySpec& spec : schema) {
    std::string where = "config schema, key '" + spec.key + "': ";
    bool key_ok = !spec.key.empty() && std::all_of(spec.key.begin(), spec.key.end(), IsKeyChar);
    if (!key_ok) {
      return Unexpected(ErrorCode::kInternal, where + "not a valid key name");
    }
    if (!seen.insert(spec.key).second) {
      return Unexpected(ErrorCode::kInternal, where + "declared twice");
    }
    if (spec.type == Type::kEnum && spec.choices.empty()) {
      return Unexpected(ErrorCode::kInternal, where + "enum without choices");
    }
    if (spec.default_value) {
      Status s = Validate(spec, *spec.default_value);
      if (!s.ok()) {
        return Unexpected(ErrorCode::kInternal, where + "bad default: " + s.error().message);
      }
    }
  }
  return OkStatus();
}

struct Line {
  std::string key;
  std::string value;
};

// Splits one line (no line end) into key and value. Returns nullopt-like empty key for blank and
// comment lines. The error message is the part after "<source> line N: ".
Expected<Line> SplitLine(const std::string& raw) {
  for (size_t i = 0; i < raw.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "unexpected control character 0x%02x at column %zu", c, i + 1);
      return Unexpected(ErrorCode::kParse, buf);
    }
  }
  std::string line = TrimBlanks(raw);
  if (line.empty() || line[0] == '#') {
    return Line{};
  }
  size_t eq = line.find('=');
  if (eq == std::string::npos) {
    std::string hint = line[0] == '[' ? " (sections are not supported)" : "";
    return Unexpected(ErrorCode::kParse, "expected 'key = value', got " + Quote(line) + hint);
  }
  Line out;
  out.key = TrimBlanks(line.substr(0, eq));
  if (out.key.empty()) {
    return Unexpected(ErrorCode::kParse, "missing key before '=' in " + Quote(line));
  }
  if (!std::all_of(out.key.begin(), out.key.end(), IsKeyChar)) {
    return Unexpected(ErrorCode::kParse,
                      "invalid key " + Quote(out.key) +
                          ": keys are letters, digits, '_', '-' and '.' (expected 'key = value')");
  }
  std::string rest = TrimBlanks(line.substr(eq + 1));
  if (!rest.empty() && rest[0] == '"') {
    size_t i = 1;
    bool closed = false;
    for (; i < rest.size(); ++i) {
      char c = rest[i];
      if (c == '"') {
        closed = true;
        ++i;
        break;
      }
      if (c == '\\') {
        if (i + 1 < rest.size() && (rest[i + 1] == '"' || rest[i + 1] == '\\')) {
          out.value += rest[++i];
          continue;
        }
        std::string esc = i + 1 < rest.size() ? std::string(1, rest[i + 1]) : std::string();
        return Unexpected(ErrorCode::kParse, "key '" + out.key + "': unknown escape " +
                                                 Quote("\\" + esc) +
                                                 " in quoted value (only \\\" and \\\\ exist)");
      }
      out.value += c;
    }
    if (!closed) {
      return Unexpected(ErrorCode::kParse,
                        "key '" + out.key + "': missing closing '\"' in quoted value");
    }
    std::string tail = TrimBlanks(rest.substr(i));
    if (!tail.empty() && tail[0] != '#') {
      return Unexpected(
          ErrorCode::kParse,
          "key '" + out.key + "': unexpected text after the closing quote: " + Quote(tail));
    }
    return out;
  }
  // Unquoted: a '#' preceded by whitespace (or first) starts a trailing comment.
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '#' && (i == 0 || IsSpace(rest[i - 1]))) {
      rest = TrimBlanks(rest.substr(0, i));
      break;
    }
  }
  out.value = rest;
  return out;
}

std::string KnownKeys(const Schema& schema) {
  std::string out;
  for (const KeySpec& spec : schema) {
    out += (out.empty() ? "" : ", ") + spec.key;
  }
  return out;
}

std::string Suggestion(const Schema& schema, const std::string& key) {
  const KeySpec* best = nullptr;
  size_t best_distance = 3;  // only close misspellings
  for (const KeySpec& spec : schema) {
    size_t d = EditDistance(text::AsciiLower(key), text::AsciiLower(spec.key));
    if (d < best_distance) {
      best = &spec;
      best_distance = d;
    }
  }
  return best ? "did you mean '" + best->key + "'? " : "";
}

[[noreturn]] void Die(const std::string& why) {
  std::cerr << "fatal: config: " << why << "\n";
  std::abort();
}

}  // namespace

Expected<Config> ParseText(const std::string& text, const std::string& source,
                           const Schema& schema) {
  Status schema_ok = CheckSchema(schema);
  if (!schema_ok.ok()) {
    return schema_ok.error();
  }
  Config config(source, &schema);
  std::map<std::string, int> first_line;
  size_t pos = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    pos = 3;  // UTF-8 byte order mark, as Windows editors write it
  }
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string raw = text.substr(pos, end - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') {
      raw.pop_back();
    }
    std::string where = source + " line " + std::to_string(line_no) + ": ";
    auto line = SplitLine(raw);
    if (!line.ok()) {
      return Unexpected(line.error().code, where + line.error().message);
    }
    if (line->key.empty()) {
      continue;
    }
    const KeySpec* spec = Find(schema, line->key);
    if (spec == nullptr) {
      return Unexpected(ErrorCode::kInvalidArgument, where + "unknown key " + Quote(line->key) +
                                                         "; " + Suggestion(schema, line->key) +
                                                         "(known keys: " + KnownKeys(schema) + ")");
    }
    auto seen = first_line.find(spec->key);
    if (seen != first_line.end() && !spec->repeated) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        where + "key '" + spec->key + "' is already set on line " +
                            std::to_string(seen->second) + "; it may appear only once");
    }
    Status valid = Validate(*spec, line->value);
    if (!valid.ok()) {
      return Unexpected(valid.error().code,
                        where + "key '" + spec->key + "': " + valid.error().message);
    }
    first_line.emplace(spec->key, line_no);
    config.Add(spec->key, Entry{line->value, line_no});
  }
  for (const KeySpec& spec : schema) {
    if (first_line.count(spec.key) != 0) {
      continue;
    }
    if (spec.default_value) {
      config.Add(spec.key, Entry{*spec.default_value, 0});
    } else if (spec.required) {
      std::string help = spec.help.empty() ? "" : " (" + spec.help + ")";
      return Unexpected(ErrorCode::kInvalidArgument, source + ": missing required key '" +
                                                         spec.key + "'" + help +
                                                         ": expected a line like '" + spec.key +
                                                         " = ...' with " + Expectation(spec));
    }
  }
  return config;
}

Expected<Config> ParseFile(const std::string& path, const Schema& schema) {
  auto text = fs::ReadFile(path, kMaxConfigBytes);
  if (!text.ok()) {
    return Unexpected(text.error().code, "config file: " + text.error().message);
  }
  return ParseText(*text, path, schema);
}

namespace {

// The error message is only the reason; ParseDuration() adds the input.
Expected<std::chrono::milliseconds> DurationOrWhy(const std::string& text) {
  auto fail = [](const std::string& why) -> Expected<std::chrono::milliseconds> {
    return Unexpected(ErrorCode::kParse, why);
  };
  const std::string& kUnits = kDurationShape;
  if (text.empty()) {
    return fail(kUnits);
  }
  long long total = 0;
  size_t i = 0;
  bool any_unit = false;
  while (i < text.size()) {
    long long whole = 0;
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (__builtin_mul_overflow(whole, 10LL, &whole) ||
          __builtin_add_overflow(whole, static_cast<long long>(text[i] - '0'), &whole)) {
        return fail("too large");
      }
      ++i;
    }
    bool has_whole = i > start;
    long long frac = 0;
    long long frac_scale = 1;
    if (i < text.size() && text[i] == '.') {
      ++i;
      size_t fstart = i;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        if (i - fstart >= 9) {
          return fail("too many decimal places");
        }
        frac = frac * 10 + (text[i] - '0');
        frac_scale *= 10;
        ++i;
      }
      if (i == fstart) {
        return fail(kUnits);
      }
    } else if (!has_whole) {
      return fail(kUnits);
    }
    size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    std::string unit = text.substr(ustart, i - ustart);
    long long unit_ms = 0;
    if (unit.empty()) {
      if (i != text.size() || any_unit) {
        return fail(kUnits);
      }
      unit_ms = 1000;  // a plain number is seconds
    } else if (unit == "ms") {
      unit_ms = 1;
    } else if (unit == "s") {
      unit_ms = 1000;
    } else if (unit == "m") {
      unit_ms = 60 * 1000;
    } else if (unit == "h") {
      unit_ms = 3600 * 1000;
    } else if (unit == "d") {
      unit_ms = 24LL * 3600 * 1000;
    } else {
      return fail("unknown unit " + Quote(unit) + ", " + kUnits);
    }
    any_unit = any_unit || !unit.empty();
    long long part = 0;
    if (__builtin_mul_overflow(whole, unit_ms, &part)) {
      return fail("too large");
    }
    long long frac_ms_scaled = frac * unit_ms;  // frac < 1e9, unit_ms <= 8.64e7: fits
    if (frac_ms_scaled % frac_scale != 0) {
      return fail("finer than a millisecond");
    }
    if (__builtin_add_overflow(part, frac_ms_scaled / frac_scale, &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return fail("too large");
    }
  }
  return std::chrono::milliseconds(total);
}

}  // namespace

Unexpected KeyError(const std::string& source, const Entry& entry, const std::string& key,
                    const std::string& what) {
  std::string where = entry.line > 0 ? source + " line " + std::to_string(entry.line) : source;
  return Unexpected(ErrorCode::kInvalidArgument, where + ": key '" + key + "': " + what);
}

Expected<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  auto d = DurationOrWhy(text);
  if (!d.ok()) {
    return Unexpected(ErrorCode::kParse,
                      "invalid duration " + Quote(text) + ": " + d.error().message);
  }
  return d;
}

Expected<bool> ParseBool(const std::string& text) {
  std::string t = text::AsciiLower(text);
  if (t == "true" || t == "yes" || t == "on" || t == "1") {
    return true;
  }
  if (t == "false" || t == "no" || t == "off" || t == "0") {
    return false;
  }
  return Unexpected(ErrorCode::kParse, "invalid boolean " + Quote(text) +
                                           ": expected true or false (also yes/no, on/off, 1/0)");
}

std::string DescribeSchema(const Schema& schema) {
  std::string out;
  for (const KeySpec& spec : schema) {
    out += "# " + spec.key + " (" + TypeName(spec.type);
    if (spec.required) {
      out += ", required";
    }
    if (spec.repeated) {
      out += ", may repeat";
    }
    out += "): " + (spec.help.empty() ? std::string("no description") : spec.help) + "\n";
    out += "#   " + Expectation(spec) + "\n";
    if (spec.default_value) {
      out += "#" + spec.key + " = " + *spec.default_value + "\n";
    } else {
      out += "#" + spec.key + " =\n";
    }
  }
  return out;
}

const KeySpec& Config::Spec(const std::string& key) const {
  const KeySpec* spec = Find(*schema_, key);
  if (spec == nullptr) {
    Die("key '" + key + "' is not in the schema of " + source_);
  }
  return *spec;
}

namespace {

const Entry* Last(const std::map<std::string, std::vector<Entry>>& values, const std::string& key) {
  auto it = values.find(key);
  if (it == values.end() || it->second.empty()) {
    return nullptr;
  }
  return &it->second.back();
}

void RequireType(const KeySpec& spec, Type type, const char* getter) {
  if (spec.type != type) {
    Die(std::string(getter) + "('" + spec.key + "') but the schema declares it as " +
        TypeName(spec.type));
  }
}

}  // namespace

std::optional<std::string> Config::GetString(const std::string& key) const {
  Spec(key);
  const Entry* e = Last(values_, key);
  return e ? std::optional<std::string>(e->value) : std::nullopt;
}

std::string Config::GetStringOr(const std::string& key, const std::string& fallback) const {
  return GetString(key).value_or(fallback);
}

std::optional<long long> Config::GetInt(const std::string& key) const {
  RequireType(Spec(key), Type::kInt, "GetInt");
  const Entry* e = Last(values_, key);
  if (e == nullptr) {
    return std::nullopt;
  }
  auto v = ParseInt(e->value);
  return v.ok() ? std::optional<long long>(*v) : std::nullopt;
}

std::optional<bool> Config::GetBool(const std::string& key) const {
  RequireType(Spec(key), Type::kBool, "GetBool");
  const Entry* e = Last(values_, key);
  if (e == nullptr) {
    return std::nullopt;
  }
  auto v = ParseBool(e->value);
  return v.ok() ? std::optional<bool>(*v) : std::nullopt;
}

std::optional<std::chrono::milliseconds> Config::GetDuration(const std::string& key) const {
  RequireType(Spec(key), Type::kDuration, "GetDuration");
  const Entry* e = Last(values_, key);
  if (e == nullptr) {
    return std::nullopt;
  }
  auto v = ParseDuration(e->value);
  return v.ok() ? std::optional<std::chrono::milliseconds>(*v) : std::nullopt;
}

std::optional<net::IpAddress> Config::GetIpAddress(const std::string& key) const {
  RequireType(Spec(key), Type::kIpAddress, "GetIpAddress");
  const Entry* e = Last(values_, key);
  if (e == nullptr) {
    return std::nullopt;
  }
  auto v = net::IpAddress::Parse(e->value);
  return v.ok() ? std::optional<net::IpAddress>(*v) : std::nullopt;
}

std::optional<net::Prefix> Config::GetPrefix(const std::string& key) const {
  RequireType(Spec(key), Type::kPrefix, "GetPrefix");
  const Entry* e = Last(values_, key);
  if (e == nullptr) {
    return std::nullopt;
  }
  auto v = net::Prefix::Parse(e->value);
  return v.ok() ? std::optional<net::Prefix>(*v) : std::nullopt;
}

std::vector<Entry> Config::GetAll(const std::string& key) const {
  Spec(key);
  auto it = values_.find(key);
  return it == values_.end() ? std::vector<Entry>{} : it->second;
}

bool Config::Has(const std::string& key) const {
  Spec(key);
  return Last(values_, key) != nullptr;
}

}  // namespace bnfc::config
