// What bnfc-hostd does first, for ESXi's userworld (docs/install-esxi.md): bounded address space
// and a randomness source that does not depend on getrandom.
#pragma once

#include <cstddef>

#include "bnfc/expected.h"

namespace bnfc::hostagent {

struct UserworldOptions {
  int malloc_arenas = 1;                   // glibc reserves up to 64 MiB of address space per arena
  size_t thread_stack_bytes = 256u << 10;  // default for threads created later (libzmq's)
};

// Call first thing in main, before any thread exists and before libsodium or libzmq start:
// - mallopt(M_ARENA_MAX) and a small default thread stack (pthread_setattr_default_np), so the
//   daemon's address space stays far below the resource group's limit;
// - libsodium's randomness read from /dev/urandom (randombytes_set_implementation): its default
//   calls getrandom (ENOSYS on ESXi 6.5) and then aborts when polling /dev/random fails.
// An error (no /dev/urandom) is reported before anything else happens.
Status PrepareUserworld(const UserworldOptions& options = {});

}  // namespace bnfc::hostagent
