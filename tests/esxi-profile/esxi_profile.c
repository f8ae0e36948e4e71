/* esxi-profile: run a command under an emulation of what ESXi's userworld offers a static Linux
 * binary (docs/install-esxi.md, "What the ESXi profile proves").
 *
 *   esxi-profile [--as MIB] [--deny NAME[=ERRNO]]... [--no-mounts] [--list] -- COMMAND [ARG]...
 *
 * - seccomp: every syscall of the profile list answers ENOSYS (as ESXi does for calls it does not
 *   implement); socket(AF_NETLINK, ...) answers EAFNOSUPPORT; --deny adds a syscall (by name, or
 *   number) with ENOSYS or the given errno, for tests that take away something the agent needs;
 * - a private mount namespace with empty, read-only /proc and /sys (ESXi has no Linux /proc);
 * - an address-space limit (RLIMIT_AS, default 512 MiB: the resource group an SSH or esxcli
 *   started process would get);
 * then execve(COMMAND) in the same process, so its pid, signals and exit status are the command's.
 * Everything is inherited by the command's children: commands that must run outside the profile
 * (the esxsim behind esxcli/localcli/vmkping) are reached through esxi-relay.
 *
 * x86-64 only. Not root: a user namespace maps the caller to root inside so the mounts work. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __x86_64__
#error "esxi-profile models x86-64 ESXi only"
#endif

struct denied {
  const char* name;
  int nr;
  int err;
};

/* field-notes-2 section 2: absent on ESXi (epoll_pwait, epoll_pwait2, getrandom) or of unknown
 * coverage, which an agent must survive without. */
static const struct denied kProfile[] = {
    {"epoll_pwait", 281, ENOSYS},     {"epoll_pwait2", 441, ENOSYS},
    {"getrandom", 318, ENOSYS},       {"clone3", 435, ENOSYS},
    {"rseq", 334, ENOSYS},            {"statx", 332, ENOSYS},
    {"close_range", 436, ENOSYS},     {"faccessat2", 439, ENOSYS},
    {"openat2", 437, ENOSYS},         {"pidfd_open", 434, ENOSYS},
    {"membarrier", 324, ENOSYS},      {"io_uring_setup", 425, ENOSYS},
    {"memfd_create", 319, ENOSYS},    {"copy_file_range", 326, ENOSYS},
    {"preadv2", 327, ENOSYS},         {"pwritev2", 328, ENOSYS},
    {"futex_waitv", 449, ENOSYS},     {"eventfd2", 290, ENOSYS},
    {"epoll_create1", 291, ENOSYS},   {"accept4", 288, ENOSYS},
    {"pselect6", 270, ENOSYS},
};
#define PROFILE_COUNT (sizeof(kProfile) / sizeof(kProfile[0]))

/* Names accepted by --deny besides the profile's own (syscalls the agent does need). */
static const struct denied kKnown[] = {
    {"socket", 41, 0},   {"connect", 42, 0},  {"poll", 7, 0},    {"ppoll", 271, 0},
    {"openat", 257, 0},  {"read", 0, 0},      {"write", 1, 0},   {"clone", 56, 0},
    {"fork", 57, 0},     {"vfork", 58, 0},    {"execve", 59, 0}, {"wait4", 61, 0},
    {"pipe2", 293, 0},   {"socketpair", 53, 0}, {"mmap", 9, 0},  {"madvise", 28, 0},
    {"uname", 63, 0},    {"sendto", 44, 0},   {"recvfrom", 45, 0}, {"epoll_wait", 232, 0},
    {"epoll_create", 213, 0}, {"eventfd", 284, 0}, {"select", 23, 0}, {"accept", 43, 0},
};
#define KNOWN_COUNT (sizeof(kKnown) / sizeof(kKnown[0]))

#define MAX_DENY 64

static void usage(void) {
  fprintf(stderr,
          "usage: esxi-profile [--as MIB] [--deny NAME[=ERRNO]]... [--no-mounts] [--list] -- "
          "COMMAND [ARG]...\n");
}

