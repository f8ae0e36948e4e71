#include "source_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>

#include "bnfc/fs.h"
#include "bnfc/text.h"
#include "facts.h"

namespace bnfc::vsphere {

namespace {

using text::Trim;

Unexpected Invalid(std::string what) {
  return Unexpected(ErrorCode::kInvalidArgument, std::move(what));
}

// A source name appears in reports, metrics labels and log lines.
Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return Invalid("must be 1 to 64 characters");
  }
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Invalid(text::QuoteUntrusted(name, 64) +
                     " may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return OkStatus();
}

}  // namespace

const char* ScopeKindName(ScopeKind k) {
  switch (k) {
    case ScopeKind::kAll:
      return "all";
    case ScopeKind::kHosts:
      return "hosts";
    case ScopeKind::kCluster:
      return "cluster";
    case ScopeKind::kDatacenter:
      return "datacenter";
  }
  return "?";
}

Expected<Scope> ParseScope(const std::string& text) {
  Scope s;
  const std::string t = Trim(text);
  if (t == "all") {
    return s;
  }
  const size_t colon = t.find(':');
  if (colon == std::string::npos) {
    return Invalid("expected 'all', 'hosts: A, B', 'cluster: NAME' or 'datacenter: NAME', got " +
                   text::QuoteUntrusted(t, 80));
  }
  const std::string kind = Trim(t.substr(0, colon));
  const std::string rest = Trim(t.substr(colon + 1));
  if (kind == "hosts") {
    s.kind = ScopeKind::kHosts;
    size_t start = 0;
    while (start <= rest.size()) {
      size_t comma = rest.find(',', start);
      std::string h = text::AsciiLower(
          Trim(rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
      if (h.empty()) {
        return Invalid("'hosts:' lists an empty host name; separate names with ', '");
      }
      s.hosts.push_back(h);
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
    return s;
  }
  if (kind == "cluster" || kind == "datacenter") {
    s.kind = kind == "cluster" ? ScopeKind::kCluster : ScopeKind::kDatacenter;
    if (rest.empty()) {
      return Invalid("'" + kind + ":' needs a name");
    }
    s.name = rest;
    return s;
  }
  return Invalid("unknown scope " + text::QuoteUntrusted(kind, 40) +
                 "; expected all, hosts, cluster or datacenter");
}

Expected<Url> ParseHttpsUrl(const std::string& text) {
  const std::string prefix = "https://";
  if (text.compare(0, prefix.size(), prefix) != 0) {
    return Invalid("must start with https:// (credentials are never sent in clear text), got " +
                   text::QuoteUntrusted(text, 80));
  }
  std::string rest = text.substr(prefix.size());
  Url u;
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/sdk" : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    return Invalid("must not carry credentials; use the credentials file");
  }
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string::npos) {
      return Invalid("unterminated '[' in " + text::QuoteUntrusted(text, 80));
    }
    u.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return Invalid("expected ':PORT' after ']' in " + text::QuoteUntrusted(text, 80));
      }
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = authority.substr(colon + 1);
    }
  }
  if (u.host.empty()) {
    return Invalid("has no host: " + text::QuoteUntrusted(text, 80));
  }
  if (!port_text.empty() || authority.back() == ':') {
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string::npos) {
      return Invalid("port must be a number from 1 to 65535 in " + text::QuoteUntrusted(text, 80));
    }
    u.port = std::stoi(port_text);
    if (u.port < 1 || u.port > 65535) {
      return Invalid("port must be a number from 1 to 65535 in " + text::QuoteUntrusted(text, 80));
    }
  }
  return u;
}

Expected<std::string> NormalizeThumbprint(const std::string& text) {
  std::string t = text::AsciiLower(Trim(text));
  // 32 bytes: 64 hex digits and 31 colons.
  bool ok = t.size() == 95;
  for (size_t i = 0; ok && i < t.size(); ++i) {
    ok = (i % 3 == 2) ? t[i] == ':' : std::isxdigit(static_cast<unsigned char>(t[i])) != 0;
  }
  if (!ok) {
    return Invalid(
        "expected the SHA-256 of the server's certificate as 32 colon-separated hex bytes "
        "(AA:BB:...; a 20-byte SHA-1 thumbprint is not accepted), got " +
        text::QuoteUntrusted(text, 100));
  }
  return t;
}

