#include "bnfc/vib/cli.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "bnfc/cli.h"
#include "bnfc/fs.h"
#include "bnfc/version.h"
#include "bnfc/vib/build.h"
#include "bnfc/vib/inspect.h"

namespace bnfc::vib {

namespace {

constexpr const char* kUsage = R"(usage: bnfc-vib COMMAND [OPTIONS] ...

  inspect FILE [--json] [--target 7.0|8.0]
                            list a VIB's or offline bundle's members, descriptor, payloads and
                            every problem found (exit 1 when there is an error-level problem)
  verify FILE [--json] [--target 7.0|8.0]
                            recompute every size and checksum, check the layout and the payload
                            tree, and say what each target ESXi release would do (default: both);
                            exit 0 only when no target has an error
  build --manifest M --payload DIR --out FILE.vib
                            make a VIB (GNU ar: descriptor.xml, empty sig.pkcs7, tgz payload)
                            from the key = value manifest M and the staged tree DIR
  bundle --vib FILE.vib [--vib ...] --out FILE.zip [--vendor-code CODE] [--vendor-name NAME]
         [--platform 8.* --platform 7.*]
                            make an ESXi 7+ offline bundle (component form) from VIBs
  --help, --version

`bnfc-vib COMMAND --help` shows a command's options and exit statuses.
FILE may be a VIB (Unix ar) or an offline bundle (zip); the kind is taken from the first bytes.
Builds are reproducible: the same inputs give the same bytes. See docs/vib.md.
)";

void PrintProblems(const Problems& problems, std::ostream& out) {
  for (const auto& p : problems) {
    out << "  " << SeverityName(p.severity) << " " << p.code << " [" << p.where << "]: " << p.detail
        << "\n";
  }
}

void PrintVib(const VibReport& r, const std::string& indent, std::ostream& out) {
  out << indent << "members:\n";
  out << indent << "  " << std::left << std::setw(8) << "offset" << std::setw(17) << "name"
      << std::setw(7) << "style" << std::setw(8) << "mtime" << std::setw(5) << "uid" << std::setw(5)
      << "gid" << std::setw(8) << "mode"
      << "size\n";
  for (const auto& m : r.members) {
    out << indent << "  " << std::left << std::setw(8) << m.header_offset << std::setw(17) << m.name
        << std::setw(7) << (m.gnu_name ? "gnu" : "plain") << std::setw(8) << m.mtime << std::setw(5)
        << m.uid << std::setw(5) << m.gid << std::setw(8) << m.mode << m.size << "\n";
  }
  out << std::right;
  out << indent << "signature: " << (r.signed_vib ? "present" : "empty (unsigned)") << "\n";
  if (r.descriptor) {
    const Descriptor& d = *r.descriptor;
    out << indent << "vib: " << VibId(d) << "\n";
    out << indent << "  summary: " << d.summary << "\n";
    out << indent << "  release-date: " << d.release_date << "\n";
    out << indent << "  acceptance-level: " << d.acceptance_level
        << ", live install/remove: " << d.live_install_allowed << "/" << d.live_remove_allowed
        << ", maintenance-mode: " << d.maintenance_mode << "\n";
    out << indent << "  file-list (" << d.files.size() << "):\n";
    for (const auto& f : d.files) {
      out << indent << "    " << f << "\n";
    }
  }
  for (const auto& p : r.payloads) {
    out << indent << "payload " << p.member << ": declared " << p.declared_type << ", tar "
        << (p.info.tar_format.empty() ? "-" : p.info.tar_format) << ", " << p.info.size
        << " bytes (" << p.info.gunzip_size << " uncompressed)\n";
    out << indent << "  sha-256         " << p.info.sha256 << "\n";
    out << indent << "  gunzip sha-256  " << p.info.gunzip_sha256 << "\n";
    out << indent << "  gunzip sha-1    " << p.info.gunzip_sha1 << "\n";
    for (const auto& e : p.info.entries) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", e.mode);
      out << indent << "    " << e.kind << " " << mode << " " << e.uid << "/" << e.gid << " "
          << std::setw(9) << e.size << " " << e.path << "\n";
    }
  }
}

