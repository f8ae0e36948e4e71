#include "esxsim/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>

#include "bnfc/fs.h"

namespace esxsim {

using bnfc::ErrorCode;
using bnfc::Expected;
using bnfc::Status;
using bnfc::Unexpected;

namespace {

// Reads typed fields of one JSON object; the first problem is kept with its JSON path.
class Reader {
 public:
  Reader(const Json& obj, std::string path, std::string* err)
      : obj_(obj), path_(std::move(path)), err_(err) {
    if (err_->empty() && !obj_.is_object()) {
      *err_ = path_ + ": expected an object";
    }
  }
  bool Has(const char* key) const { return obj_.is_object() && obj_.contains(key); }
  void Str(const char* key, std::string* out) {
    if (!Ok(key)) {
      return;
    }
    const Json& v = obj_.at(key);
    if (v.is_string()) {
      *out = v.get<std::string>();
    } else if (v.is_number_integer()) {  // "update": 3 is as good as "3"
      *out = std::to_string(v.get<int64_t>());
    } else {
      Fail(key, "a string");
    }
  }
  void Int(const char* key, int64_t* out) {
    if (!Ok(key)) {
      return;
    }
    const Json& v = obj_.at(key);
    if (v.is_number_integer()) {
      *out = v.get<int64_t>();
    } else {
      Fail(key, "an integer");
    }
  }
  void Bool(const char* key, bool* out) {
    if (!Ok(key)) {
      return;
    }
    const Json& v = obj_.at(key);
    if (v.is_boolean()) {
      *out = v.get<bool>();
    } else {
      Fail(key, "true or false");
    }
  }
  void StrList(const char* key, std::vector<std::string>* out) {
    if (!Ok(key)) {
      return;
    }
    const Json& v = obj_.at(key);
    if (!v.is_array()) {
      Fail(key, "an array of strings");
      return;
    }
    out->clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) {
        *err_ = path_ + "." + key + "[" + std::to_string(i) + "]: expected a string";
        return;
      }
      out->push_back(v[i].get<std::string>());
    }
  }
  void StrMap(const char* key, std::map<std::string, std::string>* out) {
    if (!Ok(key)) {
      return;
    }
    const Json& v = obj_.at(key);
    if (!v.is_object()) {
      Fail(key, "an object of strings");
      return;
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it.value().is_string()) {
        *err_ = path_ + "." + key + "." + it.key() + ": expected a string";
        return;
      }
      (*out)[it.key()] = it.value().get<std::string>();
    }
  }
  // Calls fn(element, element_path) for each element of an array field.
  template <typename Fn>
  void Array(const char* key, Fn fn) {
    if (!Ok(key)) {
      return;
    }
    const Json& v = obj_.at(key);
    if (!v.is_array()) {
      Fail(key, "an array");
      return;
    }
    for (size_t i = 0; i < v.size() && err_->empty(); ++i) {
      fn(v[i], path_ + "." + key + "[" + std::to_string(i) + "]");
    }
  }
  const Json* Object(const char* key) {
    if (!Ok(key)) {
      return nullptr;
    }
    const Json& v = obj_.at(key);
    if (!v.is_object()) {
      Fail(key, "an object");
      return nullptr;
    }
    return &v;
  }
  std::string Sub(const char* key) const { return path_ + "." + key; }

 private:
  bool Ok(const char* key) const {
    return err_->empty() && obj_.is_object() && obj_.contains(key) && !obj_.at(key).is_null();
  }
  void Fail(const char* key, const char* what) {
    *err_ = path_ + "." + key + ": expected " + what + ", got " + obj_.at(key).type_name();
  }
  const Json& obj_;
  std::string path_;
  std::string* err_;
};

