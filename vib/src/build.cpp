#include "bnfc/vib/build.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <memory>
#include <set>

#include "bnfc/fs.h"
#include "bnfc/vib/ar.h"
#include "bnfc/vib/descriptor.h"
#include "bnfc/vib/digest.h"
#include "bnfc/vib/inspect.h"
#include "bnfc/vib/payload.h"
#include "bnfc/vib/xml.h"

namespace bnfc::vib {

using config::KeySpec;
using config::Type;

const config::Schema& ManifestSchema() {
  static const config::Schema kSchema = {
      KeySpec::Make("name", Type::kString, "VIB name, e.g. bnfc-hostd").Required(),
      KeySpec::Make("version", Type::kString, "VIB version X.Y.Z-R.S.T, e.g. 0.1.0-1").Required(),
      KeySpec::Make("vendor", Type::kString, "vendor (first part of the VIB ID)").Required(),
      KeySpec::Make("summary", Type::kString, "one-line summary").Required(),
      KeySpec::Make("description", Type::kString, "longer description").Required(),
      KeySpec::Make("release_date", Type::kString,
                    "release date YYYY-MM-DDTHH:MM:SS (fixed, so builds are reproducible)")
          .Required(),
      KeySpec::Make("payload_name", Type::kString,
                    "payload member name, 1-15 chars [a-z0-9_-]; its first 8 chars name the "
                    "tardisk and must be unique on the host")
          .Required(),
      KeySpec::Make("type", Type::kEnum, "VIB type")
          .Choices({"bootbank", "locker"})
          .Default("bootbank"),
      KeySpec::Make("acceptance_level", Type::kEnum,
                    "acceptance level; anything above community needs a signed VIB")
          .Choices({"community", "partner", "accepted", "certified"})
          .Default("community"),
      KeySpec::Make("url", Type::kString, "website URL (descriptor <urls>)"),
      KeySpec::Make("live_install", Type::kBool, "live install allowed").Default("true"),
      KeySpec::Make("live_remove", Type::kBool, "live remove allowed").Default("true"),
      KeySpec::Make("maintenance_mode", Type::kBool, "install needs maintenance mode")
          .Default("false"),
      KeySpec::Make("stateless_ready", Type::kBool, "usable with Auto Deploy").Default("true"),
      KeySpec::Make("sticky", Type::kString,
                    "payload file shipped writable with the sticky bit so edits persist")
          .Repeated(),
      KeySpec::Make("platform", Type::kString,
                    "pin the VIB to an ESXi version pattern, e.g. 8.* (system-requires)")
          .Repeated(),
  };
  return kSchema;
}

namespace {

bool ValidPayloadName(const std::string& s) {
  if (s.empty() || s.size() > 15) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

std::string NormalisePath(std::string p) {
  while (!p.empty() && p[0] == '/') {
    p.erase(0, 1);
  }
  return p;
}

}  // namespace

Expected<Manifest> ParseManifest(const std::string& text, const std::string& source) {
  auto c = config::ParseText(text, source, ManifestSchema());
  if (!c) {
    return c.error();
  }
  Manifest m;
  m.name = *c->GetString("name");
  m.version = *c->GetString("version");
  m.vendor = *c->GetString("vendor");
  m.summary = *c->GetString("summary");
  m.description = *c->GetString("description");
  m.release_date = *c->GetString("release_date");
  m.payload_name = *c->GetString("payload_name");
  m.type = *c->GetString("type");
  m.acceptance_level = *c->GetString("acceptance_level");
  m.url = c->GetStringOr("url", "");
  m.live_install = *c->GetBool("live_install");
  m.live_remove = *c->GetBool("live_remove");
  m.maintenance_mode = *c->GetBool("maintenance_mode");
  m.stateless_ready = *c->GetBool("stateless_ready");
  for (const auto& e : c->GetAll("sticky")) {
    m.sticky.push_back(NormalisePath(e.value));
  }
  for (const auto& e : c->GetAll("platform")) {
    m.platforms.push_back(e.value);
  }
  auto line_of = [&](const char* key) {
    auto all = c->GetAll(key);
    return all.empty() ? std::string() : ":" + std::to_string(all.back().line);
  };
  if (!ValidPayloadName(m.payload_name)) {
    return Unexpected(ErrorCode::kInvalidArgument, source + line_of("payload_name") +
                                                       ": key 'payload_name': expected 1-15 "
                                                       "characters of a-z 0-9 _ -, got '" +
                                                       m.payload_name + "'");
  }
  if (m.payload_name == "descriptor.xml" || m.payload_name == "sig.pkcs7") {
    return Unexpected(ErrorCode::kInvalidArgument, source + ": payload_name is reserved");
  }
  for (const char* key : {"name", "vendor"}) {
    std::string v = *c->GetString(key);
    if (v.find_first_of(" _/") != std::string::npos) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        source + line_of(key) + ": key '" + key +
                            "': expected no spaces, '_' or '/' (it is part of the VIB ID), got '" +
                            v + "'");
    }
  }
  Descriptor probe;
  probe.version = m.version;
  Problems version_problems;
  CheckDescriptor(probe, &version_problems);
  for (const auto& p : version_problems) {
    if (p.code == "DESCRIPTOR_BAD_VALUE" && p.detail.find("<version>") != std::string::npos) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        source + line_of("version") + ": key 'version': " + p.detail);
    }
  }
  return m;
}