struct Loaded {
  std::string bytes;
  FileKind kind = FileKind::kUnknown;
};

bool Load(const std::string& path, Loaded* l, std::ostream& err, const char* cmd) {
  auto data = fs::ReadFile(path, 4ull << 30);
  if (!data) {
    err << "bnfc-vib " << cmd << ": " << data.error().message << "\n";
    return false;
  }
  l->bytes = std::move(*data);
  l->kind = DetectKind(l->bytes);
  return true;
}

int InspectOrVerify(const cli::Parsed& args, bool verify, std::ostream& out, std::ostream& err) {
  const char* cmd = verify ? "verify" : "inspect";
  const std::string file = args.operands.at(0);
  const bool json = args.Has("json");
  std::vector<Release> targets;
  for (const std::string& value : args.GetAll("target")) {
    auto t = ParseRelease(value);
    if (!t) {
      err << "bnfc-vib " << cmd << ": --target takes 7.0 or 8.0, not '" << value << "'\n";
      return 2;
    }
    if (std::find(targets.begin(), targets.end(), *t) == targets.end()) {
      targets.push_back(*t);
    }
  }
  Loaded l;
  if (!Load(file, &l, err, cmd)) {
    return 2;
  }
  if (targets.empty()) {
    targets.assign(std::begin(kAllReleases), std::end(kAllReleases));
  }
  Problems problems;
  std::vector<std::pair<Release, Problems>> per_release;
  nlohmann::json j;
  std::ostringstream text;
  std::string what;
  if (l.kind == FileKind::kBundle) {
    BundleReport r = InspectBundle(l.bytes);
    problems = AllProblems(r);
    for (Release t : targets) {
      per_release.emplace_back(t, ReleaseProblems(r, t));
    }
    j = ToJson(r);
    what = "offline bundle, " + std::to_string(r.vibs.size()) + " VIB(s)" +
           (r.component ? ", component form" : "");
    if (!verify) {
      text << "entries:\n";
      for (const auto& [path, size] : r.entries) {
        text << "  " << std::setw(9) << size << " " << path << "\n";
      }
      text << "metadata.zip:";
      for (const auto& m : r.metadata_entries) {
        text << " " << m;
      }
      text << "\nplatforms:";
      for (const auto& p : r.platforms) {
        text << " " << p;
      }
      text << "\n";
      for (const auto& v : r.vibs) {
        text << "vib " << v.path << " (listed as " << v.vib_id << "):\n";
        PrintVib(v.report, "  ", text);
      }
    }
  } else {
    VibReport r = InspectVib(l.bytes);
    problems = r.problems;
    for (Release t : targets) {
      per_release.emplace_back(t, ReleaseProblems(r, t));
    }
    j = ToJson(r);
    what = l.kind == FileKind::kVib ? "VIB" : "not a VIB or zip";
    if (r.descriptor) {
      what += " " + VibId(*r.descriptor);
    }
    if (!verify) {
      PrintVib(r, "", text);
    }
  }
  j["file"] = file;
  auto count = [](const Problems& ps, Severity s) {
    return static_cast<size_t>(
        std::count_if(ps.begin(), ps.end(), [s](const Problem& p) { return p.severity == s; }));
  };
  const size_t errors = count(problems, Severity::kError);
  const size_t warnings = count(problems, Severity::kWarning);
  // Errors common to every release fail every target; a target fails on its own errors too.
  std::vector<std::string> failed;
  nlohmann::json targets_json = nlohmann::json::object();
  for (const auto& [t, ps] : per_release) {
    bool ok = errors == 0 && count(ps, Severity::kError) == 0;
    if (!ok) {
      failed.push_back(ReleaseName(t));
    }
    nlohmann::json tj = {{"ok", ok}, {"problems", nlohmann::json::array()}};
    for (const auto& p : ps) {
      tj["problems"].push_back(ToJson(p));
    }
    targets_json[ReleaseName(t)] = tj;
  }
  j["targets"] = targets_json;
  j["ok"] = failed.empty();
  if (json) {
    if (verify) {
      nlohmann::json v = {{"file", file},
                          {"ok", failed.empty()},
                          {"problems", nlohmann::json::array()},
                          {"targets", targets_json}};
      for (const auto& p : problems) {
        v["problems"].push_back(ToJson(p));
      }
      out << v.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
  } else {
    out << file << ": " << what << ", " << l.bytes.size() << " bytes\n" << text.str();
    if (problems.empty()) {
      out << "problems: none\n";
    } else {
      out << "problems (" << errors << " error(s), " << warnings << " warning(s)):\n";
      PrintProblems(problems, out);
    }
    for (const auto& [t, ps] : per_release) {
      bool ok = errors == 0 && count(ps, Severity::kError) == 0;
      out << "target ESXi " << ReleaseName(t) << ": " << (ok ? "ok" : "FAILED");
      if (!ps.empty()) {
        out << " (" << count(ps, Severity::kError) << " error(s), " << count(ps, Severity::kWarning)
            << " warning(s) for this release)";
      }
      out << "\n";
      PrintProblems(ps, out);
    }
    if (verify) {
      if (failed.empty()) {
        out << "verify: ok\n";
      } else {
        out << "verify: FAILED for ESXi";
        for (const auto& f : failed) {
          out << " " << f;
        }
        out << "\n";
      }
    }
  }
  return failed.empty() ? 0 : 1;
}

int Build(const cli::Parsed& args, std::ostream& out, std::ostream& err) {
  const std::string manifest = args.Get("manifest");
  const std::string payload = args.Get("payload");
  const std::string output = args.Get("out");
  if (manifest.empty() || payload.empty() || output.empty()) {
    err << "bnfc-vib build: --manifest, --payload and --out are required\n";
    return 2;
  }
  auto text = fs::ReadFile(manifest);
  if (!text) {
    err << "bnfc-vib build: " << text.error().message << "\n";
    return 2;
  }
  auto m = ParseManifest(*text, manifest);
  if (!m) {
    err << "bnfc-vib build: " << m.error().message << "\n";
    return 2;
  }
  auto files = StagePayload(payload, m->sticky);
  if (!files) {
    err << "bnfc-vib build: " << files.error().message << "\n";
    return 1;
  }
  auto vib = BuildVib(*m, *files);
  if (!vib) {
    err << "bnfc-vib build: " << vib.error().message << "\n";
    return 1;
  }
  VibReport check = InspectVib(*vib);
  if (HasErrors(check.problems)) {
    err << "bnfc-vib build: the result does not verify (a bug):\n";
    PrintProblems(check.problems, err);
    return 1;
  }
  if (auto s = fs::WriteFileAtomic(output, *vib, 0644); !s) {
    err << "bnfc-vib build: " << s.error().message << "\n";
    return 2;
  }
  out << "built " << output << ": " << VibId(*check.descriptor) << ", " << vib->size() << " bytes, "
      << check.descriptor->files.size() << " files, sha256 " << check.sha256 << "\n";
  return 0;
}

int Bundle(const cli::Parsed& args, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> vib_files = args.GetAll("vib");
  const std::string output = args.Get("out");
  BundleOptions opts;
  opts.vendor_code = args.Get("vendor-code", opts.vendor_code);
  opts.vendor_name = args.Get("vendor-name", opts.vendor_name);
  if (args.Has("platform")) {
    opts.platforms = args.GetAll("platform");
  }
  if (vib_files.empty() || output.empty()) {
    err << "bnfc-vib bundle: at least one --vib and --out are required\n";
    return 2;
  }
  std::vector<BundleInput> inputs;
  for (const auto& f : vib_files) {
    auto data = fs::ReadFile(f, 4ull << 30);
    if (!data) {
      err << "bnfc-vib bundle: " << data.error().message << "\n";
      return 2;
    }
    inputs.push_back({f, std::move(*data)});
  }
  // Zip entry times are DOS local time: pin the zone so every machine writes the same bytes.
  ::setenv("TZ", "UTC0", 1);
  ::tzset();
  auto zip = BuildBundle(inputs, opts);
  if (!zip) {
    err << "bnfc-vib bundle: " << zip.error().message << "\n";
    return 1;
  }
  BundleReport check = InspectBundle(*zip);
  if (HasErrors(AllProblems(check))) {
    err << "bnfc-vib bundle: the result does not verify (a bug):\n";
    PrintProblems(AllProblems(check), err);
    return 1;
  }
  if (auto s = fs::WriteFileAtomic(output, *zip, 0644); !s) {
    err << "bnfc-vib bundle: " << s.error().message << "\n";
    return 2;
  }
  out << "built " << output << ": " << check.vibs.size() << " VIB(s), " << zip->size()
      << " bytes, sha256 " << check.sha256 << "\n";
  return 0;
}

}  // namespace

