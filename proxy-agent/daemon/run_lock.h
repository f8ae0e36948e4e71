// "Is the daemon running?" for the CLI, without pid files that outlive a crash: the daemon holds
// an exclusive flock on <state_dir>/proxyd.lock for its whole life; the kernel drops it when the
// process ends, however it ends.
#pragma once

#include <string>

#include "bnfc/expected.h"

namespace bnfc::proxyd {

std::string RunLockPath(const std::string& state_dir);

// Takes the lock and keeps it until the process exits (the descriptor is never closed). Fails
// with kConflict when another process holds it (a second daemon on the same state directory).
Expected<int> HoldRunLock(const std::string& state_dir);

// True only when some process holds the lock now. A missing or unreadable lock file counts as
// "not running": the claim that the daemon runs must be proven, not assumed.
bool DaemonRunning(const std::string& state_dir);

}  // namespace bnfc::proxyd
