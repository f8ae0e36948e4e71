// Small file helpers with the error style of the project.
#pragma once

#include <string>
#include <sys/types.h>

#include "bnfc/expected.h"

namespace bnfc::fs {

Expected<std::string> ReadFile(const std::string& path, size_t max_bytes = 64u << 20);
// Writes to a temporary file in the same directory, fsyncs it, sets `mode`, renames over `path`:
// readers see the old or the new file, never a partial one.
Status WriteFileAtomic(const std::string& path, const std::string& contents, mode_t mode);
bool Exists(const std::string& path);

}  // namespace bnfc::fs