// Every command, its options and exit statuses: the one source for parsing and `COMMAND --help`.
static const std::vector<cli::Command>& Commands() {
  using cli::Command;
  using cli::Option;
  const Option json{"json", "", "JSON instead of text"};
  const Option target{"target", "7.0|8.0", "judge for this ESXi release (default: both)", true};
  const std::string checked =
      "  0  no error-level problem (for every target asked)\n"
      "  1  an error-level problem was found (the text says which, and for which release)\n"
      "  2  usage error, or FILE cannot be read\n";
  const std::string made =
      "  0  built and verified\n  1  the build failed (the message says why)\n"
      "  2  usage error, or an input cannot be read or the output written\n";
  static const std::vector<Command> commands = {
      {"inspect",
       "FILE",
       "List a VIB's or offline bundle's members, descriptor, payloads and every problem found.",
       {json, target},
       1,
       1,
       checked},
      {"verify",
       "FILE",
       "Recompute every size and checksum, check the layout and the payload tree, and say what "
       "each\ntarget ESXi release would do.",
       {json, target},
       1,
       1,
       checked},
      {"build",
       "",
       "Make a VIB (GNU ar: descriptor.xml, empty sig.pkcs7, tgz payload) from a key = value\n"
       "manifest and a staged tree. --manifest, --payload and --out are required.",
       {{"manifest", "M", "the manifest (docs/vib.md lists its keys)"},
        {"payload", "DIR", "the staged payload tree"},
        {"out", "FILE.vib", "where to write the VIB"}},
       0,
       0,
       made},
      {"bundle",
       "",
       "Make an ESXi 7+ offline bundle (component form) from VIBs. --vib and --out are required.",
       {{"vib", "FILE.vib", "a VIB to include", true},
        {"out", "FILE.zip", "where to write the bundle"},
        {"vendor-code", "CODE", "the vendor code in the metadata (default: the VIBs' vendor)"},
        {"vendor-name", "NAME", "the vendor name in the metadata (default: the VIBs' vendor)"},
        {"platform", "GLOB", "an ESXi version glob such as 8.* (default: 8.* and 7.*)", true}},
       0,
       0,
       made},
  };
  return commands;
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& cmd = args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    out << kUsage;
    return 0;
  }
  if (cmd == "--version") {
    out << "bnfc-vib " << BNFC_VERSION << "\n";
    return 0;
  }
  const cli::Command* spec = nullptr;
  for (const auto& c : Commands()) {
    spec = c.name == cmd ? &c : spec;
  }
  if (spec == nullptr) {
    err << "bnfc-vib: unknown command '" << cmd << "' (see `bnfc-vib --help`)\n";
    return 2;
  }
  auto parsed = cli::Parse(*spec, {args.begin() + 1, args.end()});
  if (!parsed) {
    err << "bnfc-vib " << parsed.error().message << "\n";
    return 2;
  }
  if (parsed->help) {
    out << cli::Help("bnfc-vib", *spec);
    return 0;
  }
  if (cmd == "inspect" || cmd == "verify") {
    return InspectOrVerify(*parsed, cmd == "verify", out, err);
  }
  if (cmd == "build") {
    return Build(*parsed, out, err);
  }
  return Bundle(*parsed, out, err);
}

}  // namespace bnfc::vib
