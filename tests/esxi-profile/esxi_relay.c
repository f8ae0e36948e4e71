/* esxi-relay: esxcli/localcli/vmkping for a process under esxi-profile, run outside the profile.
 *
 * On ESXi those commands are not part of the agent's process tree in any way that matters: they
 * are VMware's, with their own access to the VMkernel. In the lab they are esxsim, which needs
 * netlink and /proc on Linux; run under the agent's profile they would fail for reasons ESXi
 * does not have. So the agent runs this client under the names esxcli/localcli/vmkping (symlinks);
 * it forwards its argv and stdin over a unix socket to `esxi-relay serve`, started outside the
 * profile in the host's network namespace, which runs the real command there and returns its
 * stdout, stderr and exit status. The client itself needs only socket(AF_UNIX), connect, read,
 * write and exit, which the profile allows.
 *
 *   esxi-relay serve SOCKET REAL_DIR   serve REAL_DIR/{esxcli,localcli,vmkping}
 *   esxcli|localcli|vmkping ARG...     (symlink to esxi-relay) forward to $ESXI_RELAY_SOCKET
 *
 * SOCKET is a path or @NAME (an abstract socket: per network namespace, no path length limit).
 * With ESXI_RELAY_LOG=FILE the server appends each relayed command line to FILE (benchmarks
 * count cycles and launches with it).
 * Exit status: the command's; a signal N comes back as 128+N; relay failures exit 126 with a
 * message on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 256
#define MAX_FIELD (16u << 20) /* output cap per stream */

static const char* const kCommands[] = {"esxcli", "localcli", "vmkping"};

static int address(const char* spec, struct sockaddr_un* sa, socklen_t* len) {
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  size_t n = strlen(spec);
  if (n == 0 || n >= sizeof(sa->sun_path)) {
    return -1;
  }
  memcpy(sa->sun_path, spec, n);
  if (spec[0] == '@') {
    sa->sun_path[0] = '\0';
  }
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (spec[0] == '@' ? 0 : 1));
  return 0;
}

static int write_all(int fd, const void* buf, size_t n) {
  const char* p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    if (w <= 0) {
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void* buf, size_t n) {
  char* p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      return -1;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static int put_field(int fd, const char* data, uint32_t n) {
  return write_all(fd, &n, sizeof(n)) || write_all(fd, data, n);
}

/* A field of at most MAX_FIELD bytes, NUL-terminated, malloc'd. */
static char* get_field(int fd, uint32_t* len) {
  uint32_t n = 0;
  if (read_all(fd, &n, sizeof(n)) != 0 || n > MAX_FIELD) {
    return NULL;
  }
  char* b = malloc((size_t)n + 1);
  if (b == NULL || read_all(fd, b, n) != 0) {
    free(b);
    return NULL;
  }
  b[n] = '\0';
  *len = n;
  return b;
}

struct buf {
  char* data;
  size_t len;
};

static void append(struct buf* b, const char* p, size_t n) {
  if (b->len + n > MAX_FIELD) {
    n = MAX_FIELD - b->len; /* capped: the rest is read and dropped */
  }
  if (n == 0) {
    return;
  }
  char* d = realloc(b->data, b->len + n);
  if (d == NULL) {
    return;
  }
  memcpy(d + b->len, p, n);
  b->data = d;
  b->len += n;
}

/* ---- client ---------------------------------------------------------------------------------- */

static int client(const char* name, int argc, char** argv) {
  const char* spec = getenv("ESXI_RELAY_SOCKET");
  struct sockaddr_un sa;
  socklen_t len = 0;
  if (spec == NULL || address(spec, &sa, &len) != 0) {
    fprintf(stderr, "esxi-relay: %s: ESXI_RELAY_SOCKET is not set to a socket\n", name);
    return 126;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr*)&sa, len) != 0) {
    fprintf(stderr, "esxi-relay: %s: cannot reach the relay at %s: %s\n", name, spec,
            strerror(errno));
    return 126;
  }
  struct buf in = {NULL, 0};
  char chunk[65536];
  for (;;) {
    ssize_t r = read(STDIN_FILENO, chunk, sizeof(chunk));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r <= 0) {
      break;
    }
    append(&in, chunk, (size_t)r);
  }
  uint32_t n = (uint32_t)argc;
  int bad = write_all(fd, &n, sizeof(n)) || put_field(fd, name, (uint32_t)strlen(name));
  for (int i = 1; i < argc && !bad; ++i) {
    bad = put_field(fd, argv[i], (uint32_t)strlen(argv[i]));
  }
  bad = bad || put_field(fd, in.data ? in.data : "", (uint32_t)in.len);
  uint32_t out_len = 0, err_len = 0;
  char* out = bad ? NULL : get_field(fd, &out_len);
  char* err = out ? get_field(fd, &err_len) : NULL;
  int32_t status = 0;
  if (err == NULL || read_all(fd, &status, sizeof(status)) != 0) {
    fprintf(stderr, "esxi-relay: %s: the relay at %s did not answer\n", name, spec);
    return 126;
  }
  write_all(STDOUT_FILENO, out, out_len);
  write_all(STDERR_FILENO, err, err_len);
  return status;
}

/* ---- server ---------------------------------------------------------------------------------- */

