/* The run recorder: one run's record kept current in the store, its events told to its followers,
 * and its console written to its log under the cap. core/jobs.c decides what happens; this writes
 * it down. Nothing here ends or starts anything. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/procstat.h"
#include "lib/run.h"
#include "lib/store.h"

enum jobs_event_kind {
  JOBS_EV_STATUS, /* data: {"id","status"} */
  JOBS_EV_MARKER, /* data: marker object */
  JOBS_EV_SERIAL, /* data: {"t_ms","line"} */
  JOBS_EV_END,    /* data: {"id","status"}; the subscription is detached after this */
};

struct jobs_event {
  enum jobs_event_kind kind;
  const char *run_id;
  json_t *data;     /* borrowed */
  const char *json; /* data serialized with RUN_JSON_FLAGS, once for all subscribers (NULL if that
                       failed) */
};

typedef void (*jobs_event_cb)(void *userdata, const struct jobs_event *ev);

struct jobs_sub; /* one follower of one run */
struct disk_guard;
struct int_counter;

struct run_record {
  struct run run;
  struct store *store;
  struct disk_guard *disk; /* told when the log finds the disk full; may be NULL */
  int64_t max_log_bytes;   /* 0: no cap */
  FILE *log;               /* NULL before the start, or once a write failed */
  bool log_cut;
  int64_t lines_told; /* console lines told so far: a serial event's "n" */
  struct jobs_sub *subs;
};

/* An empty record (run_init'ed) writing to store. */
void run_record_init(struct run_record *rec, struct store *store, struct disk_guard *disk,
                     int64_t max_log_bytes);
/* Detaches the followers (their subscriptions stay valid until unsubscribed), closes the log, frees
 * the run. */
void run_record_clear(struct run_record *rec);

/* Writes the run as it is now to the store (a failure is logged: the run goes on). */
void run_record_save(struct run_record *rec);
/* Tells the followers the run's status (kind JOBS_EV_STATUS or JOBS_EV_END). */
void run_record_tell_status(struct run_record *rec, enum jobs_event_kind kind);
/* Tells the followers of a QMP event (a status event with "qmp_event"). */
void run_record_tell_qmp(struct run_record *rec, const char *name);
/* Tells the followers of one console line, numbered from 1 ("n": a follower that read the first N
 * lines from the log skips events up to N). */
void run_record_tell_line(struct run_record *rec, int64_t t_us, const char *text);
/* One marker, whatever saw it: kept in the run, stored, told. false when it could not be kept. */
bool run_record_marker(struct run_record *rec, const char *name, int64_t t_us, const char *source,
                       const char *text);
/* Sets the error (copied; NULLs clear it). */
void run_record_error(struct run_record *rec, const char *code, const char *message);
/* Sets the final status and the end time, stores the run and tells the followers it ended. */
void run_record_finish(struct run_record *rec, const char *status);

/* Opens the console log (private: it may show what was typed into the guest); false when it cannot.
 */
bool run_record_open_log(struct run_record *rec);
/* Appends console bytes up to the cap, then one line saying so. 0, or -errno of a failed write (the
 * log is left open: see run_record_log_lost). */
int run_record_log(struct run_record *rec, const char *buf, size_t len);
/* The log cannot be written (errnum): it is closed, and a full disk is told to the disk guard. */
void run_record_log_lost(struct run_record *rec, int errnum);

/* Stores a sample of QEMU's memory and CPU use, stamped relative to t0. */
void run_record_sample(struct run_record *rec, int64_t t_us, const struct procstat_sample *sample);
/* Stores a guest memory sample (the text a scenario captured), when it parses. */
void run_record_guest_memory(struct run_record *rec, int64_t t_us, const char *text);
/* Stores the run's trap counts. */
void run_record_traps(struct run_record *rec, const struct int_counter *counter);

/* Follows the run's events: appended, so the first to subscribe hears first. NULL when out of
 * memory. */
struct jobs_sub *run_record_subscribe(struct run_record *rec, jobs_event_cb cb, void *userdata);
/* Stops following (NULL is fine; safe after the run ended). */
void run_record_unsubscribe(struct jobs_sub *sub);