static int lookup(const char* name) {
  for (size_t i = 0; i < PROFILE_COUNT; ++i) {
    if (strcmp(kProfile[i].name, name) == 0) {
      return kProfile[i].nr;
    }
  }
  for (size_t i = 0; i < KNOWN_COUNT; ++i) {
    if (strcmp(kKnown[i].name, name) == 0) {
      return kKnown[i].nr;
    }
  }
  char* end = NULL;
  long nr = strtol(name, &end, 10);
  return (*name != '\0' && *end == '\0' && nr >= 0 && nr < 1024) ? (int)nr : -1;
}

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return -1;
  }
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int private_mounts(void) {
  if (unshare(CLONE_NEWNS) != 0) {
    if (errno != EPERM) {
      return -1;
    }
    /* Not root: a user namespace in which the caller is root, for the mount namespace only. */
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
      return -1;
    }
    char map[64];
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) != 0 ||
        write_file("/proc/self/setgroups", "deny") != 0) {
      return -1;
    }
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
    if (write_file("/proc/self/gid_map", map) != 0) {
      return -1;
    }
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    return -1;
  }
  /* Empty, read-only: nothing to read, nothing to create. */
  if (mount("esxi-profile", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
            "size=4k,mode=555") != 0 ||
      mount("esxi-profile", "/sys", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
            "size=4k,mode=555") != 0) {
    return -1;
  }
  return 0;
}

static int install_filter(const struct denied* deny, size_t count) {
  /* arch check, load nr, one compare per denied syscall, socket(AF_NETLINK), allow. */
  struct sock_filter prog[8 + 2 * MAX_DENY];
  size_t n = 0;
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                           offsetof(struct seccomp_data, arch));
  prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                           offsetof(struct seccomp_data, nr));
  /* x32 syscalls (bit 30) are not ESXi's either. */
  prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  for (size_t i = 0; i < count; ++i) {
    prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)deny[i].nr, 0, 1);
    prog[n++] =
        (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (deny[i].err & 0xffff));
  }
  /* socket(domain == AF_NETLINK) -> EAFNOSUPPORT */
  prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 3);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                           offsetof(struct seccomp_data, args[0]));
  prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 1);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT);
  prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog fprog = {(unsigned short)n, prog};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return -1;
  }
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog);
}

int main(int argc, char** argv) {
  struct denied deny[MAX_DENY];
  size_t count = 0;
  for (size_t i = 0; i < PROFILE_COUNT; ++i) {
    deny[count++] = kProfile[i];
  }
  unsigned long long as_mib = 512;
  int mounts = 1;
  int i = 1;
  for (; i < argc; ++i) {
    if (strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    } else if (strcmp(argv[i], "--as") == 0 && i + 1 < argc) {
      char* end = NULL;
      as_mib = strtoull(argv[++i], &end, 10);
      if (*end != '\0' || as_mib == 0) {
        fprintf(stderr, "esxi-profile: --as expects a size in MiB above 0, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--deny") == 0 && i + 1 < argc) {
      char name[64];
      snprintf(name, sizeof(name), "%s", argv[++i]);
      int err = ENOSYS;
      char* eq = strchr(name, '=');
      if (eq != NULL) {
        *eq = '\0';
        err = atoi(eq + 1);
        if (err <= 0 || err > 4095) {
          fprintf(stderr, "esxi-profile: --deny %s: errno must be 1..4095\n", argv[i]);
          return 2;
        }
      }
      int nr = lookup(name);
      if (nr < 0 || count >= MAX_DENY) {
        fprintf(stderr, "esxi-profile: --deny: unknown syscall '%s' (a name or an x86-64 number)\n",
                name);
        return 2;
      }
      deny[count++] = (struct denied){argv[i], nr, err};
    } else if (strcmp(argv[i], "--no-mounts") == 0) {
      mounts = 0;
    } else if (strcmp(argv[i], "--list") == 0) {
      for (size_t k = 0; k < count; ++k) {
        printf("%s %d %s\n", deny[k].name, deny[k].nr, strerror(deny[k].err));
      }
      printf("socket(AF_NETLINK) %d %s\n", SYS_socket, strerror(EAFNOSUPPORT));
      return 0;
    } else {
      usage();
      return 2;
    }
  }
  if (i >= argc) {
    usage();
    return 2;
  }
  if (mounts && private_mounts() != 0) {
    fprintf(stderr, "esxi-profile: cannot make empty /proc and /sys in a private mount namespace: %s\n",
            strerror(errno));
    return 125;
  }
  struct rlimit as = {(rlim_t)(as_mib << 20), (rlim_t)(as_mib << 20)};
  if (setrlimit(RLIMIT_AS, &as) != 0) {
    fprintf(stderr, "esxi-profile: setrlimit(RLIMIT_AS): %s\n", strerror(errno));
    return 125;
  }
  if (install_filter(deny, count) != 0) {
    fprintf(stderr, "esxi-profile: seccomp: %s\n", strerror(errno));
    return 125;
  }
  execvp(argv[i], &argv[i]);
  fprintf(stderr, "esxi-profile: cannot run %s: %s\n", argv[i], strerror(errno));
  return 127;
}
