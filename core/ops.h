/* The operations of the core, one implementation each: REST, MCP and the CLI (in-process, on a
 * state dir) only map requests in and answers out. */
#pragma once
#include <jansson.h>

#include "core/context.h"
#include "core/images.h"
#include "lib/run.h"
#include "lib/error.h"
#include "lib/util.h"

/* Validates a boot request and queues it. err is set on failure (400, 503). */
int ops_boot_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1],
                   struct ma_error *err);
/* Starts a monitoring run: a boot request plus duration_s (required); samples every
 * memory_sample_ms (default 100) until the duration is over. */
int ops_memory_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1],
                     struct ma_error *err);
/* Every operation answers 0, or a negative errno with err saying why: its errnum is the kind of
 * failure (lib/error.h), which each front end maps (api/http_status.c, the CLI's exit status). */

/* The error of an internal failure r (EIO, "internal_error"), said with what failed; returns r. */
int ops_internal(struct ma_error *err, const char *what, int r);

/* --- runs (core/ops_runs.c) --- */
/* Which runs to list: parsed once, from a URL query, MCP arguments or the CLI's flags. */
struct runs_query {
  int limit;   /* 1..1000, default 50 */
  long cursor; /* a next_cursor value, 0: the newest */
  /* status: a run status; profile, label: exact values; each NULL: any (borrowed from the
   * arguments) */
  struct store_runs_filter filter;
};
/* Parses {"limit","cursor","status","profile","label"}, limit and cursor each a string or an
 * integer, with the bounds all front ends share. */
int ops_runs_query(const json_t *args, struct runs_query *q, struct ma_error *err);
/* A page of runs, newest first: {"runs","next_cursor"}. */
int ops_runs_list(struct ma_context *ctx, const struct runs_query *q, json_t **page,
                  struct ma_error *err);
/* Loads a run record (ENOENT run_not_found when unknown); run_clear it after. */
int ops_run_load(struct ma_context *ctx, const char *id, struct run *run, struct ma_error *err);
/* The run object (ENOENT when unknown). */
int ops_run_get(struct ma_context *ctx, const char *id, json_t **run, struct ma_error *err);
/* Cancels a queued or running run: {"id","status":"cancelling"} for a running one, the final run
 * object for a queued one (cancelled at once). EBUSY already_finished. */
int ops_run_cancel(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err);
/* Deletes a finished run's console log, keeping its measurement:
 * {"id","serial_deleted","freed_bytes"}. EBUSY run_not_finished while it is still written. */
int ops_run_serial_delete(struct ma_context *ctx, const char *id, json_t **out,
                          struct ma_error *err);
/* The run's memory: {"run_id","status","interval_ms","source","samples","markers"}, plus "guest"
 * {"interval_ms", "source","samples"} when the run read the guest's /proc/meminfo. The one shape of
 * REST and MCP. */
int ops_run_memory(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err);

/* A run's interrupt and exception counts ("trap_counts"), with notes on what they mean
 * (core/ops_traps.c). */
int ops_run_traps(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err);
/* The daemon's health: QEMU, KVM per guest mode, the queue and the state dir's disk. */
/* The marker profiles boots may name: {"profiles":[{"name","description","terminal_marker"}]}. */
json_t *ops_profiles(struct ma_context *ctx);
json_t *ops_health(struct ma_context *ctx);

/* --- matrices, installs, traces (core/ops_docs.c and here) --- */
/* Cancels a matrix still running: {"id","status":"cancelling"}; EBUSY already_finished. */
int ops_matrix_cancel(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err);
/* The newest matrices: {"matrices":[...]} (limit as ops_runs_query's, a string or an integer). */
int ops_matrices_list(struct ma_context *ctx, const json_t *limit, json_t **out,
                      struct ma_error *err);
/* The Welch comparison of two matrices (lib/matrix_compare.h). */
int ops_matrix_compare(struct ma_context *ctx, const char *before_id, const char *after_id,
                       json_t **out, struct ma_error *err);
/* Cancels an install still going: {"id","status":"cancelling"}; EBUSY already_finished. */
int ops_install_cancel(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err);
/* {"installs": [...]}, newest first. */
int ops_installs_list(struct ma_context *ctx, json_t **out, struct ma_error *err);
/* An install's stored document as it is (ENOENT install_not_found). */
int ops_install_doc(struct ma_context *ctx, const char *id, json_t **doc, struct ma_error *err);
/* Validates a trace request and starts it (core/traces.h). */
int ops_trace_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1],
                    struct ma_error *err);
/* A trace's document (ENOENT trace_not_found). */
int ops_trace_get(struct ma_context *ctx, const char *id, json_t **doc, struct ma_error *err);
/* {"traces": [...]}, newest first. */
int ops_traces_list(struct ma_context *ctx, json_t **out, struct ma_error *err);

/* --- boots, matrices, images, installs (core/ops.c) --- */
/* Validates a matrix request and starts it. */
int ops_matrix_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1], int *total,
                     struct ma_error *err);
/* Verifies and registers an ISO ({"iso","sha256"}) in the thread pool; done runs on the loop with
 * the image or the error. A bad request fails at once (-EINVAL, err set) and done is not called. */
int ops_image_register(struct ma_context *ctx, json_t *req, images_done_cb done, void *userdata,
                       struct ma_error *err);
/* One registered image (404 when unknown). */
int ops_image_get(struct ma_context *ctx, const char *id, json_t **image, struct ma_error *err);
/* {"images": [...]}, newest first. */
int ops_images_list(struct ma_context *ctx, json_t **list, struct ma_error *err);
/* Forgets a registered image and deletes the files the daemon made for it (core/images.h): *out
 * says which. 404 when unknown, 409 image_in_use while a queued or running boot, a matrix or an
 * install uses it. */
int ops_image_delete(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err);
/* A matrix report, and its runs when runs is not NULL (404 when unknown). */
int ops_matrix_report(struct ma_context *ctx, const char *id, json_t **report, json_t **runs,
                      struct ma_error *err);
/* Validates an install request and starts it (400, 503). */
int ops_install_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1],
                      struct ma_error *err);
/* An install's document with the progress of its current run (404 when unknown). */
int ops_install_get(struct ma_context *ctx, const char *id, json_t **install, struct ma_error *err);
