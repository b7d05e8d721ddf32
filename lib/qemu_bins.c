#include "lib/qemu_bins.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

static const struct {
  const char *name, *arch;
} bins[QEMU_N_BINS] = {
    [QEMU_I386] = {"qemu-system-i386", "i386"},
    [QEMU_X86_64] = {"qemu-system-x86_64", "x86_64"},
    [QEMU_ARM] = {"qemu-system-arm", "arm"},
    [QEMU_AARCH64] = {"qemu-system-aarch64", "aarch64"},
    [QEMU_IMG] = {"qemu-img", NULL},
};

const char *qemu_bins_name(enum qemu_bin b) { return b < QEMU_N_BINS ? bins[b].name : NULL; }

int qemu_bins_for_arch(const char *arch) {
  for (int b = 0; arch && b < QEMU_N_BINS; b++)
    if (bins[b].arch && strcmp(bins[b].arch, arch) == 0)
      return b;
  return -1;
}

int qemu_bins_resolve(struct qemu_bins *q, const char *dir) {
  memset(q, 0, sizeof *q);
  q->dir = strdup(dir);
  if (!q->dir)
    return -ENOMEM;
  for (int b = 0; b < QEMU_N_BINS; b++) {
    char *path = util_strdupf("%s/%s", dir, bins[b].name);
    struct stat st;
    if (!path) {
      qemu_bins_clear(q);
      return -ENOMEM;
    }
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
      q->path[b] = path;
    else
      free(path);
  }
  return 0;
}

void qemu_bins_clear(struct qemu_bins *q) {
  if (!q)
    return;
  free(q->dir);
  for (int b = 0; b < QEMU_N_BINS; b++)
    free(q->path[b]);
  memset(q, 0, sizeof *q);
}

json_t *qemu_bins_json(const struct qemu_bins *q) {
  json_t *paths = json_object();
  for (int b = 0; b < QEMU_N_BINS; b++)
    json_object_set_new(paths, bins[b].name, q->path[b] ? json_string(q->path[b]) : json_null());
  return json_pack("{s:s?, s:o}", "dir", q->dir, "binaries", paths);
}