Expected<std::vector<StagedFile>> StagePayload(const std::string& dir,
                                               const std::vector<std::string>& sticky) {
  std::vector<StagedFile> out;
  std::set<std::string> sticky_left(sticky.begin(), sticky.end());
  std::function<Status(const std::string&, const std::string&)> walk =
      [&](const std::string& abs, const std::string& rel) -> Status {
    std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(abs.c_str()), closedir);
    if (!d) {
      return Unexpected(ErrorCode::kNotFound, "cannot read payload folder '" + abs + "'");
    }
    std::vector<std::string> names;
    while (struct dirent* e = readdir(d.get())) {
      std::string n = e->d_name;
      if (n != "." && n != "..") {
        names.push_back(n);
      }
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      std::string a = abs + "/" + n;
      std::string r = rel.empty() ? n : rel + "/" + n;
      struct stat st {};
      if (lstat(a.c_str(), &st) != 0) {
        return Unexpected(ErrorCode::kIo, "cannot stat '" + a + "'");
      }
      if (S_ISDIR(st.st_mode)) {
        out.push_back({r + "/", true, 0755, {}});
        if (auto s = walk(a, r); !s) {
          return s;
        }
      } else if (S_ISREG(st.st_mode)) {
        auto data = fs::ReadFile(a, 1u << 30);
        if (!data) {
          return data.error();
        }
        unsigned mode = (st.st_mode & S_IXUSR) ? 0755 : 0644;
        if (sticky_left.erase(r)) {
          mode |= 01000 | 0200;
        }
        out.push_back({r, false, mode, std::move(*data)});
      } else {
        return Unexpected(ErrorCode::kInvalidArgument,
                          "payload entry '" + r +
                              "' is not a regular file or folder (symlinks and special files "
                              "are not shipped)");
      }
    }
    return OkStatus();
  };
  if (auto s = walk(dir, ""); !s) {
    return s.error();
  }
  if (!sticky_left.empty()) {
    return Unexpected(ErrorCode::kNotFound, "sticky file '" + *sticky_left.begin() +
                                                "' is not a regular file of the payload");
  }
  return out;
}

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;
using EntryPtr = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;

la_ssize_t AppendToString(struct archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

Error ArchiveFailure(struct archive* a, const std::string& what) {
  const char* s = archive_error_string(a);
  return Error(ErrorCode::kInternal, what + ": " + (s ? s : "libarchive error"));
}

// Seconds since the epoch for "YYYY-MM-DD..." (UTC); 1980-01-01 (the zip epoch) otherwise.
time_t DateToEpoch(const std::string& date) {
  struct tm tm {};
  if (date.size() >= 10 &&
      std::sscanf(date.c_str(), "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t >= 315532800) {
      return t;
    }
  }
  return 315532800;
}

}  // namespace

Expected<std::string> MakeTgz(const std::vector<StagedFile>& files) {
  std::string out;
  ArchivePtr a(archive_write_new(), archive_write_free);
  archive_write_set_format_gnutar(a.get());
  archive_write_add_filter_gzip(a.get());
  if (archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr) != ARCHIVE_OK ||
      archive_write_set_filter_option(a.get(), "gzip", "compression-level", "9") != ARCHIVE_OK) {
    return ArchiveFailure(a.get(), "gzip options");
  }
  archive_write_set_bytes_per_block(a.get(), 0);
  if (archive_write_open(a.get(), &out, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return ArchiveFailure(a.get(), "tar");
  }
  for (const auto& f : files) {
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), f.path.c_str());
    archive_entry_set_filetype(e.get(), f.directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e.get(), f.mode);
    archive_entry_set_size(e.get(), f.directory ? 0 : static_cast<la_int64_t>(f.data.size()));
    archive_entry_set_mtime(e.get(), 0, 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_uname(e.get(), "root");
    archive_entry_set_gname(e.get(), "root");
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) {
      return ArchiveFailure(a.get(), "tar entry '" + f.path + "'");
    }
    if (!f.directory && !f.data.empty() &&
        archive_write_data(a.get(), f.data.data(), f.data.size()) < 0) {
      return ArchiveFailure(a.get(), "tar data of '" + f.path + "'");
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return ArchiveFailure(a.get(), "tar close");
  }
  return out;
}