const config::Schema& SourceSchema() {
  using config::Type;
  using K = config::KeySpec;
  static const config::Schema schema = {
      K::Make("name", Type::kString, "name of this source in reports").Required(),
      K::Make("url", Type::kString, "https://HOST[:PORT]/sdk of the vCenter or ESXi host")
          .Required(),
      K::Make("credentials", Type::kPath,
              "key=value file with username and password (mode 0600 or 0400)")
          .Required(),
      K::Make("thumbprint", Type::kString, "SHA-256 of the server's certificate, AA:BB:..."),
      K::Make("ca_file", Type::kPath, "PEM file of the CA(s) that signed the server's certificate"),
      K::Make("insecure", Type::kBool, "skip TLS verification (discouraged; shown in the report)")
          .Default("false"),
      K::Make("scope", Type::kString, "all | hosts: A, B | cluster: NAME | datacenter: NAME")
          .Default("all"),
      K::Make("tag_policy", Type::kEnum, "observe (read only) or ensure (set the tag)")
          .Choices({"observe", "ensure"})
          .Default("observe"),
      K::Make("timeout", Type::kDuration, "time limit of one request").Default("30s"),
      // The host agent's words (hostd.conf): the same selection means the same vmknic.
      K::Make("backup_vmk", Type::kString,
              "backup vmknic of every host in scope by name, e.g. vmk2 (required by ensure)"),
      K::Make("backup_portgroup", Type::kString,
              "backup vmknic of every host in scope by portgroup name (or backup_vmk)"),
  };
  return schema;
}

const config::Schema& CredentialsSchema() {
  using config::Type;
  using K = config::KeySpec;
  static const config::Schema schema = {
      K::Make("username", Type::kString, "vSphere user").Required(),
      K::Make("password", Type::kString, "its password").Required(),
  };
  return schema;
}

Expected<SourceConfig> SourceConfigFromText(const std::string& text, const std::string& source) {
  auto parsed = config::ParseText(text, source, SourceSchema());
  if (!parsed) {
    return parsed.error();
  }
  const config::Config& c = *parsed;
  auto entry = [&](const char* key) {
    auto all = c.GetAll(key);
    return all.empty() ? config::Entry{} : all.back();
  };
  SourceConfig out;
  out.file = source;
  out.name = *c.GetString("name");
  if (auto s = ValidateName(out.name); !s) {
    return config::KeyError(source, entry("name"), "name", s.error().message);
  }
  out.url_text = *c.GetString("url");
  auto url = ParseHttpsUrl(out.url_text);
  if (!url) {
    return config::KeyError(source, entry("url"), "url", url.error().message);
  }
  out.url = *url;
  out.credentials_file = *c.GetString("credentials");
  out.insecure = *c.GetBool("insecure");
  const bool has_tp = c.Has("thumbprint");
  const bool has_ca = c.Has("ca_file");
  if (has_tp && has_ca) {
    return config::KeyError(source, entry("ca_file"), "ca_file",
                            "give either thumbprint or ca_file, not both");
  }
  if (out.insecure && (has_tp || has_ca)) {
    return config::KeyError(source, entry("insecure"), "insecure",
                            "insecure = true contradicts the configured " +
                                std::string(has_tp ? "thumbprint" : "ca_file"));
  }
  if (!has_tp && !has_ca && !out.insecure) {
    return Invalid(source +
                   ": neither thumbprint nor ca_file is set: the server's certificate must be "
                   "verified before credentials are sent (docs/vsphere-source.md shows how to "
                   "read the thumbprint)");
  }
  if (has_tp) {
    auto tp = NormalizeThumbprint(*c.GetString("thumbprint"));
    if (!tp) {
      return config::KeyError(source, entry("thumbprint"), "thumbprint", tp.error().message);
    }
    out.thumbprint = *tp;
  }
  if (has_ca) {
    out.ca_file = *c.GetString("ca_file");
  }
  auto scope = ParseScope(*c.GetString("scope"));
  if (!scope) {
    return config::KeyError(source, entry("scope"), "scope", scope.error().message);
  }
  out.scope = *scope;
  out.tag_policy = *c.GetString("tag_policy");
  if (c.Has("backup_vmk") && c.Has("backup_portgroup")) {
    return config::KeyError(source, entry("backup_portgroup"), "backup_portgroup",
                            "give either backup_vmk or backup_portgroup, not both");
  }
  if (c.Has("backup_vmk")) {
    const std::string v = Trim(*c.GetString("backup_vmk"));
    if (DeviceOfSelectedVnic(v) != v || v.size() > 5) {
      return config::KeyError(
          source, entry("backup_vmk"), "backup_vmk",
          "expected a vmknic name vmk0..vmk99, got " + text::QuoteUntrusted(v, 32));
    }
    out.backup_vmknic = v;
  } else if (c.Has("backup_portgroup")) {
    const std::string pg = Trim(*c.GetString("backup_portgroup"));
    if (pg.empty()) {
      return config::KeyError(source, entry("backup_portgroup"), "backup_portgroup",
                              "must name a portgroup");
    }
    out.backup_vmknic = "portgroup: " + pg;
  }
  if (out.tag_policy == "ensure" && out.backup_vmknic.empty()) {
    return config::KeyError(source, entry("tag_policy"), "tag_policy",
                            "ensure needs the backup vmknic: set backup_vmk (e.g. vmk2) or "
                            "backup_portgroup, the vmknic that must carry vSphereBackupNFC");
  }
  out.timeout = *c.GetDuration("timeout");
  if (out.timeout.count() <= 0) {
    return config::KeyError(source, entry("timeout"), "timeout", "must be longer than 0s");
  }
  return out;
}

