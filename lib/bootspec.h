/* Boot requests: validation of the JSON body (REST, MCP and CLI share it)
 * into a boot_spec with defaults applied. Nothing starts before this passes. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"
#include "lib/path_policy.h"
#include "lib/profile.h"
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
  int memory_sample_ms;  /* 0: no memory sampling */
  int duration_s;        /* monitoring: run this long, past the terminal marker; 0: until it */
  json_t *json;          /* the request as validated, defaults filled in */
  char *cdrom;           /* set by the daemon for image boots: the ISO attached as CD-ROM */
  bool keep_overlay;     /* keep the run's qcow2 overlay of disk afterwards */
  bool disk_direct;      /* set by the daemon for installs: write to disk itself, no overlay */
  char *overlay;         /* set by the daemon: the overlay QEMU gets instead of disk */
  struct scenario *scenario; /* console scenario to play, or NULL */
  bool symbols;          /* breakpoints on the profile's phase functions (gdbstub) */
  bool vga;              /* from the profile: a headless VGA adapter for x86 guests */
  size_t n_breakpoints;  /* found in the kernel's symbol table */
  char **bp_markers, **bp_functions;
  uint64_t *bp_addrs;
  int bp_bits;           /* 32 (qemu-system-i386) or 64 (qemu-system-x86_64) */
  bool trap_counts;      /* count interrupts and exceptions from QEMU's interrupt log (x86, TCG) */
  int guest_memory_ms;   /* log in and print /proc/meminfo this often (a scenario); 0: no */
  char *int_log;         /* set by the daemon: where QEMU writes that log (a FIFO) */
};

struct bootspec_env {
  const struct profile_set *profiles;
  bool kvm_usable;
  const char *kvm_reason;
  const char *const *image_dirs; /* the daemon's --image-dir policy (lib/path_policy.h); NULL: none */
};

/* Validates body; on success *out is a new spec, else -EINVAL with err filled (HTTP 400). */
int bootspec_parse(const char *body, size_t len, const struct bootspec_env *env, struct boot_spec **out,
                   struct ma_error *err);
/* Same, from an already parsed JSON object (not stolen). */
int bootspec_from_json(json_t *req, const struct bootspec_env *env, struct boot_spec **out, struct ma_error *err);
/* Frees a spec (NULL is fine). */
void bootspec_free(struct boot_spec *s);
/* The qemu-system binary name for an arch ("qemu-system-x86_64"), or NULL. */
const char *bootspec_qemu_binary(const char *arch);