std::string Broadcast(const std::string& addr, const std::string& mask) {
  unsigned a[4];
  unsigned m[4];
  if (sscanf(addr.c_str(), "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]) != 4 ||
      sscanf(mask.c_str(), "%u.%u.%u.%u", &m[0], &m[1], &m[2], &m[3]) != 4) {
    return "N/A";
  }
  std::ostringstream os;
  for (int i = 0; i < 4; ++i) {
    os << (i ? "." : "") << ((a[i] & m[i]) | (~m[i] & 255u));
  }
  return os.str();
}

// "50 1e 5b ad e3 b4 af 25-18 f3 1c 4c fa 98 3d bb" style, derived from the VDS name (FNV-1a).
std::string VdsUuid(const std::string& name) {
  uint64_t h[2] = {1469598103934665603ull, 1099511628211ull * 31};
  for (unsigned char c : name) {
    h[0] = (h[0] ^ c) * 1099511628211ull;
    h[1] = (h[1] ^ c) * 1099511628211ull;
  }
  std::string out;
  char b[4];
  for (int i = 0; i < 16; ++i) {
    std::snprintf(b, sizeof b, "%02x", static_cast<unsigned>((h[i / 8] >> (8 * (i % 8))) & 255));
    out += (i == 0 ? "" : i == 8 ? "-" : " ") + std::string(b);
  }
  return out;
}

void ReadVmknic(const Json& j, const std::string& path, size_t index, std::string* err, Vmknic* v) {
  Reader r(j, path, err);
  r.Str("name", &v->name);
  if (err->empty() && v->name.empty()) {
    *err = path + ".name: expected a vmknic name like vmk0";
  }
  r.Str("portgroup", &v->portgroup);
  r.Str("portset", &v->portset);
  r.Str("vswitch", &v->portset);  // the lab's name for it; wins over "portset"
  r.Str("vds", &v->vds);
  r.Int("vlan", &v->vlan);
  if (err->empty() && (v->vlan < 0 || v->vlan > 4095)) {
    *err = path + ".vlan: expected a VLAN ID 0..4095, got " + std::to_string(v->vlan);
  }
  r.Str("netstack", &v->netstack);
  r.Str("mac", &v->mac);
  r.Int("mtu", &v->mtu);
  r.Bool("enabled", &v->enabled);
  r.StrList("tags", &v->tags);
  r.Str("vds_name", &v->vds_name);
  if (!v->vds.empty()) {
    v->vds_name = v->vds;
  } else if (!v->vds_name.empty() && v->vds_name != "N/A") {
    v->vds = v->vds_name;  // older files named the VDS only through the interface-list field
  }
  r.Str("vds_uuid", &v->vds_uuid);
  r.Str("vds_port", &v->vds_port);
  r.Int("vds_connection", &v->vds_connection);
  r.Str("opaque_network_id", &v->opaque_network_id);
  r.Str("opaque_network_type", &v->opaque_network_type);
  r.Str("external_id", &v->external_id);
  r.Int("tso_mss", &v->tso_mss);
  r.Int("rxdispqueue_size", &v->rxdispqueue_size);
  v->port_id = 67108879 + static_cast<int64_t>(index);
  r.Int("port_id", &v->port_id);
  r.Int("urpf", &v->urpf);
  if (!v->vds.empty()) {
    // A VDS port has a switch UUID, a port number and a connection id [REAL shape, values ours].
    if (v->vds_uuid == "N/A") {
      v->vds_uuid = VdsUuid(v->vds);
    }
    if (v->vds_port == "N/A") {
      v->vds_port = std::to_string(16 + index);
    }
    if (v->vds_connection == -1) {
      v->vds_connection = 1123658315 + static_cast<int64_t>(index);
    }
  }
  if (const Json* ip4 = r.Object("ipv4")) {
    Reader q(*ip4, r.Sub("ipv4"), err);
    q.Str("address", &v->ipv4.address);
    q.Str("netmask", &v->ipv4.netmask);
    q.Str("gateway", &v->ipv4.gateway);
    q.Str("type", &v->ipv4.type);
    q.Bool("dhcp_dns", &v->ipv4.dhcp_dns);
    v->ipv4.broadcast = Broadcast(v->ipv4.address, v->ipv4.netmask);
    q.Str("broadcast", &v->ipv4.broadcast);
  }
  r.Array("ipv6", [&](const Json& e, const std::string& p) {
    Ipv6Address a;
    if (e.is_string()) {  // "fe80::1/64"
      const std::string s = e.get<std::string>();
      const size_t slash = s.find('/');
      a.address = s.substr(0, slash);
      if (slash != std::string::npos) {
        a.prefix = std::atoi(s.c_str() + slash + 1);
      }
    } else {
      Reader q(e, p, err);
      q.Str("address", &a.address);
      q.Int("prefix", &a.prefix);
      q.Str("type", &a.type);
      q.Str("status", &a.status);
    }
    v->ipv6.push_back(a);
  });
}

bool VmknicSays(const Json& doc, size_t index, const char* key) {
  const Json* list = doc.is_object() && doc.contains("vmknics") ? &doc.at("vmknics") : nullptr;
  return list != nullptr && list->is_array() && index < list->size() &&
         (*list)[index].is_object() && (*list)[index].contains(key) &&
         !(*list)[index].at(key).is_null();
}

// The standard portgroups: the `portgroups` list, then those of the vmknics not on a VDS (a
// vmknic without a portgroup name has none). A portgroup has one vSwitch and one VLAN: a
// vmknic or entry that says otherwise is an error naming both places.
void BuildPortgroups(const Json& doc, State* st, std::string* err) {
  struct Origin {
    std::string path;
    bool from_vmknic = false;
  };
  std::map<std::string, Origin> origin;
  Reader r(doc, "state", err);
  r.Array("portgroups", [&](const Json& e, const std::string& p) {
    Portgroup pg;
    Reader q(e, p, err);
    q.Str("name", &pg.name);
    q.Str("vswitch", &pg.vswitch);
    q.Int("vlan", &pg.vlan);
    q.Int("active_clients", &pg.active_clients);
    if (!err->empty()) {
      return;
    }
    if (pg.name.empty()) {
      *err = p + ".name: expected a portgroup name";
    } else if (pg.vlan < 0 || pg.vlan > 4095) {
      *err = p + ".vlan: expected a VLAN ID 0..4095, got " + std::to_string(pg.vlan);
    } else if (origin.count(pg.name)) {
      *err = p + ".name: portgroup '" + pg.name + "' is already listed at " + origin[pg.name].path;
    } else {
      origin[pg.name] = Origin{p, false};
      st->portgroups.push_back(pg);
    }
  });
  for (size_t i = 0; i < st->vmknics.size() && err->empty(); ++i) {
    Vmknic& v = st->vmknics[i];
    if (!v.vds.empty() || v.portgroup.empty()) {
      continue;
    }
    const std::string p = "state.vmknics[" + std::to_string(i) + "]";
    auto it = std::find_if(st->portgroups.begin(), st->portgroups.end(),
                           [&](const Portgroup& g) { return g.name == v.portgroup; });
    if (it == st->portgroups.end()) {
      origin[v.portgroup] = Origin{p, true};
      st->portgroups.push_back(Portgroup{v.portgroup, v.portset, v.vlan, -1});
      continue;
    }
    // An entry of `portgroups` gives its vSwitch and VLAN to the vmknics that do not state them.
    const Origin& o = origin[v.portgroup];
    const bool says_switch = VmknicSays(doc, i, "vswitch") || VmknicSays(doc, i, "portset");
    if (!o.from_vmknic && !says_switch) {
      v.portset = it->vswitch;
    }
    if (!o.from_vmknic && !VmknicSays(doc, i, "vlan")) {
      v.vlan = it->vlan;
    }
    if (it->vswitch != v.portset) {
      *err = p + ".vswitch: portgroup '" + v.portgroup + "' is on " + it->vswitch + " at " +
             o.path + ", not " + v.portset + " (a portgroup has one vSwitch)";
    } else if (it->vlan != v.vlan) {
      *err = p + ".vlan: portgroup '" + v.portgroup + "' has VLAN " + std::to_string(it->vlan) +
             " at " + o.path + ", not " + std::to_string(v.vlan) + " (a portgroup has one VLAN)";
    }
  }
  for (Portgroup& g : st->portgroups) {
    if (g.active_clients < 0) {
      g.active_clients =
          std::count_if(st->vmknics.begin(), st->vmknics.end(), [&](const Vmknic& v) {
            return v.vds.empty() && v.portgroup == g.name && v.portset == g.vswitch;
          });
    }
  }
  std::stable_sort(st->portgroups.begin(), st->portgroups.end(),
                   [](const Portgroup& a, const Portgroup& b) { return a.name < b.name; });
}

}  // namespace

