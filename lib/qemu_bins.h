/* QEMU's programs, looked up once in one directory (--qemu-dir, default
 * /usr/bin) when the daemon starts, never through $PATH: what a run executes
 * is what health shows, whatever the environment of whoever started us. */
#pragma once
#include <jansson.h>

enum qemu_bin { QEMU_I386, QEMU_X86_64, QEMU_ARM, QEMU_AARCH64, QEMU_IMG, QEMU_N_BINS };

struct qemu_bins {
  char *dir;
  char *path[QEMU_N_BINS]; /* NULL: not an executable file in dir */
};

/* Looks the programs up in dir; 0 or -ENOMEM (missing programs are not an error: their arches are
 * refused). */
int qemu_bins_resolve(struct qemu_bins *q, const char *dir);
/* Frees the paths (NULL is fine). */
void qemu_bins_clear(struct qemu_bins *q);
/* The program's file name: "qemu-system-x86_64", "qemu-img". */
const char *qemu_bins_name(enum qemu_bin b);
/* The system emulator for a boot request's arch, or -1 for an unknown arch. */
int qemu_bins_for_arch(const char *arch);
/* health's "qemu" paths: {"dir", "binaries": {"qemu-system-x86_64": "/usr/bin/qemu-system-x86_64" |
 * null, ...}}. */
json_t *qemu_bins_json(const struct qemu_bins *q);
