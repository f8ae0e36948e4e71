#include "bnfc/vib/inspect.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "bnfc/vib/digest.h"

namespace bnfc::vib {

namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

std::string Quote(const std::string& s) {
  return "'" + s + "'";
}

void CheckPayload(const DescriptorPayload& dp, const PayloadReport& pr, const Descriptor& d,
                  Problems* problems) {
  const std::string where = "payload " + dp.name;
  const PayloadInfo& info = pr.info;
  if (dp.size && *dp.size != info.size) {
    AddError(problems, "PAYLOAD_SIZE_MISMATCH", where,
             "descriptor says size=\"" + std::to_string(*dp.size) + "\" but the member has " +
                 std::to_string(info.size) + " bytes");
  }
  if (dp.type != "tgz" && dp.type != "vgz") {
    AddError(problems, "PAYLOAD_TYPE_UNKNOWN", where,
             "payload type " + Quote(dp.type) + " is neither tgz nor vgz");
  }
  bool have_sha256 = false, have_gz_sha256 = false, have_gz_sha1 = false;
  for (const auto& ck : dp.checksums) {
    if (ck.verify_process.empty() && ck.type == "sha-256") {
      have_sha256 = true;
      if (ck.value != info.sha256) {
        AddError(problems, "PAYLOAD_SHA256_MISMATCH", where,
                 "sha-256 of the member is " + info.sha256 + ", descriptor says " + ck.value);
      }
    } else if (ck.verify_process == "gunzip" && (ck.type == "sha-256" || ck.type == "sha-1")) {
      bool sha1 = ck.type == "sha-1";
      (sha1 ? have_gz_sha1 : have_gz_sha256) = true;
      if (!info.gzip) {
        continue;  // reported as PAYLOAD_NOT_GZIP below
      }
      const std::string& actual = sha1 ? info.gunzip_sha1 : info.gunzip_sha256;
      if (ck.value != actual) {
        AddError(
            problems, sha1 ? "PAYLOAD_GUNZIP_SHA1_MISMATCH" : "PAYLOAD_GUNZIP_SHA256_MISMATCH",
            where,
            ck.type + " of the uncompressed tar is " + actual + ", descriptor says " + ck.value);
      }
    } else {
      AddWarning(problems, "CHECKSUM_UNSUPPORTED", where,
                 "checksum-type=" + Quote(ck.type) + " verify-process=" + Quote(ck.verify_process) +
                     " is not one bnfc-vib checks");
    }
  }
  // Which gunzip checksums a release wants is a per-release rule (ReleaseProblems); here only
  // a payload that cannot be checked at all, compressed or uncompressed, is noted.
  if (dp.checksums.empty()) {
    AddError(problems, "PAYLOAD_CHECKSUM_MISSING", where, "the descriptor gives no checksum");
  } else if (!have_sha256 || (!have_gz_sha256 && !have_gz_sha1)) {
    std::string missing;
    auto add = [&](bool have, const char* what) {
      if (!have) {
        missing += missing.empty() ? what : std::string(", ") + what;
      }
    };
    add(have_sha256, "sha-256");
    add(have_gz_sha256, "gunzip sha-256");
    add(have_gz_sha1, "gunzip sha-1");
    AddWarning(problems, "PAYLOAD_CHECKSUM_MISSING", where,
               "no " + missing + " checksum; VIBs for ESXi 8 ship all three");
  }
  if (!info.gzip) {
    AddError(problems, "PAYLOAD_NOT_GZIP", where, info.gzip_error);
    return;
  }
  if (!info.tar_error.empty()) {
    AddError(problems, "PAYLOAD_TAR_INVALID", where, info.tar_error);
  }
  if (info.tar_format == "visor" && dp.type == "tgz") {
    AddWarning(problems, "PAYLOAD_TYPE_MISMATCH", where,
               "labelled tgz but the tar is a VMware visor tar (vgz); ESXi 6.5 accepted this");
  } else if ((info.tar_format == "gnu" || info.tar_format == "ustar") && dp.type == "vgz") {
    AddWarning(problems, "PAYLOAD_TYPE_MISMATCH", where,
               "labelled vgz but the tar is a plain " + info.tar_format + " tar");
  } else if (info.tar_format == "unknown" && info.tar_error.empty()) {
    AddWarning(problems, "PAYLOAD_TAR_FORMAT", where,
               "the tar header magic is neither ustar nor visor");
  }
  (void)d;
}

}  // namespace

