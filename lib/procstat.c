#include "lib/procstat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int procstat_parse_stat(const char *text, struct procstat *out, long ticks_per_s) {
  /* The command name may hold spaces and parentheses: fields start after the last ')'. */
  const char *p = strrchr(text, ')');
  if (!p || ticks_per_s <= 0)
    return -EINVAL;
  char state;
  long long minflt, cminflt, majflt, cmajflt, utime, stime;
  int n = sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %lld %lld %lld %lld %lld %lld", &state,
                 &minflt, &cminflt, &majflt, &cmajflt, &utime, &stime);
  if (n != 7)
    return -EINVAL;
  out->minflt = minflt;
  out->majflt = majflt;
  out->utime_ms = utime * 1000 / ticks_per_s;
  out->stime_ms = stime * 1000 / ticks_per_s;
  return 0;
}

static int read_text(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  if (!f)
    return -errno;
  size_t n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = '\0';
  return n ? 0 : -EIO;
}

int procstat_read(pid_t pid, struct procstat *out) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int r = read_text(path, buf, sizeof buf);
  if (r == 0)
    r = procstat_parse_stat(buf, out, sysconf(_SC_CLK_TCK));
  if (r < 0)
    return r;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  r = read_text(path, buf, sizeof buf);
  const char *rss = r == 0 ? strstr(buf, "VmRSS:") : NULL;
  /* An exiting process has no VmRSS line: it is gone, not using 0 kB. */
  if (!rss)
    return r < 0 ? r : -ESRCH;
  out->rss_kb = strtoll(rss + 6, NULL, 10);
  return 0;
}

int procstat_thread_ms(pid_t pid, int tid, int64_t *ms) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, tid);
  struct procstat ps;
  int r = read_text(path, buf, sizeof buf);
  if (r == 0)
    r = procstat_parse_stat(buf, &ps, sysconf(_SC_CLK_TCK));
  if (r == 0)
    *ms = ps.utime_ms + ps.stime_ms;
  return r;
}
