#include "core/disk_chain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/tool.h"
#include "lib/disk.h"
#include "lib/util.h"

struct chain {
  path_policy dirs;
  uv_loop_t *loop;
  const char *qemu_img;         /* from --qemu-dir, never searched in $PATH */
  char *top, *current, *format; /* the image being read, and its format (NULL: probed) */
  int depth;
  disk_chain_cb done;
  void *userdata;
};

static void finish(struct chain *c, int r, const struct ma_error *err) {
  c->done(c->userdata, r, err);
  free(c->top);
  free(c->current);
  free(c->format);
  free(c);
}

/* Ends the check with err filled from message (malloc'd, consumed). */
static void refuse(struct chain *c, int errnum, const char *code, char *message) {
  struct ma_error err;
  ma_error_set(&err, errnum, code, "disk", "%s", message ? message : "out of memory");
  free(message);
  finish(c, -EINVAL, &err);
}

/* A file the image opens: the same test as a file named in a request, said of the image that names
 * it. */
static bool allowed(struct chain *c, const char *what, const char *path) {
  struct ma_error err;
  if (path_policy_check_file(c->dirs, path, "disk", &err) == 0)
    return true;
  refuse(c, err.errnum, err.code,
         util_strdupf("%s names %s %s: %s", c->current, what, path, err.message));
  return false;
}

static void step(struct chain *c);

/* The formats the daemon itself boots: any other (vmdk extents, luks, ...) could name files this
 * check does not know how to find, so it is refused rather than half judged. */
static bool known_format(const char *format) {
  return strcmp(format, "qcow2") == 0 || strcmp(format, "raw") == 0;
}

/* true when the image's links are fine; else the check has ended, saying why. */
static bool links_allowed(struct chain *c, const struct disk_links *l) {
  if (!known_format(l->format)) {
    refuse(c, EINVAL, "disk_format_not_supported",
           util_strdupf("%s is a %s image; a disk and its backing files must be qcow2 or raw",
                        c->current, l->format));
    return false;
  }
  if (l->unresolved) {
    refuse(c, EACCES, "path_not_allowed",
           util_strdupf("%s names a backing file qemu-img cannot resolve", c->current));
    return false;
  }
  /* A relative data file name is refused: which directory QEMU takes it from is QEMU's business,
   * not ours. */
  if (l->data_file && l->data_file[0] != '/') {
    refuse(c, EACCES, "path_not_allowed",
           util_strdupf("%s names the relative data file %s; only absolute ones can be judged",
                        c->current, l->data_file));
    return false;
  }
  if (l->data_file && !allowed(c, "the data file", l->data_file))
    return false;
  if (l->backing && !allowed(c, "the backing file", l->backing))
    return false;
  if (l->backing && ++c->depth > DISK_CHAIN_MAX) {
    refuse(c, EINVAL, "disk_chain_too_long",
           util_strdupf("%s has more than %d backing files", c->top, DISK_CHAIN_MAX));
    return false;
  }
  return true;
}

static void on_info(void *userdata, int status, const char *out, const char *err) {
  struct chain *c = userdata;
  struct disk_links l;
  if (status != 0 || disk_links_parse(out, &l) < 0) {
    refuse(c, EINVAL, "disk_unreadable",
           util_strdupf("qemu-img cannot read %s: %s", c->current,
                        status == -ETIMEDOUT ? "it took too long"
                        : err[0]             ? err
                                             : "no reason given"));
    return;
  }
  if (!links_allowed(c, &l)) { /* c is gone */
    disk_links_clear(&l);
    return;
  }
  if (!l.backing) {
    disk_links_clear(&l);
    finish(c, 0, NULL);
    return;
  }
  free(c->current);
  free(c->format);
  c->current = l.backing; /* taken over */
  c->format = l.backing_format;
  l.backing = l.backing_format = NULL;
  disk_links_clear(&l);
  step(c);
}

static void step(struct chain *c) {
  char **argv = disk_info_argv(c->qemu_img, c->current, c->format);
  int r = argv ? tool_run_out(c->loop, argv, DISK_CHAIN_TOOL_MS, on_info, c) : -ENOMEM;
  disk_argv_free(argv);
  if (r < 0)
    on_info(c, r, "", strerror(-r));
}

int disk_chain_check(uv_loop_t *loop, const char *qemu_img, const char *disk, const char *format,
                     path_policy dirs, disk_chain_cb done, void *userdata) {
  struct chain *c = calloc(1, sizeof *c);
  if (!c)
    return -ENOMEM;
  *c = (struct chain){.dirs = dirs,
                      .loop = loop,
                      .qemu_img = qemu_img,
                      .top = strdup(disk),
                      .current = strdup(disk),
                      .format = format ? strdup(format) : NULL,
                      .done = done,
                      .userdata = userdata};
  if (!c->top || !c->current || (format && !c->format)) {
    free(c->top);
    free(c->current);
    free(c->format);
    free(c);
    return -ENOMEM;
  }
  step(c);
  return 0;
}
