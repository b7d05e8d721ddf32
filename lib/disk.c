#include "lib/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/digest.h"
#include "lib/util.h"

const char *disk_format(const char *path) {
  unsigned char magic[4];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  ssize_t n = read(fd, magic, sizeof magic);
  close(fd);
  if (n < 0)
    return NULL;
  return n == 4 && memcmp(magic, "QFI\xfb", 4) == 0 ? "qcow2" : "raw";
}

static char **argv_of(const char *const *args, size_t n) {
  char **argv = calloc(n + 1, sizeof *argv);
  for (size_t i = 0; argv && i < n; i++) {
    argv[i] = strdup(args[i]);
    if (!argv[i]) {
      disk_argv_free(argv);
      return NULL;
    }
  }
  return argv;
}

char **disk_overlay_argv(const char *qemu_img, const char *base, const char *base_format, const char *path) {
  /* -F: the backing format is stated, so QEMU never probes a raw image's content. */
  const char *args[] = {qemu_img, "create", "-q", "-f", "qcow2", "-b", base, "-F", base_format, path};
  return argv_of(args, sizeof args / sizeof args[0]);
}

char **disk_create_argv(const char *qemu_img, const char *path, int size_mb) {
  _cleanup_(util_freep) char *size = util_strdupf("%dM", size_mb);
  const char *args[] = {qemu_img, "create", "-q", "-f", "qcow2", path, size};
  return size ? argv_of(args, sizeof args / sizeof args[0]) : NULL;
}

void disk_argv_free(char **argv) {
  for (size_t i = 0; argv && argv[i]; i++)
    free(argv[i]);
  free(argv);
}

int disk_sha256(const char *path, char hex[65]) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int r = digest_fd(fd, hex, NULL, NULL);
  close(fd);
  return r;
}
