/* Disk images: their format (qcow2 or raw, decided by us, never guessed by
 * QEMU) and the qemu-img command lines that create bases and overlays. */
#pragma once
#include <stddef.h>

/* "qcow2" when path starts with the qcow2 magic, "raw" otherwise, NULL when unreadable. */
const char *disk_format(const char *path);
/* NULL-terminated argv (free with disk_argv_free): qemu_img (its path) makes a new qcow2 overlay at path
 * backed by base. */
char **disk_overlay_argv(const char *qemu_img, const char *base, const char *base_format, const char *path);
/* NULL-terminated argv: qemu_img makes a new empty qcow2 of size_mb at path. */
char **disk_create_argv(const char *qemu_img, const char *path, int size_mb);
void disk_argv_free(char **argv);
/* The SHA-256 of the file at path, as 64 hex digits; -errno. Reads it all: call off the loop. */
int disk_sha256(const char *path, char hex[65]);