Expected<SourceConfig> LoadSourceConfig(const std::string& path) {
  auto text = fs::ReadFile(path, 1 << 20);
  if (!text) {
    return text.error();
  }
  return SourceConfigFromText(*text, path);
}

Expected<Credentials> CredentialsFromText(const std::string& text, const std::string& source) {
  auto parsed = config::ParseText(text, source, CredentialsSchema());
  if (!parsed) {
    return parsed.error();
  }
  Credentials out;
  out.username = *parsed->GetString("username");
  out.password = *parsed->GetString("password");
  for (const char* key : {"username", "password"}) {
    if ((key[0] == 'u' ? out.username : out.password).empty()) {
      return config::KeyError(source, parsed->GetAll(key).back(), key, "must not be empty");
    }
  }
  return out;
}

Expected<Credentials> LoadCredentials(const std::string& path, uid_t service_uid) {
  // O_NOFOLLOW + fstat: the checks and the read concern the same file, never a symlink's target.
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return Unexpected(errno == ELOOP ? ErrorCode::kPermission : ErrorCode::kIo,
                      path + ": cannot open the credentials file" +
                          (errno == ELOOP ? std::string(": it is a symbolic link") : ""));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Unexpected(ErrorCode::kIo, path + ": cannot stat the credentials file");
  }
  auto refuse = [&](const std::string& why) {
    ::close(fd);
    return Unexpected(ErrorCode::kPermission, path + ": credentials file refused: " + why);
  };
  if (!S_ISREG(st.st_mode)) {
    return refuse("not a regular file");
  }
  const unsigned mode = st.st_mode & 07777;
  if (mode != 0600 && mode != 0400) {
    char m[8];
    std::snprintf(m, sizeof m, "%04o", mode);
    return refuse(std::string("mode ") + m + ", expected 0600 or 0400 (chmod 600 " + path + ")");
  }
  if (st.st_uid != service_uid) {
    return refuse("owned by uid " + std::to_string(st.st_uid) + ", not by the service's uid " +
                  std::to_string(service_uid));
  }
  if (st.st_size > (64 << 10)) {
    return refuse("larger than 64 KiB");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  ssize_t n = text.empty() ? 0 : ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n < 0 || static_cast<size_t>(n) != text.size()) {
    return Unexpected(ErrorCode::kIo, path + ": short read of the credentials file");
  }
  return CredentialsFromText(text, path);
}

}  // namespace bnfc::vsphere
