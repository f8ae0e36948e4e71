// Reading and checking VIBs and offline bundles: `bnfc-vib inspect` and `bnfc-vib verify`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bnfc/vib/ar.h"
#include "bnfc/vib/descriptor.h"
#include "bnfc/vib/payload.h"
#include "bnfc/vib/problem.h"

namespace bnfc::vib {

struct PayloadReport {
  std::string member;  // ar member name
  std::string declared_type;
  PayloadInfo info;
};

struct VibReport {
  uint64_t size = 0;
  std::string sha256;
  std::vector<ArMember> members;  // data views point into the inspected bytes
  std::optional<Descriptor> descriptor;
  bool signed_vib = false;  // sig.pkcs7 is not empty
  std::vector<PayloadReport> payloads;
  Problems problems;
};

struct BundleVib {
  std::string path;    // inside the zip
  std::string vib_id;  // from the depot metadata
  VibReport report;
};

struct BundleReport {
  uint64_t size = 0;
  std::string sha256;
  std::vector<std::pair<std::string, uint64_t>> entries;  // zip member paths and sizes
  std::vector<std::string> metadata_entries;              // members of metadata.zip
  bool component = false;                                 // componentNameSpec present
  std::vector<std::string> platforms;                     // softwarePlatform versions
  std::vector<BundleVib> vibs;
  Problems problems;  // bundle problems; each VIB's own problems stay in its report
};

enum class FileKind { kVib, kBundle, kUnknown };
FileKind DetectKind(std::string_view bytes);

VibReport InspectVib(std::string_view bytes, uint64_t max_gunzip = kMaxGunzipBytes);
BundleReport InspectBundle(std::string_view bytes, uint64_t max_gunzip = kMaxGunzipBytes);

// Every problem of a bundle, the VIBs' ones with "<path>: " in front of `where`.
Problems AllProblems(const BundleReport& r);

// What one ESXi release would do with a VIB, beyond the checks that hold for every release.
// Each rule and its evidence is in docs/vib.md ("Per-release rules"): errors only for what that
// release is known to refuse, warnings for what it is known or suspected to trip over.
enum class Release { k70, k80 };
inline constexpr Release kAllReleases[] = {Release::k70, Release::k80};
const char* ReleaseName(Release r);  // "7.0", "8.0"
std::optional<Release> ParseRelease(std::string_view text);
Problems ReleaseProblems(const VibReport& r, Release release);
// Every VIB of the bundle, with "<path>: " in front of `where`.
Problems ReleaseProblems(const BundleReport& r, Release release);

nlohmann::json ToJson(const VibReport& r);
nlohmann::json ToJson(const BundleReport& r);
nlohmann::json ToJson(const Problem& p);

// Reads a zip (libarchive) into (path, bytes) pairs of its regular files; kParse when it is not a
// complete zip or would inflate to more than max_total bytes (checked against each entry's
// declared size before inflating, and while inflating). Entries that are neither files nor
// directories (symlinks, devices) are left out and their paths put in `not_regular`.
Expected<std::vector<std::pair<std::string, std::string>>> ReadZip(
    std::string_view bytes, uint64_t max_total, std::vector<std::string>* not_regular = nullptr);

// A bundle's XML and VIBs compress little (VIBs are already gzip'd): inflating a zip to more than
// 16 MiB plus 16 times its size is refused (a zip bomb, not a depot), so memory stays bounded by
// the input.
inline constexpr uint64_t kZipBudgetBase = 16ull << 20;
inline constexpr uint64_t kZipBudgetRatio = 16;
uint64_t ZipBudget(uint64_t zip_size, uint64_t max_total);

}  // namespace bnfc::vib