FileKind DetectKind(std::string_view bytes) {
  if (bytes.substr(0, kArMagic.size()) == kArMagic) {
    return FileKind::kVib;
  }
  if (bytes.substr(0, 4) == std::string_view("PK\x03\x04", 4)) {
    return FileKind::kBundle;
  }
  return FileKind::kUnknown;
}

VibReport InspectVib(std::string_view bytes, uint64_t max_gunzip) {
  VibReport r;
  r.size = bytes.size();
  r.sha256 = Sha256Hex(bytes);
  ArParse ar = ParseAr(bytes);
  r.members = std::move(ar.members);
  r.problems = std::move(ar.problems);
  bool complete = !HasErrors(r.problems);

  // Which member is where.
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < r.members.size(); ++i) {
    if (!index.emplace(r.members[i].name, i).second) {
      AddError(&r.problems, "MEMBER_DUPLICATE", "member " + r.members[i].name,
               "member name appears more than once");
    }
  }
  auto missing = [&](const std::string& name, const std::string& why) {
    AddError(&r.problems, "MEMBER_MISSING", "member " + name,
             complete ? why : why + " (the archive is damaged before it)");
  };
  if (!index.count("descriptor.xml")) {
    missing("descriptor.xml", "the VIB has no descriptor.xml");
  } else if (index["descriptor.xml"] != 0) {
    AddError(&r.problems, "MEMBER_ORDER", "member descriptor.xml",
             "descriptor.xml is member " + std::to_string(index["descriptor.xml"] + 1) +
                 ", ESXi expects it first");
  }
  if (!index.count("sig.pkcs7")) {
    missing("sig.pkcs7", "the VIB has no sig.pkcs7 (an empty one means unsigned)");
  } else {
    if (index["sig.pkcs7"] != 1) {
      AddError(&r.problems, "MEMBER_ORDER", "member sig.pkcs7",
               "sig.pkcs7 is member " + std::to_string(index["sig.pkcs7"] + 1) +
                   ", ESXi expects it second");
    }
    r.signed_vib = r.members[index["sig.pkcs7"]].size > 0;
  }
  for (const auto& m : r.members) {
    if (m.name.size() > 15) {
      AddWarning(&r.problems, "MEMBER_NAME_LONG", "member " + m.name,
                 "member name is longer than 15 characters");
    }
  }
  if (!index.count("descriptor.xml")) {
    return r;
  }
  auto desc = ParseDescriptor(r.members[index["descriptor.xml"]].data);
  if (!desc) {
    AddError(&r.problems, "DESCRIPTOR_XML", "member descriptor.xml", desc.error().message);
    return r;
  }
  CheckDescriptor(*desc, &r.problems);
  const Descriptor& d = *desc;
  if (!r.signed_vib && !d.acceptance_level.empty() && d.acceptance_level != "community" &&
      index.count("sig.pkcs7")) {
    AddWarning(&r.problems, "SIGNATURE_MISSING", "member sig.pkcs7",
               "acceptance level " + d.acceptance_level +
                   " needs a signature; an empty sig.pkcs7 makes the VIB community level");
  }

  // Payloads: each declared one must be a member; every other member must be declared.
  std::set<std::string> declared;
  std::set<std::string> payload_files;
  std::map<std::string, std::string> prefixes;
  for (const auto& dp : d.payloads) {
    if (dp.name.empty()) {
      continue;
    }
    declared.insert(dp.name);
    std::string prefix = dp.name.substr(0, 8);
    if (prefixes.count(prefix)) {
      AddWarning(&r.problems, "PAYLOAD_PREFIX_CLASH", "payload " + dp.name,
                 "shares its first 8 characters with payload " + prefixes[prefix] +
                     "; ESXi names tardisks by them");
    }
    prefixes.emplace(prefix, dp.name);
    auto it = index.find(dp.name);
    if (it == index.end()) {
      missing(dp.name, "the descriptor lists payload " + Quote(dp.name) +
                           " but the VIB has no "
                           "such member");
      continue;
    }
    if (it->second < 2) {
      AddError(&r.problems, "MEMBER_ORDER", "member " + dp.name,
               "payload is member " + std::to_string(it->second + 1) +
                   ", ESXi expects payloads after descriptor.xml and sig.pkcs7");
    }
    PayloadReport pr;
    pr.member = dp.name;
    pr.declared_type = dp.type;
    pr.info = AnalyzePayload(r.members[it->second].data, max_gunzip);
    CheckPayload(dp, pr, d, &r.problems);
    CheckTreeSafety(pr.info.entries, "payload " + dp.name, &r.problems);
    for (const auto& e : pr.info.entries) {
      if (e.kind == 'f') {
        payload_files.insert(e.path.rfind("./", 0) == 0 ? e.path.substr(2) : e.path);
      }
    }
    r.payloads.push_back(std::move(pr));
  }
  for (const auto& m : r.members) {
    if (m.name != "descriptor.xml" && m.name != "sig.pkcs7" && !declared.count(m.name)) {
      AddError(&r.problems, "MEMBER_UNEXPECTED", "member " + m.name,
               "member is neither descriptor.xml, sig.pkcs7 nor a payload the descriptor lists");
    }
  }
  // file-list against the payloads (only when every payload could be listed).
  bool all_listed = r.payloads.size() == declared.size();
  for (const auto& pr : r.payloads) {
    all_listed = all_listed && pr.info.gzip && pr.info.tar_error.empty();
  }
  if (all_listed && d.tree.Child("file-list")) {
    std::set<std::string> listed(d.files.begin(), d.files.end());
    for (const auto& f : listed) {
      if (!payload_files.count(f)) {
        AddError(&r.problems, "FILE_LIST_MISMATCH", "descriptor.xml file-list",
                 "lists " + Quote(f) + " which no payload contains");
      }
    }
    for (const auto& f : payload_files) {
      if (!listed.count(f)) {
        AddError(&r.problems, "FILE_LIST_MISMATCH", "descriptor.xml file-list",
                 "payload file " + Quote(f) + " is not listed");
      }
    }
  }
  r.descriptor = std::move(*desc);
  return r;
}

