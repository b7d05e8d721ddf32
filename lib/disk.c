#include "lib/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/digest.h"
#include "lib/util.h"

const char *disk_format(const char *path) {
  unsigned char magic[4];
  struct stat st;
  /* O_NONBLOCK: a FIFO put in the disk's place is opened without waiting for a writer, then
   * refused. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return NULL;
  ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, magic, sizeof magic) : -1;
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

char **disk_overlay_argv(const char *qemu_img, const char *base, const char *base_format,
                         const char *path) {
  /* -F: the backing format is stated, so QEMU never probes a raw image's content. */
  const char *args[] = {qemu_img, "create", "-q", "-f",        "qcow2",
                        "-b",     base,     "-F", base_format, path};
  return argv_of(args, sizeof args / sizeof args[0]);
}

char **disk_create_argv(const char *qemu_img, const char *path, int size_mb) {
  _cleanup_(util_freep) char *size = util_strdupf("%dM", size_mb);
  const char *args[] = {qemu_img, "create", "-q", "-f", "qcow2", path, size};
  return size ? argv_of(args, sizeof args / sizeof args[0]) : NULL;
}

char **disk_info_argv(const char *qemu_img, const char *path, const char *format) {
  /* Without --backing-chain qemu-img opens the image alone, not its backing file: each file of a
   * chain is judged before anything opens it. -U: a disk that a running guest holds locked can
   * still be read. */
  const char *probed[] = {qemu_img, "info", "--output=json", "-U", path};
  const char *stated[] = {qemu_img, "info", "--output=json", "-U", "-f", format, path};
  return format ? argv_of(stated, 7) : argv_of(probed, 5);
}

static char *dup_member(json_t *obj, const char *key) {
  const char *v = json_string_value(json_object_get(obj, key));
  return v ? strdup(v) : NULL;
}

int disk_links_parse(const char *info_json, struct disk_links *out) {
  memset(out, 0, sizeof *out);
  json_auto_t *info = json_loads(info_json, 0, NULL);
  if (!json_is_object(info) || !json_is_string(json_object_get(info, "format")))
    return -EINVAL;
  out->format = dup_member(info, "format");
  out->backing = dup_member(info, "full-backing-filename");
  out->backing_format = dup_member(info, "backing-filename-format");
  out->data_file =
      dup_member(json_object_get(json_object_get(info, "format-specific"), "data"), "data-file");
  /* A backing file named but not resolved by qemu-img: nothing here can say which file QEMU would
   * open. */
  out->unresolved = json_object_get(info, "backing-filename") && !out->backing;
  return 0;
}

void disk_links_clear(struct disk_links *l) {
  free(l->format);
  free(l->backing);
  free(l->backing_format);
  free(l->data_file);
  memset(l, 0, sizeof *l);
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
