#include "lib/vclock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

static const char *const suffixes[] = {".counts", ".hits", ".console"};

char *vclock_file(const char *prefix, enum vclock_file f) {
  return util_strdupf("%s%s", prefix, suffixes[f]);
}

/* A file of the run's, in QEMU's option syntax (a comma doubled). */
static char *escaped_file(const char *prefix, enum vclock_file f) {
  _cleanup_(util_freep) char *path = vclock_file(prefix, f);
  return path ? qemu_opt_escape(path) : NULL;
}

static int add_plugin(struct qemu_cmd *cmd, const struct boot_spec *s) {
  _cleanup_(util_freep) char *plugin = qemu_opt_escape(s->vclock_plugin);
  _cleanup_(util_freep) char *counts = escaped_file(s->vclock_files, VCLOCK_COUNTS);
  _cleanup_(util_freep) char *hits = escaped_file(s->vclock_files, VCLOCK_HITS);
  _cleanup_(util_freep) char *console = escaped_file(s->vclock_files, VCLOCK_CONSOLE);
  if (!plugin || !counts || !hits || !console)
    return -ENOMEM;
  struct util_buf arg = {0};
  util_buf_printf(&arg, "%s,counts=%s,hits=%s,log=%s,max=%d", plugin, counts, hits, console,
                  VCLOCK_COUNTED_BYTES);
  /* The symbol markers' functions: the plugin notes the count at each one's first instruction. */
  for (size_t i = 0; i < s->n_breakpoints; i++)
    util_buf_printf(&arg, ",addr=0x%" PRIx64, s->bp_addrs[i]);
  int r = arg.data ? qemu_cmd_add(cmd, "-plugin") : -ENOMEM;
  if (r == 0)
    r = qemu_cmd_add(cmd, arg.data);
  util_buf_clear(&arg);
  return r;
}

int vclock_qemu_args(const struct boot_spec *s, struct qemu_cmd *cmd) {
  /* sleep=off: an idle guest's wait costs no host time, and virtual time never waits for the
   * host; the shift fixes the rate, so the same instructions run in every boot. */
  _cleanup_(util_freep) char *icount = util_strdupf("shift=%d,sleep=off", s->icount_shift);
  int r = icount ? qemu_cmd_add(cmd, "-icount") : -ENOMEM;
  if (r == 0)
    r = qemu_cmd_add(cmd, icount);
  /* The guest's clock chip too: by default it reads the host's time, and a guest that seeds or
   * decides anything from it (Linux does) runs different instructions in each boot. */
  if (r == 0)
    r = qemu_cmd_add(cmd, "-rtc");
  if (r == 0)
    r = qemu_cmd_add(cmd, "base=" VCLOCK_RTC_BASE ",clock=vm");
  if (r == 0)
    r = add_plugin(cmd, s);
  return r;
}

int64_t vclock_counted_bytes(const char *prefix) {
  _cleanup_(util_freep) char *path = vclock_file(prefix, VCLOCK_COUNTS);
  struct stat st;
  if (!path)
    return -ENOMEM;
  return stat(path, &st) == 0 ? (int64_t)st.st_size / 8 : -errno;
}

int64_t vclock_byte_count(const char *prefix, int64_t offset) {
  _cleanup_(util_freep) char *path = vclock_file(prefix, VCLOCK_COUNTS);
  int fd = path && offset >= 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0)
    return -1;
  uint8_t le[8];
  ssize_t n = pread(fd, le, sizeof le, (off_t)offset * 8);
  close(fd);
  if (n != (ssize_t)sizeof le)
    return -1;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | le[i];
  return v > INT64_MAX ? -1 : (int64_t)v;
}

int vclock_hits(const char *prefix, const uint64_t *addrs, size_t n, int64_t *counts,
                int64_t *total) {
  for (size_t i = 0; i < n; i++)
    counts[i] = -1;
  if (total)
    *total = -1;
  _cleanup_(util_freep) char *path = vclock_file(prefix, VCLOCK_HITS);
  FILE *f = path ? fopen(path, "re") : NULL;
  if (!f)
    return path ? -errno : -ENOMEM;
  char line[128];
  while (fgets(line, sizeof line, f)) {
    uint64_t a, c;
    if (total && sscanf(line, "end %" SCNu64, &c) == 1 && c <= INT64_MAX)
      *total = (int64_t)c;
    else if (sscanf(line, "0x%" SCNx64 " %" SCNu64, &a, &c) == 2 && c <= INT64_MAX)
      for (size_t i = 0; i < n; i++)
        if (addrs[i] == a && counts[i] < 0)
          counts[i] = (int64_t)c;
  }
  fclose(f);
  return 0;
}

void vclock_remove(const char *prefix) {
  for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    _cleanup_(util_freep) char *path = vclock_file(prefix, (enum vclock_file)i);
    if (path)
      unlink(path);
  }
}