static void serve_one(int fd, const char* real_dir) {
  uint32_t argc = 0;
  if (read_all(fd, &argc, sizeof(argc)) != 0 || argc == 0 || argc > MAX_ARGS) {
    return;
  }
  char* args[MAX_ARGS + 1] = {0};
  for (uint32_t i = 0; i < argc; ++i) {
    uint32_t n = 0;
    if ((args[i] = get_field(fd, &n)) == NULL) {
      return;
    }
  }
  uint32_t in_len = 0;
  char* in = get_field(fd, &in_len);
  if (in == NULL) {
    return;
  }
  int known = 0;
  for (size_t i = 0; i < sizeof(kCommands) / sizeof(kCommands[0]); ++i) {
    known = known || strcmp(args[0], kCommands[i]) == 0;
  }
  const char* log = getenv("ESXI_RELAY_LOG");
  if (log != NULL && *log != '\0') {
    struct buf line = {NULL, 0};
    for (uint32_t i = 0; i < argc; ++i) {
      append(&line, i ? " " : "", i ? 1 : 0);
      append(&line, args[i], strlen(args[i]));
    }
    append(&line, "\n", 1);
    int lf = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (lf >= 0) {
      write_all(lf, line.data, line.len); /* one write: lines from parallel requests stay whole */
      close(lf);
    }
    free(line.data);
  }
  struct buf out = {NULL, 0}, err = {NULL, 0};
  int32_t status = 126;
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", real_dir, args[0]);
  int pin[2], pout[2], perr[2];
  if (!known) {
    const char* m = "esxi-relay: only esxcli, localcli and vmkping are relayed\n";
    append(&err, m, strlen(m));
  } else if (pipe2(pin, O_CLOEXEC) == 0 && pipe2(pout, O_CLOEXEC) == 0 &&
             pipe2(perr, O_CLOEXEC) == 0) {
    pid_t pid = fork();
    if (pid == 0) {
      dup2(pin[0], 0);
      dup2(pout[1], 1);
      dup2(perr[1], 2);
      signal(SIGPIPE, SIG_DFL);
      args[0] = path;
      execv(path, args);
      fprintf(stderr, "esxi-relay: cannot run %s: %s\n", path, strerror(errno));
      _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    write_all(pin[1], in, in_len);
    close(pin[1]);
    struct pollfd p[2] = {{pout[0], POLLIN, 0}, {perr[0], POLLIN, 0}};
    int open_fds = 2;
    char chunk[65536];
    while (open_fds > 0 && poll(p, 2, -1) >= 0) {
      for (int k = 0; k < 2; ++k) {
        if (p[k].fd >= 0 && p[k].revents) {
          ssize_t r = read(p[k].fd, chunk, sizeof(chunk));
          if (r > 0) {
            append(k == 0 ? &out : &err, chunk, (size_t)r);
          } else if (r == 0 || errno != EINTR) {
            close(p[k].fd);
            p[k].fd = -1;
            --open_fds;
          }
        }
      }
    }
    int ws = 0;
    if (pid > 0 && waitpid(pid, &ws, 0) == pid) {
      status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    }
  }
  if (put_field(fd, out.data ? out.data : "", (uint32_t)out.len) == 0 &&
      put_field(fd, err.data ? err.data : "", (uint32_t)err.len) == 0) {
    write_all(fd, &status, sizeof(status));
  }
}

static int server(const char* spec, const char* real_dir) {
  struct sockaddr_un sa;
  socklen_t len = 0;
  if (address(spec, &sa, &len) != 0) {
    fprintf(stderr, "esxi-relay serve: bad socket '%s'\n", spec);
    return 2;
  }
  if (spec[0] != '@') {
    unlink(spec);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr*)&sa, len) != 0 || listen(fd, 64) != 0) {
    fprintf(stderr, "esxi-relay serve: %s: %s\n", spec, strerror(errno));
    return 1;
  }
  /* Connections are served by children; the kernel reaps them. */
  struct sigaction sa_chld;
  memset(&sa_chld, 0, sizeof(sa_chld));
  sa_chld.sa_handler = SIG_IGN;
  sa_chld.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &sa_chld, NULL);
  signal(SIGPIPE, SIG_IGN);
  fprintf(stderr, "esxi-relay: serving %s/{esxcli,localcli,vmkping} on %s\n", real_dir, spec);
  for (;;) {
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      fprintf(stderr, "esxi-relay serve: accept: %s\n", strerror(errno));
      return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(fd);
      signal(SIGCHLD, SIG_DFL); /* this child waits for its command */
      serve_one(c, real_dir);
      _exit(0);
    }
    close(c);
  }
}

int main(int argc, char** argv) {
  const char* base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  for (size_t i = 0; i < sizeof(kCommands) / sizeof(kCommands[0]); ++i) {
    if (strcmp(base, kCommands[i]) == 0) {
      return client(base, argc, argv);
    }
  }
  if (argc == 4 && strcmp(argv[1], "serve") == 0) {
    return server(argv[2], argv[3]);
  }
  fprintf(stderr,
          "usage: esxi-relay serve SOCKET REAL_DIR\n"
          "       esxcli|localcli|vmkping ARG...   (as a symlink to esxi-relay)\n");
  return 2;
}
