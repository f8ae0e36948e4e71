// Small file helpers with the error style of the project.
#pragma once

#include <sys/types.h>
#include <string>

#include "bnfc/expected.h"

namespace bnfc::fs {

// Errors name the path and the errno ("cannot open '/x': No such file or directory (ENOENT)"):
// ENOENT/ENOTDIR -> kNotFound, EACCES/EPERM/EROFS -> kPermission, other errno -> kIo; a file over
// `max_bytes` (checked on what is read, so also for /proc files) -> kInvalidArgument.
Expected<std::string> ReadFile(const std::string& path, size_t max_bytes = 64u << 20);
// Writes to a temporary file in the same directory, fsyncs it, sets `mode`, renames over `path`:
// readers see the old or the new file, never a partial one. The mode is set exactly (umask does not
// apply) before the rename, the directory is fsynced after it. On failure the old file is untouched
// and the temporary removed. A symlink at `path` is replaced, not followed.
Status WriteFileAtomic(const std::string& path, const std::string& contents, mode_t mode);
bool Exists(const std::string& path);

}  // namespace bnfc::fs