uint64_t ZipBudget(uint64_t zip_size, uint64_t max_total) {
  return std::min(max_total, kZipBudgetBase + kZipBudgetRatio * zip_size);
}

Expected<std::vector<std::pair<std::string, std::string>>> ReadZip(
    std::string_view bytes, uint64_t max_total, std::vector<std::string>* not_regular) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_format_zip_seekable(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return Unexpected(ErrorCode::kParse, std::string("zip: ") + (archive_error_string(a.get())
                                                                     ? archive_error_string(a.get())
                                                                     : "not a zip file"));
  }
  std::vector<std::pair<std::string, std::string>> out;
  uint64_t total = 0;
  for (;;) {
    struct archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) {
      break;
    }
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      const char* s = archive_error_string(a.get());
      return Unexpected(ErrorCode::kParse, std::string("zip: ") + (s ? s : "damaged") + " after " +
                                               std::to_string(out.size()) + " entries");
    }
    const char* p = archive_entry_pathname(e);
    std::string path = p ? p : "";
    // The central directory's size: refuse before inflating anything that cannot fit.
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
        total + static_cast<uint64_t>(archive_entry_size(e)) > max_total) {
      return Unexpected(ErrorCode::kParse, "zip: entry '" + path + "' says " +
                                               std::to_string(archive_entry_size(e)) +
                                               " bytes uncompressed, more than the " +
                                               std::to_string(max_total) + " allowed; refusing");
    }
    const auto type = archive_entry_filetype(e);
    if (type != AE_IFREG && type != AE_IFDIR && type != 0) {
      if (not_regular) {
        not_regular->push_back(path);
      }
      continue;
    }
    std::string data;
    char buf[65536];
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
      if (n < 0) {
        const char* s = archive_error_string(a.get());
        return Unexpected(ErrorCode::kParse,
                          "zip: " + std::string(s ? s : "damaged") + " in entry '" + path + "'");
      }
      if (n == 0) {
        break;
      }
      total += static_cast<uint64_t>(n);
      if (total > max_total) {
        return Unexpected(ErrorCode::kParse, "zip: more than " + std::to_string(max_total) +
                                                 " bytes uncompressed in '" + path + "'; refusing");
      }
      data.append(buf, static_cast<size_t>(n));
    }
    if (archive_entry_filetype(e) == AE_IFDIR || (!path.empty() && path.back() == '/')) {
      continue;
    }
    out.emplace_back(std::move(path), std::move(data));
  }
  return out;
}