namespace {

XmlNode Checksum(const std::string& type, const std::string& process, const std::string& value) {
  XmlNode c = XmlNode::Element("checksum", value);
  c.SetAttr("checksum-type", type);
  if (!process.empty()) {
    c.SetAttr("verify-process", process);
  }
  return c;
}

XmlNode Platform(const std::string& version) {
  XmlNode p = XmlNode::Element("softwarePlatform");
  p.SetAttr("locale", "").SetAttr("version", version).SetAttr("productLineID", "embeddedEsx");
  return p;
}

const char* Bool(bool b) {
  return b ? "true" : "false";
}

}  // namespace

Expected<std::string> BuildVib(const Manifest& m, const std::vector<StagedFile>& files) {
  if (!ValidPayloadName(m.payload_name)) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "payload name '" + m.payload_name + "' must be 1-15 chars of a-z 0-9 _ -");
  }
  auto tgz = MakeTgz(files);
  if (!tgz) {
    return tgz.error();
  }
  auto raw = Gunzip(*tgz);
  if (!raw) {
    return raw.error();
  }
  XmlNode vib = XmlNode::Element("vib");
  vib.SetAttr("version", "5.0");
  vib.Add("type", m.type);
  vib.Add("name", m.name);
  vib.Add("version", m.version);
  vib.Add("vendor", m.vendor);
  vib.Add("summary", m.summary);
  vib.Add("description", m.description);
  vib.Add("release-date", m.release_date);
  XmlNode& urls = vib.Add(XmlNode::Element("urls"));
  if (!m.url.empty()) {
    urls.Add("url", m.url).SetAttr("key", "website");
  }
  XmlNode& rel = vib.Add(XmlNode::Element("relationships"));
  for (const char* r : {"depends", "conflicts", "replaces", "provides", "compatibleWith"}) {
    rel.Add(XmlNode::Element(r));
  }
  vib.Add(XmlNode::Element("software-tags"));
  XmlNode& sr = vib.Add(XmlNode::Element("system-requires"));
  sr.Add("maintenance-mode", Bool(m.maintenance_mode));
  for (const auto& p : m.platforms) {
    sr.Add(Platform(p));
  }
  XmlNode& fl = vib.Add(XmlNode::Element("file-list"));
  for (const auto& f : files) {
    if (!f.directory) {
      fl.Add("file", f.path);
    }
  }
  vib.Add("acceptance-level", m.acceptance_level);
  vib.Add("live-install-allowed", Bool(m.live_install));
  vib.Add("live-remove-allowed", Bool(m.live_remove));
  vib.Add("cimom-restart", "false");
  vib.Add("stateless-ready", Bool(m.stateless_ready));
  vib.Add("overlay", "false");
  XmlNode& payloads = vib.Add(XmlNode::Element("payloads"));
  XmlNode& p = payloads.Add(XmlNode::Element("payload"));
  p.SetAttr("name", m.payload_name)
      .SetAttr("type", "tgz")
      .SetAttr("size", std::to_string(tgz->size()));
  p.Add(Checksum("sha-256", "", Sha256Hex(*tgz)));
  p.Add(Checksum("sha-256", "gunzip", Sha256Hex(*raw)));
  p.Add(Checksum("sha-1", "gunzip", Sha1Hex(*raw)));
  return WriteAr({{"descriptor.xml", WriteXml(vib)}, {"sig.pkcs7", ""}, {m.payload_name, *tgz}});
}

