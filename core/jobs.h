/* Boot jobs: the queue, one supervisor + detector per running boot, each job's life an explicit
 * state (lib/job_state.h); the run record and live events for subscribers go through
 * core/run_record.h. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "core/run_record.h"
#include "lib/accel.h"
#include "lib/bootspec.h"
#include "lib/profile.h"
#include "lib/store.h"
#include "lib/util.h"

struct host_info {
  struct accel_host kvm; /* the KVM device and its probes, per guest mode */
  struct qemu_bins qemu; /* QEMU's programs in --qemu-dir */
  char *qemu_version;
};

struct jobs_config {
  const char *state_dir;
  int max_running;         /* boots at once */
  int max_queued;          /* waiting runs (reserved ones included) before 503 */
  int64_t max_log_bytes;   /* console kept per run; the rest is counted, scanned, not logged (0: no
                              cap) */
  struct disk_guard *disk; /* admits new work by the state dir's disk; may be NULL */
  path_policy image_dirs;  /* judged again when a run starts (lib/path_policy.h); NULL: none */
};

typedef void (*jobs_idle_cb)(void *userdata);

struct jobs;
struct jobs_sub;

/* Creates the job system; nothing runs until jobs_submit. */
struct jobs *jobs_new(uv_loop_t *loop, struct store *store, const struct profile_set *profiles,
                      const struct host_info *host, const struct jobs_config *cfg);
/* Frees the job system; call after jobs_shutdown's callback (NULL is fine). */
void jobs_free(struct jobs *j);
struct jobs_submit_opts {
  bool exclusive;        /* start only when nothing else runs, and run alone */
  const char *matrix_id; /* tag the run as a sample of this matrix */
  int matrix_index;
  jobs_event_cb cb; /* subscribe before anything can happen (may be NULL) */
  void *userdata;
  struct jobs_sub **sub; /* receives the subscription when cb is set */
  bool reserved; /* takes a place reserved with jobs_reserve: never refused for a full queue */
};

/* 0 when new work may start now: -ESHUTDOWN (stopping), -ENOSPC (the state dir's disk is nearly
 * full) or -EDQUOT (the state dir is over its quota) otherwise. */
int jobs_admit(struct jobs *j);
/* Says in err why jobs_submit, jobs_admit or jobs_reserve answered r (< 0): 400, 503, 507 or 500.
 */
void jobs_refusal(int r, struct ma_error *err);
/* Admits work that will queue n runs over time (a matrix, an install): they count against
 * --max-queued from now on, as if waiting. 0, -EAGAIN (no room now), -E2BIG (n > --max-queued:
 * never room; err names field, the request's field that asked for so many), or as jobs_admit; err
 * says why (as jobs_refusal). Each submission with jobs_submit_opts.reserved takes one; give back
 * the rest. */
int jobs_reserve(struct jobs *j, int n, const char *field, struct ma_error *err);
/* Gives back n reserved runs that will not be submitted. */
void jobs_release(struct jobs *j, int n);

/* Queues a boot (spec is stolen); id receives the run id. -EAGAIN: queue full (reserved runs
 * count); -ESHUTDOWN: stopping; -ENOSPC, -EDQUOT: as jobs_admit. */
int jobs_submit(struct jobs *j, struct boot_spec *spec, char id[UTIL_ID_LEN + 1]);
/* Same, with options (NULL: none). */
int jobs_submit_opts(struct jobs *j, struct boot_spec *spec, const struct jobs_submit_opts *opts,
                     char id[UTIL_ID_LEN + 1]);
/* Cancels a queued or running boot (QEMU is killed). -ENOENT when it is not active. */
int jobs_cancel(struct jobs *j, const char *id);
/* Follows an active run's events; NULL when the run is not active. */
struct jobs_sub *jobs_subscribe(struct jobs *j, const char *id, jobs_event_cb cb, void *userdata);
/* Stops following (NULL is fine; safe after JOBS_EV_END). */
void jobs_unsubscribe(struct jobs_sub *sub);
/* true when a queued or running boot names real_target (a resolved path) or a file below it (NULL
 * j: false). */
bool jobs_use(const struct jobs *j, const char *real_target);
/* Counts of queued and running boots. */
void jobs_counts(const struct jobs *j, int *queued, int *running);
/* Refuses new work, cancels everything, calls done once no QEMU is left. */
void jobs_shutdown(struct jobs *j, jobs_idle_cb done, void *userdata);
