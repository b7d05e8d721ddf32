/* What /proc says about a process: memory and CPU use of a QEMU. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

struct procstat {
  int64_t rss_kb;         /* resident set size */
  int64_t minflt, majflt; /* page faults since start */
  int64_t utime_ms, stime_ms;
};

/* Reads /proc/PID/stat and /proc/PID/status; -errno when the process is gone. */
int procstat_read(pid_t pid, struct procstat *out);
/* Parses the text of /proc/PID/stat (fields after the command name); -EINVAL on a bad line. */
int procstat_parse_stat(const char *text, struct procstat *out, long ticks_per_s);
