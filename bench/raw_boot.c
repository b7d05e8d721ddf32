/* The raw limit for the overhead benchmark: QEMU started exactly as the daemon
 * starts it (-S, QMP and console on unix sockets), `cont` through a minimal
 * QMP client, the console read by a loop that only stamps. Prints the ms from
 * the `cont` acknowledgement to the read that completed the first match of
 * the terminal text. No libuv, no detector, no store.
 * With --lines first, it then prints every console line completed before that, after the stamp of
 * the read that completed it ("US<TAB>LINE", microseconds since `cont`): the fidelity bench's
 * anchor. usage: raw_boot [--lines] TERMINAL_TEXT QEMU_ARGV... (argv must hold -qmp unix:Q and
 * path=S sockets) */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int connect_retry(const char *path) {
  for (int i = 0; i < 3000; i++) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
      return fd;
    close(fd);
    usleep(5000);
  }
  return -1;
}

/* Reads QMP until a line containing want arrives. */
static int qmp_wait(int fd, const char *want) {
  char buf[8192];
  size_t len = 0;
  while (len < sizeof buf - 1) {
    ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
    if (n <= 0)
      return -1;
    len += (size_t)n;
    buf[len] = '\0';
    if (strstr(buf, want))
      return 0;
  }
  return -1;
}

static const char *socket_path(char **argv, const char *prefix, char *out, size_t n) {
  for (int i = 0; argv[i]; i++) {
    const char *p = strstr(argv[i], prefix);
    if (p) {
      p += strlen(prefix);
      snprintf(out, n, "%.*s", (int)strcspn(p, ","), p);
      return out;
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  int lines = argc > 1 && strcmp(argv[1], "--lines") == 0;
  argc -= lines;
  argv += lines;
  if (argc < 3)
    return 2;
  const char *terminal = argv[1];
  char qmp_path[256], ser_path[256];
  if (!socket_path(argv + 2, "unix:", qmp_path, sizeof qmp_path) ||
      !socket_path(argv + 2, "path=", ser_path, sizeof ser_path))
    return 2;
  unlink(qmp_path);
  unlink(ser_path);
  pid_t pid = fork();
  if (pid == 0) {
    /* Started as the daemon starts it: own session, stdin and stdout on /dev/null. */
    setsid();
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    execvp(argv[2], argv + 2);
    _exit(127);
  }
  int qmp = connect_retry(qmp_path);
  if (qmp < 0 || qmp_wait(qmp, "\"QMP\"") < 0)
    return 1;
  const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n", cont[] = "{\"execute\":\"cont\"}\n";
  if (write(qmp, caps, sizeof caps - 1) < 0 || qmp_wait(qmp, "return") < 0)
    return 1;
  int ser = connect_retry(ser_path);
  if (ser < 0 || write(qmp, cont, sizeof cont - 1) < 0 || qmp_wait(qmp, "return") < 0)
    return 1;
  double t0 = now_ms();
  static char log[1 << 20];
  size_t len = 0;
  double t = -1;
  size_t tlen = strlen(terminal);
  static double ends[1 << 14]; /* the stamp of the read that completed each line */
  size_t n_ends = 0;
  while (t < 0 && len < sizeof log - 1) {
    ssize_t n = read(ser, log + len, sizeof log - 1 - len);
    double stamp = now_ms();
    if (n <= 0)
      break;
    for (ssize_t i = 0; lines && i < n && n_ends < sizeof ends / sizeof ends[0]; i++)
      if (log[len + (size_t)i] == '\n')
        ends[n_ends++] = stamp - t0;
    /* Only the new bytes and the tail the text could start in: QEMU often writes a byte at a time,
     * and searching the whole log on every read costs CPU that the guest's own threads then lack.
     */
    size_t from = len >= tlen ? len - tlen + 1 : 0;
    len += (size_t)n;
    if (memmem(log + from, len - from, terminal, tlen))
      t = stamp - t0;
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  if (t < 0)
    return 1;
  printf("%.3f\n", t);
  for (size_t i = 0, start = 0, k = 0; lines && i < len && k < n_ends; i++) {
    if (log[i] != '\n')
      continue;
    printf("%.0f\t%.*s\n", ends[k++] * 1000, (int)(i - start), log + start);
    start = i + 1;
  }
  return 0;
}
