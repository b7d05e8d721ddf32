/* The run record: one boot measurement, as stored and as served (contract fields). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/profile.h"
#include "lib/util.h"

/* Times are microsecond counts shown as ms: 12 significant digits print
 * them exactly (59.776, not 59.776000000000003). */
#define RUN_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))
#define RUN_NULL (-1) /* value of an integer field that is JSON null */

struct run_marker {
  char *name;
  int64_t t_us; /* relative to t0 */
  char *source; /* "serial", "symbol" or "scenario" */
  char *text;
  int64_t instructions; /* virtual clock: guest instructions before it; RUN_NULL: not counted */
};

struct run {
  char id[UTIL_ID_LEN + 1];
  char *status;
  char *arch;
  int cpus, memory_mb;
  char *accel;           /* the accelerator used; NULL before start */
  char *accel_requested; /* auto | kvm | tcg */
  char *accel_note;      /* why auto chose what it chose */
  char *profile, *label, *spec_json;
  int64_t created_us, started_us, finished_us; /* wall clock; 0 = not yet */
  int64_t qemu_start_us, boot_time_us;         /* RUN_NULL when unknown */
  char *terminal_marker;
  int guest_cpus_online; /* RUN_NULL when the profile cannot tell */
  json_t *missing;       /* array of names, NULL until finished */
  char *error_code, *error_message;
  int exit_code, exit_signal; /* RUN_NULL when QEMU has not exited */
  char *serial_path;
  int64_t serial_bytes;  /* console bytes received */
  int64_t serial_logged; /* of which kept in the log (the cap may cut it); RUN_NULL: all */
  char *matrix_id;       /* the matrix this run samples, or NULL */
  int matrix_index;      /* its position in the matrix's interleaved order, or RUN_NULL */
  char *host_json;       /* where it ran: {"name","cpu_model","qemu_version"}, or NULL */
  char *slurm_job;       /* the Slurm job that ran it (ARRAYJOB_TASK), or NULL */
  int64_t seq;           /* store order, for cursors */
  struct run_marker *markers;
  size_t n_markers;
};

/* Zeroes r and sets every nullable integer to RUN_NULL. */
void run_init(struct run *r);
/* Frees everything r owns (r itself is not freed). */
void run_clear(struct run *r);
/* Replaces a string field with a copy of value (NULL allowed). */
void run_set_str(char **field, const char *value);
/* Appends a marker (copied). */
int run_add_marker(struct run *r, const char *name, int64_t t_us, const char *source,
                   const char *text);
/* The instruction count of the run's terminal marker (the virtual clock's boot time), or
 * RUN_NULL. */
int64_t run_boot_instructions(const struct run *r);
/* True for succeeded, failed, timeout, cancelled and interrupted. */
bool run_status_final(const char *status);
/* Deletes the console log of a finished run (its measurement stays in the store); *freed gets what
 * it took on disk, 0 when it was already gone. -EBUSY while the run is queued or running, else 0 or
 * -errno. */
int run_delete_serial(const struct run *r, int64_t *freed);
/* The seven run statuses, NULL-terminated. */
extern const char *const run_statuses[];
/* True when s is one of the seven run statuses. */
bool run_status_valid(const char *s);
/* New JSON run object; profile (may be NULL) adds the phases serial cannot show. */
json_t *run_to_json(const struct run *r, const struct profile *profile);
/* JSON string of text, or of text with invalid UTF-8 bytes replaced by U+FFFD. */
json_t *run_json_text(const char *text, size_t len);
