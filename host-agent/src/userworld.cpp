#include "hostagent/userworld.h"

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bnfc::hostagent {
namespace {

int g_urandom = -1;

void FillFromUrandom(void* buf, size_t size) {
  char* p = static_cast<char*>(buf);
  while (size > 0) {
    ssize_t n = ::read(g_urandom, p, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      // Keys and nonces from a broken source would be worse than stopping; the supervisor
      // restarts the agent.
      static const char kMsg[] = "bnfc-hostd: cannot read /dev/urandom; stopping\n";
      ssize_t ignored = ::write(2, kMsg, sizeof(kMsg) - 1);
      (void)ignored;
      std::_Exit(1);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

const char* UrandomName() {
  return "bnfc-urandom";
}

uint32_t UrandomRandom() {
  uint32_t v = 0;
  FillFromUrandom(&v, sizeof(v));
  return v;
}

randombytes_implementation g_impl = {
    UrandomName,     UrandomRandom,
    nullptr,  // stir: nothing to stir, every call reads the kernel's pool
    nullptr,  // uniform: libsodium's generic rejection sampling over random()
    FillFromUrandom,
    nullptr,  // close: the descriptor lives as long as the process
};

}  // namespace

Status PrepareUserworld(const UserworldOptions& options) {
  if (options.malloc_arenas > 0) {
    mallopt(M_ARENA_MAX, options.malloc_arenas);
  }
  if (options.thread_stack_bytes > 0) {
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) == 0) {
      pthread_attr_setstacksize(&attr, options.thread_stack_bytes);
      pthread_setattr_default_np(&attr);
      pthread_attr_destroy(&attr);
    }
  }
  if (g_urandom < 0) {
    g_urandom = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (g_urandom < 0) {
      return Unexpected(ErrorCode::kIo,
                        std::string("cannot open /dev/urandom: ") + std::strerror(errno));
    }
  }
  if (randombytes_set_implementation(&g_impl) != 0) {
    return Unexpected(ErrorCode::kInternal, "libsodium refused the /dev/urandom source");
  }
  return OkStatus();
}

}  // namespace bnfc::hostagent