namespace {

std::string Text(const XmlNode* n, const char* child) {
  if (!n) {
    return {};
  }
  const XmlNode* c = n->Child(child);
  return c ? c->text : std::string();
}

}  // namespace

BundleReport InspectBundle(std::string_view bytes, uint64_t max_gunzip) {
  BundleReport r;
  r.size = bytes.size();
  r.sha256 = Sha256Hex(bytes);
  std::vector<std::string> special;
  auto entries = ReadZip(bytes, ZipBudget(bytes.size(), max_gunzip), &special);
  if (!entries) {
    AddError(&r.problems, "BUNDLE_ZIP_INVALID", "bundle", entries.error().message);
    return r;
  }
  auto check_paths = [&](const std::string& zip, const std::vector<std::string>& not_regular,
                         const std::vector<std::pair<std::string, std::string>>& all) {
    for (const auto& path : not_regular) {
      AddError(&r.problems, "BUNDLE_SPECIAL_ENTRY", zip,
               "entry " + Quote(path) + " is neither a regular file nor a directory");
    }
    for (const auto& [path, data] : all) {
      if (EscapesRoot(path)) {
        AddError(&r.problems, "BUNDLE_UNSAFE_PATH", zip,
                 "entry " + Quote(path) +
                     " is absolute or contains '..': it would land outside the depot");
      }
    }
  };
  check_paths("bundle", special, *entries);
  std::map<std::string, const std::string*> files;
  for (const auto& [path, data] : *entries) {
    r.entries.emplace_back(path, data.size());
    if (!files.emplace(path, &data).second) {
      AddError(&r.problems, "BUNDLE_DUPLICATE_ENTRY", path, "zip entry appears more than once");
    }
  }
  auto parse = [&](const std::string& what, std::string_view text) -> std::optional<XmlNode> {
    auto x = ParseXml(text, what);
    if (!x) {
      AddError(&r.problems, "BUNDLE_XML", what, x.error().message);
      return std::nullopt;
    }
    return std::move(*x);
  };
  // index.xml -> vendor-index.xml -> metadata.zip
  std::string vendor_index = "vendor-index.xml";
  if (!files.count("index.xml")) {
    AddError(&r.problems, "BUNDLE_MEMBER_MISSING", "index.xml", "the bundle has no index.xml");
  } else if (auto idx = parse("index.xml", *files["index.xml"])) {
    const XmlNode* vendor = idx->Child("vendor");
    if (idx->name != "vendorList" || !vendor) {
      AddError(&r.problems, "BUNDLE_XML", "index.xml", "expected <vendorList><vendor>...");
    } else if (!Text(vendor, "indexfile").empty()) {
      vendor_index = Text(vendor, "indexfile");
    }
  }
  std::string metadata_url = "metadata.zip";
  if (!files.count(vendor_index)) {
    AddError(&r.problems, "BUNDLE_MEMBER_MISSING", vendor_index,
             "the bundle has no " + vendor_index);
  } else if (auto vi = parse(vendor_index, *files[vendor_index])) {
    auto metas = vi->Children("metadata");
    if (vi->name != "metaList" || metas.empty()) {
      AddError(&r.problems, "BUNDLE_XML", vendor_index, "expected <metaList><metadata>...");
    } else {
      metadata_url = Text(metas[0], "url");
      for (const XmlNode* m : metas) {
        if (Text(m, "url") != metadata_url) {
          AddWarning(&r.problems, "BUNDLE_INDEX", vendor_index,
                     "the <metadata> entries name different metadata files");
        }
      }
    }
  }
  if (!files.count(metadata_url)) {
    AddError(&r.problems, "BUNDLE_MEMBER_MISSING", metadata_url,
             "the bundle has no " + metadata_url);
    return r;
  }
  std::vector<std::string> meta_special;
  auto meta = ReadZip(*files[metadata_url], ZipBudget(files[metadata_url]->size(), max_gunzip),
                      &meta_special);
  if (!meta) {
    AddError(&r.problems, "BUNDLE_ZIP_INVALID", metadata_url, meta.error().message);
    return r;
  }
  check_paths(metadata_url, meta_special, *meta);
  std::map<std::string, std::string> meta_files;
  for (auto& [path, data] : *meta) {
    r.metadata_entries.push_back(path);
    meta_files[path] = std::move(data);
  }
  if (!meta_files.count("vmware.xml")) {
    AddError(&r.problems, "BUNDLE_MEMBER_MISSING", metadata_url + "/vmware.xml",
             "metadata.zip has no vmware.xml");
    return r;
  }
  for (const auto& [path, data] : meta_files) {
    if (path.size() > 4 && path.substr(path.size() - 4) == ".xml" && path != "vmware.xml") {
      (void)parse(metadata_url + "/" + path, data);
    }
  }
  auto vm = parse(metadata_url + "/vmware.xml", meta_files["vmware.xml"]);
  if (!vm) {
    return r;
  }
  std::set<std::string> listed_paths;
  auto bulletins = vm->Children("bulletin");
  if (vm->name != "metadataResponse" || bulletins.empty()) {
    AddError(&r.problems, "BUNDLE_XML", metadata_url + "/vmware.xml",
             "expected <metadataResponse> with at least one <bulletin>");
  }
  for (const XmlNode* b : bulletins) {
    std::string bwhere = metadata_url + "/vmware.xml bulletin " + Text(b, "id");
    if (b->Child("componentNameSpec") && b->Child("componentVersionSpec")) {
      r.component = true;
    }
    if (const XmlNode* pl = b->Child("platforms")) {
      for (const XmlNode* sp : pl->Children("softwarePlatform")) {
        if (const std::string* v = sp->Attr("version")) {
          r.platforms.push_back(*v);
        }
      }
    }
    if (!meta_files.count("bulletins/" + Text(b, "id") + ".xml")) {
      AddWarning(&r.problems, "BUNDLE_MEMBER_MISSING", bwhere,
                 "metadata.zip has no bulletins/" + Text(b, "id") + ".xml");
    }
    const XmlNode* vl = b->Child("vibList");
    for (const XmlNode* v : vl ? vl->Children("vib") : std::vector<const XmlNode*>{}) {
      BundleVib bv;
      bv.vib_id = Text(v, "vibID");
      const XmlNode* file = v->Child("vibFile");
      bv.path = Text(file, "relativePath");
      std::string where = bwhere + " vib " + bv.vib_id;
      listed_paths.insert(bv.path);
      if (!files.count(bv.path)) {
        AddError(&r.problems, "BUNDLE_VIB_MISSING", where,
                 "vibFile relativePath " + Quote(bv.path) + " is not in the bundle");
        continue;
      }
      const std::string& vib = *files[bv.path];
      std::string packed = Text(file, "packedSize");
      if (packed != std::to_string(vib.size())) {
        AddError(&r.problems, "BUNDLE_VIB_SIZE_MISMATCH", where,
                 "packedSize is " + Quote(packed) + " but " + bv.path + " has " +
                     std::to_string(vib.size()) + " bytes");
      }
      const XmlNode* ck = file ? file->Child("checksum") : nullptr;
      std::string sum = Text(ck, "checksum");
      std::string actual = Sha256Hex(vib);
      if (Text(ck, "checksumType") != "sha-256") {
        AddError(&r.problems, "BUNDLE_VIB_CHECKSUM_MISSING", where, "no sha-256 vibFile checksum");
      } else if (sum != actual) {
        AddError(&r.problems, "BUNDLE_VIB_SHA256_MISMATCH", where,
                 "sha-256 of " + bv.path + " is " + actual + ", metadata says " + sum);
      }
      bv.report = InspectVib(vib, max_gunzip);
      if (bv.report.descriptor && VibId(*bv.report.descriptor) != bv.vib_id) {
        AddError(&r.problems, "BUNDLE_VIB_ID_MISMATCH", where,
                 "the VIB's own id is " + VibId(*bv.report.descriptor));
      }
      r.vibs.push_back(std::move(bv));
    }
  }
  if (!bulletins.empty() && !r.component) {
    AddWarning(&r.problems, "BUNDLE_NOT_COMPONENT", metadata_url + "/vmware.xml",
               "no componentNameSpec/componentVersionSpec: ESXi 7+ treats it as a legacy "
               "bulletin bundle");
  }
  for (const auto& [path, data] : files) {
    if (path.rfind("vib20/", 0) == 0 && !listed_paths.count(path)) {
      AddWarning(&r.problems, "BUNDLE_UNLISTED_VIB", path,
                 "the bundle carries a VIB that no bulletin lists");
    }
  }
  return r;
}

