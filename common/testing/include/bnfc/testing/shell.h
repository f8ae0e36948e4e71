// Test support for running shell commands, and for tests that build networks in private
// namespaces (forked children that unshare CLONE_NEWNET) and drive `ip`. Test-only (bnfc_testing).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace bnfc::testing {

struct ShellResult {
  int status = -1;  // pclose(3)'s wait status; -1 when the shell could not start
  std::string output;
};

// Runs `command` with /bin/sh and collects its standard output.
inline ShellResult RunShell(const std::string& command) {
  ShellResult r;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) {
    r.output.append(buf, n);
  }
  r.status = pclose(p);
  return r;
}

inline std::string ShellOutput(const std::string& command) {
  return RunShell(command).output;
}

// Waits (bounded, 10 s) until every named link reports operstate UP; `prefix` runs `ip` elsewhere
// (e.g. "nsenter --net=/proc/PID/ns/net "). A veth's carrier comes on when both ends are up, but
// the kernel attaches its queue (and sets operstate) later, from its link-watch work: a packet
// sent before then is dropped, so a first ARP or SYN could be lost and a short probe fail.
inline bool WaitOperUp(const std::vector<std::string>& names, const std::string& prefix = "") {
  for (int tries = 0; tries < 1000; ++tries) {
    bool all = true;
    for (const auto& name : names) {
      all = all && ShellOutput(prefix + "ip -o link show dev " + name).find(" state UP ") !=
                       std::string::npos;
    }
    if (all) {
      return true;
    }
    usleep(10000);
  }
  return false;
}

}  // namespace bnfc::testing

// In a forked namespace child, where gtest's assertions cannot report: print the failed check on
// stderr and return 1 from the child's body (the parent asserts on the exit code).
#define BNFC_CHILD_CHECK_MSG(cond, text)                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   std::string(text).c_str());                                          \
      return 1;                                                                         \
    }                                                                                   \
  } while (0)
#define BNFC_CHILD_CHECK(cond) BNFC_CHILD_CHECK_MSG(cond, "")
