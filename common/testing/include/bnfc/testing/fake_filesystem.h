// In-memory bnfc::Filesystem for tests: files are a map from path to contents and mode; writes can
// be made to fail. Test-only (target bnfc_testing): product binaries never link it.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "bnfc/env.h"
#include "bnfc/expected.h"

namespace bnfc {

class FakeFilesystem : public Filesystem {
 public:
  struct File {
    std::string contents;
    mode_t mode = 0644;
  };

  // Same contract as fs::ReadFile: kNotFound for a missing file, kInvalidArgument when larger
  // than max_bytes.
  Expected<std::string> ReadFile(const std::string& path, size_t max_bytes = 64u << 20) override {
    reads.push_back(path);
    auto it = files.find(path);
    if (it == files.end()) {
      return Unexpected(ErrorCode::kNotFound,
                        "cannot open " + path + ": No such file or directory");
    }
    if (it->second.contents.size() > max_bytes) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    return it->second.contents;
  }

  // All or nothing, like fs::WriteFileAtomic: a failing write leaves the old contents.
  Status WriteFileAtomic(const std::string& path, const std::string& contents,
                         mode_t mode) override {
    writes.push_back(path);
    if (fail_writes) {
      return Unexpected(ErrorCode::kIo, "cannot write " + path + ": injected failure");
    }
    files[path] = File{contents, mode};
    return OkStatus();
  }

  bool Exists(const std::string& path) override { return files.count(path) > 0; }

  std::map<std::string, File> files;
  std::vector<std::string> reads;   // every path read, in order
  std::vector<std::string> writes;  // every path written (or attempted), in order
  bool fail_writes = false;
};

}  // namespace bnfc
