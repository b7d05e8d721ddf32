/* What starting one boot takes, computed before anything is done: the files' names under the state
 * dir, the accelerator and why, QEMU's argv and the supervisor's limits. core/jobs.c carries it out
 * (opens the log, makes the overlay and the FIFO, spawns QEMU).
 *
 *     STATE/runs/ID.serial      the console log                 (always)
 *     STATE/sock/ID.qmp .ser    QEMU's QMP and console sockets  (always; the console is the FIFO
 *                               ID.con with the virtual clock)
 *     STATE/sock/ID.gdb         QEMU's gdbstub                  (breakpoints on symbols)
 *     STATE/sock/ID.int         the interrupt log, a FIFO       (trap counts)
 *     STATE/sock/ID.vclock.*    the virtual clock plugin's files (clock virtual; lib/vclock.h)
 *     STATE/overlays/ID.qcow2   the run's overlay of its disk   (a disk, unless an install writes
 * it)
 *
 * Pure: no I/O, except that an argv for a disk booted without an overlay (an install) names the
 * disk's format, which lib/qemu_cmd.c reads from its header: build the argv after the files' check.
 */
#pragma once
#include <stdbool.h>

#include "lib/accel.h"
#include "lib/bootspec.h"
#include "lib/qemu_cmd.h"

struct launch_paths {
  char *serial_log;
  char *qmp, *serial, *gdb; /* gdb: always named; QEMU gets it only with breakpoints */
  char *overlay;            /* NULL: no disk, or an install that writes the disk itself */
  char *int_fifo;           /* NULL: no trap counts */
  char *vclock;             /* the virtual clock's files' prefix; NULL: host clock only */
};

struct launch_plan {
  const char *accel; /* "kvm" or "tcg" (static, or the spec's own string) */
  char *accel_note;  /* which probe or rule decided (may be NULL) */
  unsigned
      timeout_ms; /* the run's deadline from t0: its duration when monitoring, else its timeout */
  unsigned silence_ms; /* console silence that ends the run; 0: none */
  unsigned stall_ms;   /* console silence under KVM before the terminal marker; 0: no stall watch */
  unsigned sample_ms;  /* memory sampling period; 0: none */
  bool info_mem;       /* HMP "info mem" with the samples */
  const char *gdb_path; /* paths->gdb with breakpoints, else NULL (borrowed) */
  struct qemu_cmd cmd;  /* empty until launch_plan_argv */
};

/* Names run_id's files under state_dir for spec. 0 or -ENOMEM (p is then cleared). */
int launch_paths_init(struct launch_paths *p, const char *state_dir, const char *run_id,
                      const struct boot_spec *spec);
/* Frees the names (NULL is fine). */
void launch_paths_clear(struct launch_paths *p);
/* Chooses the accelerator on kvm (the host's KVM facts) and the supervisor's limits. 0 or -ENOMEM.
 */
int launch_plan_init(struct launch_plan *p, const struct boot_spec *spec,
                     const struct accel_host *kvm, const struct launch_paths *paths);
/* Builds QEMU's argv: paused (-S), on the plan's accelerator, with the run's sockets, overlay and
 * FIFO. 0, -ENOMEM or -EINVAL (an arch without emulator). */
int launch_plan_argv(struct launch_plan *p, const struct boot_spec *spec,
                     const struct launch_paths *paths);
/* Frees the plan (NULL is fine). */
void launch_plan_clear(struct launch_plan *p);
