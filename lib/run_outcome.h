/* How a boot run ends: its final status and its error {code, message}, decided from what happened.
 *
 * Two kinds of input. A verdict is what the console, a scenario or the console log decided while
 * QEMU ran (the terminal marker, a failure pattern, a scenario's end, a log that cannot be
 * written); the first verdict wins, and QEMU is then asked to quit. The end is why QEMU's
 * supervisor stopped. The decision, in order:
 *
 *     verdict             -> its status (and its error)
 *     cancelled           -> cancelled: cancelled | daemon_stopping
 *     monitoring, timeout -> succeeded (it ran for its whole duration)
 *     timeout             -> timeout: boot_timeout        silent    -> timeout: guest_silent
 *     protocol error      -> failed: qmp_protocol_error   stalled   -> failed: accel_stalled
 *     spawn/start failed  -> failed: qemu_start_failed (unless a signal from outside killed it: a
 * crash) anything else       -> failed: qemu_crashed (signal) | qemu_exited (exit status)
 *
 * Runs that end before QEMU starts have their own rows (cancelled before the start, a file check,
 * the overlay, the launch). Pure: no I/O. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* Why QEMU's supervisor ended (mirrors core/supervisor.h's enum supervisor_reason, which stays
 * above lib/). */
enum run_end {
  RUN_END_EXITED,         /* QEMU exited on its own after t0 */
  RUN_END_SPAWN_FAILED,   /* the process could not be started */
  RUN_END_START_FAILED,   /* QEMU died or QMP failed before t0 */
  RUN_END_TIMEOUT,        /* the run's deadline passed */
  RUN_END_SILENT,         /* the console was silent too long */
  RUN_END_STALLED,        /* the console was silent under KVM before the terminal marker */
  RUN_END_STOPPED,        /* the daemon asked QEMU to quit or killed it */
  RUN_END_PROTOCOL_ERROR, /* QMP broke the protocol; the daemon killed QEMU */
};

/* What the console, a scenario or the log decided while QEMU ran. */
struct run_verdict {
  const char *status;   /* "succeeded" or "failed"; NULL: nothing decided yet */
  char *code, *message; /* the error of a failure (NULL for a success, or when a copy failed) */
};

/* What happened, as the job saw it when QEMU's supervisor ended. */
struct run_facts {
  const struct run_verdict *verdict; /* may be NULL */
  bool cancelled;                    /* a cancel came (on request, or the daemon stopping) */
  bool daemon_stopping;              /* the cancel was the daemon's shutdown */
  bool monitoring;                   /* the run had a duration: its deadline is its planned end */
  int accel_stall_s;                 /* the spec's stall limit, for the accel_stalled message */
  enum run_end reason;
  int exit_code;        /* QEMU's exit status; -1 when killed by a signal or never ran */
  int term_signal;      /* 0 when it exited */
  bool killed;          /* the supervisor sent the SIGKILL: a signal in the status is ours */
  const char *detail;   /* the supervisor's human-readable cause */
  const char *qemu_err; /* the tail of QEMU's stderr ("" or NULL: none) */
};

/* The run's end: status (a static string) and error (malloc'd; both NULL when there is none). */
struct run_outcome {
  const char *status;
  char *code, *message;
};

/* Frees a verdict's strings and forgets it (NULL is fine). */
void run_verdict_clear(struct run_verdict *v);
/* The terminal marker was seen: succeeded. false when an earlier verdict stands (the first one
 * wins). */
bool run_verdict_succeeded(struct run_verdict *v);
/* A profile's failure pattern matched: failed, guest_failure. false when an earlier verdict stands.
 */
bool run_verdict_failure_pattern(struct run_verdict *v, const char *name, int64_t t_us,
                                 const char *text);
/* A scenario ended: done is success, else failed with its code and message. false as above. */
bool run_verdict_scenario(struct run_verdict *v, bool done, const char *code, const char *message);
/* The console log could not be written (errnum > 0): failed, disk_full or log_write_failed. false
 * as above. */
bool run_verdict_log_lost(struct run_verdict *v, int errnum);

/* Frees the error strings (NULL is fine). */
void run_outcome_clear(struct run_outcome *o);
/* The end of a run whose QEMU ran (or was spawned): see the table above. 0, or -ENOMEM (status
 * still set). */
int run_outcome_decide(const struct run_facts *f, struct run_outcome *o);
/* Cancelled while queued or while a start step ran: cancelled, cancelled | daemon_stopping. */
int run_outcome_not_started(bool daemon_stopping, struct run_outcome *o);
/* The run's files failed their check at the start (when says which check): failed with the check's
 * code. */
int run_outcome_check_failed(const char *code, const char *when, const char *message,
                             struct run_outcome *o);
/* qemu-img could not make the overlay of disk (detail: its stderr, "" for none): failed,
 * overlay_failed. */
int run_outcome_overlay_failed(const char *disk, const char *detail, struct run_outcome *o);
/* The launch failed before QEMU was spawned (errnum > 0): failed, qemu_start_failed. */
int run_outcome_launch_failed(int errnum, struct run_outcome *o);