Expected<std::string> WriteZip(const std::vector<std::pair<std::string, std::string>>& entries,
                               long long mtime) {
  std::string out;
  ArchivePtr a(archive_write_new(), archive_write_free);
  archive_write_set_format_zip(a.get());
  archive_write_set_bytes_per_block(a.get(), 0);
  if (archive_write_open(a.get(), &out, nullptr, AppendToString, nullptr) != ARCHIVE_OK) {
    return ArchiveFailure(a.get(), "zip");
  }
  for (const auto& [path, data] : entries) {
    EntryPtr e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(e.get(), static_cast<time_t>(mtime), 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) {
      return ArchiveFailure(a.get(), "zip entry '" + path + "'");
    }
    if (!data.empty() && archive_write_data(a.get(), data.data(), data.size()) < 0) {
      return ArchiveFailure(a.get(), "zip data of '" + path + "'");
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return ArchiveFailure(a.get(), "zip close");
  }
  return out;
}

Expected<std::string> BuildBundle(const std::vector<BundleInput>& vibs, const BundleOptions& opts) {
  if (vibs.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument, "a bundle needs at least one VIB");
  }
  struct Item {
    Descriptor d;
    std::string id, path, bulletin_id;
    const std::string* bytes;
  };
  std::vector<Item> items;
  std::set<std::string> ids;
  for (const auto& in : vibs) {
    VibReport r = InspectVib(in.bytes);
    if (HasErrors(r.problems) || !r.descriptor) {
      std::string first;
      for (const auto& p : r.problems) {
        if (p.severity == Severity::kError) {
          first = p.code + " (" + p.where + "): " + p.detail;
          break;
        }
      }
      return Unexpected(ErrorCode::kInvalidArgument, in.file_name + " does not verify: " + first);
    }
    Item it;
    it.d = std::move(*r.descriptor);
    it.id = VibId(it.d);
    it.path = "vib20/" + it.d.name + "/" + it.id + ".vib";
    it.bulletin_id = it.d.name + "-" + it.d.version;
    it.bytes = &in.bytes;
    if (!ids.insert(it.id).second) {
      return Unexpected(ErrorCode::kInvalidArgument, "VIB " + it.id + " is given twice");
    }
    items.push_back(std::move(it));
  }
  const Descriptor& first = items[0].d;
  std::string vendor_code = opts.vendor_code.empty() ? first.vendor : opts.vendor_code;
  std::string vendor_name = opts.vendor_name.empty() ? first.vendor : opts.vendor_name;
  time_t mtime = DateToEpoch(first.release_date);

  // index.xml and vendor-index.xml.
  XmlNode index = XmlNode::Element("vendorList");
  XmlNode& vendor = index.Add(XmlNode::Element("vendor"));
  vendor.Add("name", vendor_name);
  vendor.Add("code", vendor_code);
  vendor.Add("indexfile", "vendor-index.xml");
  vendor.Add(XmlNode::Element("patchUrl"));
  vendor.Add(XmlNode::Element("relativePath"));
  XmlNode& content = vendor.Add(XmlNode::Element("content"));
  content.Add("name", "VMware ESX");
  content.Add("type", "http://www.vmware.com/depotmanagement/esx");
  XmlNode vindex = XmlNode::Element("metaList");
  for (const auto& platform : opts.platforms) {
    XmlNode& md = vindex.Add(XmlNode::Element("metadata"));
    md.Add("productId", "embeddedEsx");
    md.Add("version", platform);
    md.Add(XmlNode::Element("locale"));
    md.Add("url", "metadata.zip");
    md.Add("channelName", "default");
  }
  std::string vendor_index_xml = WriteXml(vindex);

  // metadata.zip: vmware.xml, vendor-index.xml, bulletins/<id>.xml, vibs/<vib id>.xml.
  XmlNode vmware = XmlNode::Element("metadataResponse");
  vmware.Add("version", "3.0");
  vmware.Add("timestamp", first.release_date);
  std::vector<std::pair<std::string, std::string>> meta_files;
  for (const auto& it : items) {
    const Descriptor& d = it.d;
    std::string sha = Sha256Hex(*it.bytes);
    std::string url;
    if (const XmlNode* urls = d.tree.Child("urls")) {
      if (const XmlNode* u = urls->Child("url")) {
        url = u->text;
      }
    }
    auto bulletin_head = [&]() {
      XmlNode b = XmlNode::Element("bulletin");
      b.Add("id", it.bulletin_id);
      b.Add("vendor", vendor_name);
      b.Add("summary", d.summary);
      b.Add("severity", "general");
      b.Add("category", "enhancement");
      b.Add("urgency", "Important");
      b.Add("releaseType", "extension");
      b.Add("description", d.description);
      b.Add("kbUrl", url);
      b.Add(XmlNode::Element("contact"));
      XmlNode cn = XmlNode::Element("componentNameSpec");
      cn.SetAttr("name", d.name).SetAttr("uiString", d.summary);
      b.Add(std::move(cn));
      XmlNode cv = XmlNode::Element("componentVersionSpec");
      cv.SetAttr("uiString", d.version).SetAttr("version", d.version);
      b.Add(std::move(cv));
      b.Add("releaseDate", d.release_date);
      XmlNode& pl = b.Add(XmlNode::Element("platforms"));
      for (const auto& p : opts.platforms) {
        pl.Add(Platform(p));
      }
      return b;
    };
    XmlNode b = bulletin_head();
    XmlNode& vl = b.Add(XmlNode::Element("vibList"));
    XmlNode& v = vl.Add(XmlNode::Element("vib"));
    v.Add("vibVersion", "2.0.0");
    v.Add("vibID", it.id);
    v.Add("name", d.name);
    v.Add("version", d.version);
    v.Add("vendor", d.vendor);
    v.Add("vibType", d.type);
    v.Add("summary", d.summary);
    XmlNode& reqs = v.Add(XmlNode::Element("systemReqs"));
    reqs.Add("maintenanceMode", d.maintenance_mode.empty() ? "false" : d.maintenance_mode);
    for (const auto& p : opts.platforms) {
      XmlNode sp = Platform(p);
      sp.name = "swPlatform";
      reqs.Add(std::move(sp));
    }
    if (const XmlNode* rel = d.tree.Child("relationships")) {
      v.Add(*rel);
    }
    XmlNode& post = v.Add(XmlNode::Element("postInstall"));
    post.Add("rebootRequired", d.live_install_allowed == "true" ? "false" : "true");
    post.Add("hostdRestart", "false");
    XmlNode& tags = v.Add(XmlNode::Element("softwareTags"));
    if (const XmlNode* st = d.tree.Child("software-tags")) {
      for (const auto& t : st->children) {
        tags.Add("tag", t.text);
      }
    }
    XmlNode& vf = v.Add(XmlNode::Element("vibFile"));
    vf.Add(XmlNode::Element("sourceUrl"));
    vf.Add("relativePath", it.path);
    vf.Add("packedSize", std::to_string(it.bytes->size()));
    XmlNode& ck = vf.Add(XmlNode::Element("checksum"));
    ck.Add("checksumType", "sha-256");
    ck.Add("checksum", sha);
    vmware.Add(std::move(b));

    XmlNode bf = bulletin_head();
    bf.Add(XmlNode::Element("vibList")).Add("vibID", it.id);
    meta_files.emplace_back("bulletins/" + it.bulletin_id + ".xml", WriteXml(bf));

    // vibs/<id>.xml: the descriptor with where the VIB is and its checksum, pinned platforms.
    XmlNode vd = d.tree;
    std::vector<XmlNode> kids;
    for (auto& c : vd.children) {
      if (c.name == "system-requires") {
        std::set<std::string> have;
        for (const XmlNode* sp : c.Children("softwarePlatform")) {
          if (const std::string* ver = sp->Attr("version")) {
            have.insert(*ver);
          }
        }
        for (const auto& p : opts.platforms) {
          if (!have.count(p)) {
            c.Add(Platform(p));
          }
        }
      }
      kids.push_back(std::move(c));
      if (kids.back().name == "software-tags") {
        kids.push_back(XmlNode::Element("relative-path", it.path));
        kids.push_back(XmlNode::Element("packed-size", std::to_string(it.bytes->size())));
        kids.push_back(Checksum("sha-256", "", sha));
      }
    }
    vd.children = std::move(kids);
    meta_files.emplace_back("vibs/" + it.id + ".xml", WriteXml(vd));
  }
  meta_files.insert(meta_files.begin(), {"vendor-index.xml", vendor_index_xml});
  meta_files.insert(meta_files.begin(), {"vmware.xml", WriteXml(vmware)});

  auto meta_zip = WriteZip(meta_files, mtime);
  if (!meta_zip) {
    return meta_zip.error();
  }
  std::vector<std::pair<std::string, std::string>> entries = {
      {"index.xml", WriteXml(index)},
      {"vendor-index.xml", vendor_index_xml},
      {"metadata.zip", std::move(*meta_zip)}};
  for (const auto& it : items) {
    entries.emplace_back(it.path, *it.bytes);
  }
  return WriteZip(entries, mtime);
}

}  // namespace bnfc::vib
