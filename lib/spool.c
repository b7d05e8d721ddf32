#include "lib/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

char *spool_path(const char *dir, enum spool_file which, long k) {
  static const char *const fmt[] = {[SPOOL_TASK] = "%s/task-%ld.json",
                                    [SPOOL_SERIAL] = "%s/serial-%ld.log",
                                    [SPOOL_RESULT] = "%s/result-%ld.json"};
  return util_strdupf(fmt[which], dir, k);
}

static int write_all(int fd, const char *p, size_t len) {
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* A temporary name beside path: the rename stays on one filesystem. */
static int open_temp(const char *path, char **tmp) {
  *tmp = util_strdupf("%s.tmp-XXXXXX", path);
  if (!*tmp)
    return -ENOMEM;
  int fd = mkstemp(*tmp);
  if (fd < 0)
    return -errno;
  if (fchmod(fd, 0640) < 0) {
    int e = -errno;
    close(fd);
    unlink(*tmp);
    return e;
  }
  return fd;
}

static int finish(int fd, char *tmp, const char *path, int e, bool durable) {
  if (e == 0 && durable && fsync(fd) < 0)
    e = -errno;
  if (close(fd) < 0 && e == 0)
    e = -errno;
  if (e == 0 && rename(tmp, path) < 0)
    e = -errno;
  if (e < 0)
    unlink(tmp);
  free(tmp);
  return e;
}

int spool_write_atomic(const char *path, const void *data, size_t len, bool durable) {
  char *tmp;
  int fd = open_temp(path, &tmp);
  if (fd < 0) {
    free(tmp);
    return fd;
  }
  return finish(fd, tmp, path, write_all(fd, data, len), durable);
}

int spool_copy_atomic(const char *from, const char *path, bool durable) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return -errno;
  char *tmp;
  int fd = open_temp(path, &tmp);
  if (fd < 0) {
    close(in);
    free(tmp);
    return fd;
  }
  char buf[65536];
  ssize_t n;
  int e = 0;
  while (e == 0 && (n = read(in, buf, sizeof buf)) != 0)
    e = n < 0 ? (errno == EINTR ? 0 : -errno) : write_all(fd, buf, (size_t)n);
  close(in);
  return finish(fd, tmp, path, e, durable);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int spool_remove_tree(const char *path) {
  return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}