const Vmknic* State::FindVmknic(const std::string& name) const {
  for (const Vmknic& v : vmknics) {
    if (v.name == name) {
      return &v;
    }
  }
  return nullptr;
}

Expected<State> StateFromJson(const Json& doc) {
  State st;
  std::string err;
  Reader r(doc, "state", &err);
  if (const Json* h = r.Object("host")) {
    Reader q(*h, "state.host", &err);
    q.Str("hostname", &st.host.hostname);
    q.Str("product", &st.host.product);
    q.Str("version", &st.host.version);
    q.Str("build", &st.host.build);
    q.Str("update", &st.host.update);
    q.Str("patch", &st.host.patch);
    q.Str("acceptance_level", &st.host.acceptance_level);
  }
  r.Bool("live", &st.live);
  size_t index = 0;
  r.Array("vmknics", [&](const Json& e, const std::string& p) {
    Vmknic v;
    ReadVmknic(e, p, index++, &err, &v);
    st.vmknics.push_back(std::move(v));
  });
  if (err.empty()) {
    BuildPortgroups(doc, &st, &err);
  }
  st.netstacks.push_back(Netstack{"defaultTcpipStack", "defaultTcpipStack", 4660});
  if (r.Has("netstacks")) {
    st.netstacks.clear();
  }
  r.Array("netstacks", [&](const Json& e, const std::string& p) {
    Netstack n;
    if (e.is_string()) {
      n.key = n.name = e.get<std::string>();
    } else {
      Reader q(e, p, &err);
      q.Str("key", &n.key);
      n.name = n.key;
      q.Str("name", &n.name);
      q.Int("state", &n.state);
    }
    st.netstacks.push_back(n);
  });
  r.Array("neighbors", [&](const Json& e, const std::string& p) {
    Neighbor n;
    Reader q(e, p, &err);
    q.Str("ip", &n.ip);
    q.Str("mac", &n.mac);
    q.Str("vmknic", &n.vmknic);
    q.Int("expiry_s", &n.expiry_s);
    q.Str("type", &n.type);
    q.Str("state", &n.state);
    q.Str("netstack", &n.netstack);
    st.neighbors.push_back(n);
  });
  r.Array("routes", [&](const Json& e, const std::string& p) {
    Route rt;
    Reader q(e, p, &err);
    q.Str("network", &rt.network);
    q.Str("netmask", &rt.netmask);
    q.Str("gateway", &rt.gateway);
    q.Str("interface", &rt.interface);
    q.Str("source", &rt.source);
    q.Str("netstack", &rt.netstack);
    st.routes.push_back(rt);
  });
  r.Array("firewall_rulesets", [&](const Json& e, const std::string& p) {
    Ruleset rs;
    Reader q(e, p, &err);
    q.Str("name", &rs.name);
    q.Bool("enabled", &rs.enabled);
    q.Bool("enable_disable_configurable", &rs.enable_disable_configurable);
    q.Bool("allowed_ip_configurable", &rs.allowed_ip_configurable);
    st.firewall_rulesets.push_back(rs);
  });
  r.Array("vibs", [&](const Json& e, const std::string& p) {
    Vib v;
    Reader q(e, p, &err);
    q.Str("name", &v.name);
    q.Str("version", &v.version);
    q.Str("vendor", &v.vendor);
    q.Str("acceptance_level", &v.acceptance_level);
    q.Str("install_date", &v.install_date);
    q.Str("platforms", &v.platforms);
    q.Str("source", &v.source);
    st.vibs.push_back(v);
  });
  r.Array("ping_targets", [&](const Json& e, const std::string& p) {
    PingTarget t;
    Reader q(e, p, &err);
    q.Str("ip", &t.ip);
    q.Str("vmknic", &t.vmknic);
    q.Int("ttl", &t.ttl);
    q.Int("path_mtu", &t.path_mtu);
    if (err.empty() && e.contains("rtt_ms")) {
      const Json& rtt = e.at("rtt_ms");
      if (!rtt.is_array()) {
        err = p + ".rtt_ms: expected an array of numbers";
      } else {
        for (const Json& x : rtt) {
          if (!x.is_number()) {
            err = p + ".rtt_ms: expected an array of numbers";
            break;
          }
          t.rtt_ms.push_back(x.get<double>());
        }
      }
    }
    st.ping_targets.push_back(t);
  });
  if (const Json* f = r.Object("faults")) {
    Reader q(*f, "state.faults", &err);
    q.StrMap("latency", &st.faults.latency);
    q.Bool("hostd_down", &st.faults.hostd_down);
    if (err.empty() && f->contains("fail_tag_add") && f->at("fail_tag_add").is_string()) {
      st.faults.fail_tag_add = true;
      st.faults.fail_tag_add_message = f->at("fail_tag_add").get<std::string>();
    } else {
      q.Bool("fail_tag_add", &st.faults.fail_tag_add);
    }
    q.StrMap("garble", &st.faults.garble);
  }
  if (const Json* o = r.Object("options")) {
    Reader q(*o, "state.options", &err);
    q.Bool("allow_multi_nfc_tag", &st.options.allow_multi_nfc_tag);
    q.Bool("tag_requires_default_netstack", &st.options.tag_requires_default_netstack);
    q.StrList("valid_tags", &st.options.valid_tags);
  }
  if (err.empty()) {
    for (const auto& kv : st.faults.latency) {
      auto ms = ParseDurationMs(kv.second);
      if (!ms.ok()) {
        err = "state.faults.latency." + kv.first + ": " + ms.error().message;
        break;
      }
    }
  }
  if (err.empty()) {
    for (const auto& kv : st.faults.garble) {
      if (kv.second != "truncate" && kv.second != "garbage") {
        err = "state.faults.garble." + kv.first + ": expected \"truncate\" or \"garbage\", got \"" +
              kv.second + "\"";
        break;
      }
    }
  }
  if (!err.empty()) {
    return Unexpected(ErrorCode::kParse, err);
  }
  return st;
}

