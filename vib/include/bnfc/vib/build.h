// Building VIBs and offline bundles, reproducibly (same inputs, same bytes).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bnfc/config.h"
#include "bnfc/expected.h"

namespace bnfc::vib {

// The manifest `bnfc-vib build --manifest` reads (key = value, docs/vib.md).
struct Manifest {
  std::string name, version, vendor, summary, description, release_date;
  std::string payload_name;
  std::string type = "bootbank";
  std::string acceptance_level = "community";
  std::string url;  // website, optional
  bool live_install = true, live_remove = true, maintenance_mode = false, stateless_ready = true;
  std::vector<std::string> sticky;     // payload paths shipped writable + sticky (persisted edits)
  std::vector<std::string> platforms;  // optional <softwarePlatform> versions in system-requires
};

const config::Schema& ManifestSchema();
Expected<Manifest> ParseManifest(const std::string& text, const std::string& source);

// Payload tree entries: every directory and regular file under `dir`, sorted, with normalised
// owners (0/0 root/root), mtime 0 and modes (dirs 0755; files 0755 when the owner may execute,
// else 0644; sticky files 01644 | execute). Symlinks and special files are refused.
struct StagedFile {
  std::string path;  // relative, '/'-separated, directories end with '/'
  bool directory = false;
  unsigned mode = 0;
  std::string data;
};
Expected<std::vector<StagedFile>> StagePayload(const std::string& dir,
                                               const std::vector<std::string>& sticky);

// GNU tar + gzip without timestamp or name (libarchive): the payload member.
Expected<std::string> MakeTgz(const std::vector<StagedFile>& files);

// A zip (libarchive, deflate) with the entries in the given order, all with `mtime` (stored as
// local time in the DOS fields: set TZ for the same bytes everywhere), mode 0644, owner 0/0.
Expected<std::string> WriteZip(const std::vector<std::pair<std::string, std::string>>& entries,
                               long long mtime);

// The whole .vib.
Expected<std::string> BuildVib(const Manifest& manifest, const std::vector<StagedFile>& files);

struct BundleOptions {
  std::string vendor_code;  // default: the VIB vendor
  std::string vendor_name;  // default: the VIB vendor
  std::vector<std::string> platforms = {"8.*", "7.*"};
};
struct BundleInput {
  std::string file_name;  // for messages
  std::string bytes;
};
// The offline bundle (component form). Every VIB must pass verification.
Expected<std::string> BuildBundle(const std::vector<BundleInput>& vibs, const BundleOptions& opts);

}  // namespace bnfc::vib
