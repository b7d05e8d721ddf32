/* QEMU command lines, built as argv vectors (never through a shell). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "lib/bootspec.h"

struct qemu_cmd {
  char **argv; /* NULL-terminated */
  size_t argc, cap;
};

struct qemu_sockets {
  const char *qmp_path;    /* unix socket QEMU listens on for QMP */
  const char *serial_path; /* unix socket QEMU listens on for the console */
  const char *gdb_path;    /* unix socket for QEMU's gdbstub, or NULL for none */
  bool serial_fifo; /* serial_path is a FIFO QEMU writes the console to (core/supervisor.h) */
};

/* Builds the argv for one paused (-S) boot of spec with accel "kvm" or "tcg". */
int qemu_cmd_build(struct qemu_cmd *cmd, const struct boot_spec *spec, const char *accel,
                   const struct qemu_sockets *socks);
/* Appends one argument (copied). */
int qemu_cmd_add(struct qemu_cmd *cmd, const char *arg);
/* Frees the vector. */
void qemu_cmd_clear(struct qemu_cmd *cmd);
/* A QEMU option value with commas doubled, as QEMU's option parser expects (malloc'd). */
char *qemu_opt_escape(const char *value);