Expected<State> LoadState(const std::string& path) {
  auto text = bnfc::fs::ReadFile(path);
  if (!text.ok()) {
    return Unexpected(text.error().code,
                      "cannot read state file " + path + ": " + text.error().message);
  }
  Json doc = Json::parse(*text, nullptr, false);
  if (doc.is_discarded()) {
    return Unexpected(ErrorCode::kParse, "state file " + path + " is not valid JSON");
  }
  auto st = StateFromJson(doc);
  if (!st.ok()) {
    return Unexpected(ErrorCode::kParse, "state file " + path + ": " + st.error().message);
  }
  return st;
}

Status UpdateState(const std::string& path,
                   const std::function<Status(Json& doc, const State& st)>& mutate) {
  const std::string lock_path = path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Unexpected(ErrorCode::kIo,
                      "cannot open lock file " + lock_path + ": " + std::strerror(errno));
  }
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      const int e = errno;
      ::close(fd);
      return Unexpected(ErrorCode::kIo, "cannot lock " + lock_path + ": " + std::strerror(e));
    }
  }
  Status result = [&]() -> Status {
    auto text = bnfc::fs::ReadFile(path);
    if (!text.ok()) {
      return Unexpected(text.error().code,
                        "cannot read state file " + path + ": " + text.error().message);
    }
    Json doc = Json::parse(*text, nullptr, false);
    if (doc.is_discarded()) {
      return Unexpected(ErrorCode::kParse, "state file " + path + " is not valid JSON");
    }
    auto st = StateFromJson(doc);
    if (!st.ok()) {
      return Unexpected(ErrorCode::kParse, "state file " + path + ": " + st.error().message);
    }
    Status m = mutate(doc, *st);
    if (!m.ok()) {
      return m;
    }
    return bnfc::fs::WriteFileAtomic(path, doc.dump(2) + "\n", 0644);
  }();
  ::close(fd);  // releases the lock
  return result;
}

Expected<int64_t> ParseDurationMs(const std::string& text) {
  size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (...) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "expected a duration like \"1.5s\" or \"200ms\", got \"" + text + "\"");
  }
  const std::string unit = text.substr(pos);
  double ms = 0;
  if (unit == "s" || unit.empty()) {
    ms = value * 1000.0;
  } else if (unit == "ms") {
    ms = value;
  } else {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "expected a duration like \"1.5s\" or \"200ms\", got \"" + text + "\"");
  }
  if (value < 0 || ms > 3600e3) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "duration \"" + text + "\" is outside 0s..3600s");
  }
  return static_cast<int64_t>(ms + 0.5);
}

bool Version::AtLeast(int ma, int mi, int up) const {
  if (major != ma) {
    return major > ma;
  }
  if (minor != mi) {
    return minor > mi;
  }
  return update >= up;
}

Version HostVersion(const HostInfo& h) {
  Version v;
  sscanf(h.version.c_str(), "%d.%d.%d", &v.major, &v.minor, &v.micro);
  v.update = std::atoi(h.update.c_str());
  return v;
}

}  // namespace esxsim
