/* Boot requests: validation of the JSON body (REST, MCP and CLI share it)
 * into a boot_spec with defaults applied. Nothing starts before this passes. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/accel.h"
#include "lib/error.h"
#include "lib/path_policy.h"
#include "lib/profile.h"
#include "lib/qemu_bins.h"
#include "lib/scenario.h"

#define BOOTSPEC_MAX_INITRD 64

struct boot_spec {
  char *arch;
  int cpus, memory_mb;
  char *kernel, *append, *iso, *disk;
  char **initrd;
  size_t n_initrd;
  char *profile, *until, *accel, *label;
  int timeout_s;
  int silence_timeout_s; /* 0: no limit on console silence */
  int accel_stall_s; /* under KVM, before the terminal marker: this long without console output is
                        accel_stalled */
  int memory_sample_ms;      /* 0: no memory sampling */
  int duration_s;            /* monitoring: run this long, past the terminal marker; 0: until it */
  json_t *json;              /* the request as validated, defaults filled in */
  char *cdrom;               /* set by the daemon for image boots: the ISO attached as CD-ROM */
  bool keep_overlay;         /* keep the run's qcow2 overlay of disk afterwards */
  bool disk_direct;          /* set by the daemon for installs: write to disk itself, no overlay */
  char *overlay;             /* set by the daemon: the overlay QEMU gets instead of disk */
  struct scenario *scenario; /* console scenario to play, or NULL */
  bool symbols;              /* breakpoints on the profile's phase functions (gdbstub) */
  bool vga;                  /* from the profile: a headless VGA adapter for x86 guests */
  size_t n_breakpoints;      /* found in the kernel's symbol table */
  char **bp_markers, **bp_functions;
  uint64_t *bp_addrs;
  int bp_bits;         /* 32 (qemu-system-i386) or 64 (qemu-system-x86_64) */
  bool trap_counts;    /* count interrupts and exceptions from QEMU's interrupt log (x86, TCG) */
  int guest_memory_ms; /* log in and print /proc/meminfo this often (a scenario); 0: no */
  char *int_log;       /* set by the daemon: where QEMU writes that log (a FIFO) */
  char *qemu;          /* set by validation: the system emulator's path, from env->qemu */
  char *clock;         /* "host" (default) or "virtual": markers also counted in instructions */
  int icount_shift;    /* virtual clock: QEMU's -icount shift (a guest ns is 2^shift insns) */
  char *vclock_plugin; /* set by validation for the virtual clock: the TCG plugin's path */
  char *vclock_files;  /* set by the daemon: the plugin's files are this path + .counts, .hits and
                          .console (lib/vclock.h) */
};

#define BOOTSPEC_ICOUNT_SHIFT_DEFAULT 4

struct bootspec_env {
  const struct profile_set *profiles;
  const struct accel_host *kvm; /* NULL: KVM was not looked at */
  const struct qemu_bins *qemu; /* the programs found in --qemu-dir; NULL: none */
  const char *const
      *image_dirs;            /* the daemon's --image-dir policy (lib/path_policy.h); NULL: none */
  const char *vclock_plugin;  /* the virtual clock's TCG plugin; NULL: none (see vclock_missing) */
  const char *vclock_missing; /* why there is none, for the 400 */
};

/* True when spec asks for the virtual clock. */
bool bootspec_virtual_clock(const struct boot_spec *s);

/* Validates body; on success *out is a new spec, else -EINVAL with err filled (HTTP 400). */
int bootspec_parse(const char *body, size_t len, const struct bootspec_env *env,
                   struct boot_spec **out, struct ma_error *err);
/* Same, from an already parsed JSON object (not stolen). */
int bootspec_from_json(json_t *req, const struct bootspec_env *env, struct boot_spec **out,
                       struct ma_error *err);
/* The spec's files judged again as bootspec_from_json judged them, the CD-ROM of an image boot
 * included (field "image"): a queued run's files may have changed since. 0, or -EINVAL with err. */
int bootspec_check_files(const struct boot_spec *s, path_policy dirs, struct ma_error *err);
/* true when the boot request req (kernel, initrd, iso, disk) or cdrom (may be NULL) names
 * real_target (a resolved path) or a file below it. */
bool bootspec_json_uses(json_t *req, const char *cdrom, const char *real_target);
/* Frees a spec (NULL is fine). */
void bootspec_free(struct boot_spec *s);
