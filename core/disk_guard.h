/* The state dir's disk: new work is refused while the state dir is over its
 * quota (--max-state-mb) or its filesystem is nearly full (--min-free-mb), and
 * a small reserve file is kept so that, when a full disk makes a console log
 * unwritable, releasing it leaves room for the store to record how the run
 * ended. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct disk_guard;

/* quota_bytes 0: no quota. Measures the state dir once now (every file, as
 * allocated on disk), later in the thread pool when a measure is stale. */
struct disk_guard *disk_guard_new(uv_loop_t *loop, const char *state_dir, int64_t quota_bytes,
                                  int64_t min_free_bytes);
/* Runs the loop until a measurement in flight has ended, then frees g. */
void disk_guard_free(struct disk_guard *g);

/* 0: new work may start. -ENOSPC: less than min_free left on the state dir's
 * filesystem, or the reserve was spent and not yet won back. -EDQUOT: the
 * state dir uses more than its quota (as last measured; a refusal measures
 * again in the background, so a retry sees space freed since). */
int disk_guard_admit(struct disk_guard *g);

/* A write in the state dir failed with ENOSPC: releases the reserve. */
void disk_guard_ran_out(struct disk_guard *g);

struct disk_usage {
  int64_t state_dir_bytes; /* the last measure, the reserve excluded */
  int64_t measured_ms_ago;
  int64_t quota_bytes; /* 0: no quota */
  int64_t free_bytes;  /* -1: statvfs failed */
  int64_t min_free_bytes;
  bool reserve_held;
};

/* The figures now; a stale measure is renewed in the background. */
void disk_guard_usage(struct disk_guard *g, struct disk_usage *out);
/* The same as {"state_dir_bytes", "measured_ms_ago", "quota_bytes"|null, "free_bytes"|null,
 * "min_free_bytes", "reserve_held"}. */
json_t *disk_guard_json(struct disk_guard *g);