const char* ReleaseName(Release r) {
  return r == Release::k70 ? "7.0" : "8.0";
}

std::optional<Release> ParseRelease(std::string_view text) {
  if (text == "7.0" || text == "7") {
    return Release::k70;
  }
  if (text == "8.0" || text == "8") {
    return Release::k80;
  }
  return std::nullopt;
}

Problems ReleaseProblems(const VibReport& r, Release release) {
  Problems out;
  if (!r.descriptor) {
    return out;
  }
  const std::string id = VibId(*r.descriptor);
  for (const auto& dp : r.descriptor->payloads) {
    const std::string where = "payload " + dp.name;
    bool gz_sha256 = false;
    for (const auto& ck : dp.checksums) {
      gz_sha256 = gz_sha256 || (ck.type == "sha-256" && ck.verify_process == "gunzip");
    }
    if (release == Release::k80 && !gz_sha256) {
      // ESXi 8.0's own words (ProfileValidationError; Broadcom KB 318056, lamw/ghettoVCB#275).
      AddError(&out, "ESXI8_NO_GUNZIP_SHA256", where,
               "ESXi 8.0 refuses this VIB: \"the payload(s) in VIB " + id +
                   " does not have sha-256 gunzip checksum. This will prevent VIB security "
                   "verification and secure boot from functioning properly\"");
    }
    if (release == Release::k70 && gz_sha256) {
      // Releases before 8 failed VIBs carrying this checksum (lamw/ghettoVCB#299, #311;
      // w2c/letsencrypt-esxi#10, #44); no public report shows one installing on 7.0.
      AddWarning(&out, "ESXI7_GUNZIP_SHA256_UNPROVEN", where,
                 "carries a sha-256 gunzip checksum: ESXi 5.5/6.x (and, in one report, 7.x) "
                 "refused such VIBs with \"Calculated digest at EOF does not match expected "
                 "result\"; installing it on 7.0 is not proven");
    }
  }
  return out;
}

