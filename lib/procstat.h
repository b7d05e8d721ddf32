/* What /proc says about a process: memory and CPU use of a QEMU. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

struct procstat {
  int64_t rss_kb;         /* resident set size */
  int64_t minflt, majflt; /* page faults since start */
  int64_t utime_ms, stime_ms;
};

#define PROCSTAT_MAX_VCPUS 64

/* One sample of a QEMU: the process, its vCPU threads, the guest's RAM. */
struct procstat_sample {
  struct procstat proc;
  int64_t vcpu_ms[PROCSTAT_MAX_VCPUS]; /* user + system time of each vCPU thread */
  size_t n_vcpus;                      /* 0 when the thread ids are not known */
  int64_t guest_ram_mb;                /* -1 when unknown */
  int64_t guest_mapped_kb; /* "info mem" (TCG, rate-limited): -1 when not measured in this sample */
  int64_t info_mem_us;     /* what that query took, QMP round trip; -1 likewise */
};

/* Reads /proc/PID/stat and /proc/PID/status; -errno when the process is gone. */
int procstat_read(pid_t pid, struct procstat *out);
/* User + system CPU time of thread tid of process pid, in ms; -errno when gone. */
int procstat_thread_ms(pid_t pid, int tid, int64_t *ms);
/* Parses the text of /proc/PID/stat (fields after the command name); -EINVAL on a bad line. */
int procstat_parse_stat(const char *text, struct procstat *out, long ticks_per_s);
