/* Disk images: their format (qcow2 or raw, decided by us, never guessed by
 * QEMU) and the qemu-img command lines that create bases and overlays. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* "qcow2" when path starts with the qcow2 magic, "raw" otherwise, NULL when unreadable or not a
 * regular file. */
const char *disk_format(const char *path);
/* NULL-terminated argv (free with disk_argv_free): qemu_img (its path) makes a new qcow2 overlay at
 * path backed by base. */
char **disk_overlay_argv(const char *qemu_img, const char *base, const char *base_format,
                         const char *path);
/* NULL-terminated argv: qemu_img makes a new empty qcow2 of size_mb at path. */
char **disk_create_argv(const char *qemu_img, const char *path, int size_mb);
void disk_argv_free(char **argv);
/* NULL-terminated argv: qemu-img info --output=json of path alone (its backing file is not opened);
 * format NULL lets qemu-img probe, as QEMU probes a backing file whose format its parent does not
 * record. */
char **disk_info_argv(const char *qemu_img, const char *path, const char *format);

/* What one image opens besides itself, from its qemu-img info (all malloc'd or NULL). */
struct disk_links {
  char *format;         /* the image's own format */
  char *backing;        /* its backing file, resolved as QEMU resolves it (full-backing-filename) */
  char *backing_format; /* as the image records it; NULL: QEMU probes */
  char *data_file;      /* a qcow2 external data file, as recorded */
  bool unresolved;      /* a backing file is named that qemu-img could not resolve */
};
/* Parses one `qemu-img info --output=json` reply; -EINVAL when it is not one. */
int disk_links_parse(const char *info_json, struct disk_links *out);
void disk_links_clear(struct disk_links *l);
/* The SHA-256 of the file at path, as 64 hex digits; -errno. Reads it all: call off the loop. */
int disk_sha256(const char *path, char hex[65]);