Problems ReleaseProblems(const BundleReport& r, Release release) {
  Problems out;
  for (const auto& v : r.vibs) {
    for (Problem p : ReleaseProblems(v.report, release)) {
      p.where = v.path + ": " + p.where;
      out.push_back(std::move(p));
    }
  }
  return out;
}

Problems AllProblems(const BundleReport& r) {
  Problems out = r.problems;
  for (const auto& v : r.vibs) {
    for (Problem p : v.report.problems) {
      p.where = v.path + ": " + p.where;
      out.push_back(std::move(p));
    }
  }
  return out;
}

nlohmann::json ToJson(const Problem& p) {
  return {{"severity", SeverityName(p.severity)},
          {"code", p.code},
          {"where", p.where},
          {"detail", p.detail}};
}

nlohmann::json ToJson(const VibReport& r) {
  using nlohmann::json;
  json j;
  j["kind"] = "vib";
  j["size"] = r.size;
  j["sha256"] = r.sha256;
  j["members"] = json::array();
  for (const auto& m : r.members) {
    j["members"].push_back({{"name", m.name},
                            {"raw_name", m.raw_name},
                            {"style", m.gnu_name ? "gnu" : "plain"},
                            {"offset", m.header_offset},
                            {"mtime", m.mtime},
                            {"uid", m.uid},
                            {"gid", m.gid},
                            {"mode", m.mode},
                            {"size", m.size}});
  }
  j["signed"] = r.signed_vib;
  if (r.descriptor) {
    const Descriptor& d = *r.descriptor;
    json dj = {{"vib_id", VibId(d)},
               {"schema_version", d.schema_version},
               {"type", d.type},
               {"name", d.name},
               {"version", d.version},
               {"vendor", d.vendor},
               {"summary", d.summary},
               {"description", d.description},
               {"release_date", d.release_date},
               {"acceptance_level", d.acceptance_level},
               {"live_install_allowed", d.live_install_allowed},
               {"live_remove_allowed", d.live_remove_allowed},
               {"maintenance_mode", d.maintenance_mode},
               {"files", d.files},
               {"elements", d.element_order}};
    dj["payloads"] = json::array();
    for (const auto& p : d.payloads) {
      json pj = {{"name", p.name}, {"type", p.type}, {"size", p.size_text}};
      pj["checksums"] = json::array();
      for (const auto& c : p.checksums) {
        pj["checksums"].push_back(
            {{"type", c.type}, {"verify_process", c.verify_process}, {"value", c.value}});
      }
      dj["payloads"].push_back(pj);
    }
    j["descriptor"] = dj;
  } else {
    j["descriptor"] = nullptr;
  }
  j["payloads"] = json::array();
  for (const auto& p : r.payloads) {
    json pj = {{"member", p.member},
               {"declared_type", p.declared_type},
               {"size", p.info.size},
               {"sha256", p.info.sha256},
               {"gzip", p.info.gzip},
               {"gunzip_size", p.info.gunzip_size},
               {"gunzip_sha256", p.info.gunzip_sha256},
               {"gunzip_sha1", p.info.gunzip_sha1},
               {"tar_format", p.info.tar_format}};
    pj["entries"] = json::array();
    for (const auto& e : p.info.entries) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", e.mode);
      pj["entries"].push_back({{"path", e.path},
                               {"kind", std::string(1, e.kind)},
                               {"mode", mode},
                               {"size", e.size},
                               {"uid", e.uid},
                               {"gid", e.gid}});
    }
    j["payloads"].push_back(pj);
  }
  j["problems"] = json::array();
  for (const auto& p : r.problems) {
    j["problems"].push_back(ToJson(p));
  }
  j["ok"] = !HasErrors(r.problems);
  return j;
}

nlohmann::json ToJson(const BundleReport& r) {
  using nlohmann::json;
  json j;
  j["kind"] = "bundle";
  j["size"] = r.size;
  j["sha256"] = r.sha256;
  j["entries"] = json::array();
  for (const auto& [path, size] : r.entries) {
    j["entries"].push_back({{"path", path}, {"size", size}});
  }
  j["metadata_entries"] = r.metadata_entries;
  j["component"] = r.component;
  j["platforms"] = r.platforms;
  j["vibs"] = json::array();
  for (const auto& v : r.vibs) {
    json vj = ToJson(v.report);
    vj["path"] = v.path;
    vj["listed_vib_id"] = v.vib_id;
    j["vibs"].push_back(vj);
  }
  j["problems"] = json::array();
  for (const auto& p : r.problems) {
    j["problems"].push_back(ToJson(p));
  }
  j["ok"] = !HasErrors(AllProblems(r));
  return j;
}

}  // namespace bnfc::vib
