/* The operations on runs that every front end offers: one implementation each (core/ops.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/context.h"
#include "core/ops.h"

/* A bound from a JSON integer or a decimal string: a URL query and argv give strings, MCP integers.
 */
static bool bounded(const json_t *v, long lo, long hi, long *out) {
  long n;
  if (json_is_integer(v)) {
    n = (long)json_integer_value(v);
  } else if (json_is_string(v)) {
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    n = strtol(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0')
      return false;
  } else {
    return false;
  }
  if (n < lo || n > hi)
    return false;
  *out = n;
  return true;
}

int ops_runs_query(const json_t *args, struct runs_query *q, struct ma_error *err) {
  *q = (struct runs_query){.limit = 50};
  const json_t *limit = json_object_get(args, "limit"), *cursor = json_object_get(args, "cursor"),
               *status = json_object_get(args, "status");
  long v;
  if (limit && !bounded(limit, 1, 1000, &v)) {
    ma_error_set(err, EINVAL, "out_of_range", "limit", "limit must be an integer from 1 to 1000");
    return -EINVAL;
  }
  q->limit = limit ? (int)v : q->limit;
  if (cursor && !bounded(cursor, 1, LONG_MAX, &q->cursor)) {
    ma_error_set(err, EINVAL, "invalid_value", "cursor",
                 "cursor must be a value returned as next_cursor");
    return -EINVAL;
  }
  q->filter.status = json_string_value(status);
  if (status && (!q->filter.status || !run_status_valid(q->filter.status))) {
    ma_error_set(err, EINVAL, "invalid_value", "status",
                 "status must be one of queued, running, succeeded, failed, timeout, cancelled, "
                 "interrupted");
    return -EINVAL;
  }
  static const char *const names[] = {"profile", "label"};
  const char **fields[] = {&q->filter.profile, &q->filter.label};
  for (size_t i = 0; i < 2; i++) {
    const json_t *v = json_object_get(args, names[i]);
    *fields[i] = json_string_value(v);
    if (v && (!*fields[i] || !**fields[i] || strlen(*fields[i]) > 128)) {
      ma_error_set(err, EINVAL, "invalid_value", names[i], "%s must be a string of 1 to 128 bytes",
                   names[i]);
      return -EINVAL;
    }
  }
  return 0;
}

int ops_runs_list(struct ma_context *ctx, const struct runs_query *q, json_t **page,
                  struct ma_error *err) {
  json_t *runs;
  int64_t next;
  int r = store_runs_list(ctx->store, q->limit, q->cursor, &q->filter, &runs, &next);
  if (r < 0)
    return ops_internal(err, "cannot list runs", r);
  *page = json_pack("{s:o}", "runs", runs);
  json_object_set_new(*page, "next_cursor",
                      next ? json_sprintf("%lld", (long long)next) : json_null());
  return *page ? 0 : ops_internal(err, "cannot list runs", -ENOMEM);
}

int ops_run_load(struct ma_context *ctx, const char *id, struct run *run, struct ma_error *err) {
  run_init(run);
  int r = id && util_is_id(id) ? store_run_get(ctx->store, id, run) : -ENOENT;
  if (r == -ENOENT)
    ma_error_set(err, ENOENT, "run_not_found", "id", "no run with this id");
  else if (r < 0)
    ops_internal(err, "cannot read the run", r);
  if (r < 0)
    run_clear(run);
  return r;
}

int ops_run_get(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err) {
  struct run run;
  int r = ops_run_load(ctx, id, &run, err);
  if (r < 0)
    return r;
  *out = run_to_json(&run, profile_set_find(ctx->profiles, run.profile));
  run_clear(&run);
  return *out ? 0 : ops_internal(err, "cannot read the run", -ENOMEM);
}

int ops_run_cancel(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err) {
  struct run run;
  int r = ops_run_load(ctx, id, &run, err);
  if (r < 0)
    return r;
  bool running = strcmp(run.status, "running") == 0;
  /* A run of a Slurm matrix is Slurm's task: scancel'd, it ends when Slurm says so. */
  int slurm = run.matrix_id && !run_status_final(run.status)
                  ? slurm_exec_cancel(ctx->slurm, run.matrix_id, run.matrix_index)
                  : -ENOENT;
  run_clear(&run);
  if (slurm == 0) {
    *out = json_pack("{s:s, s:s}", "id", id, "status", "cancelling");
    return 0;
  }
  if (slurm == -EAGAIN) {
    ma_error_set(err, EAGAIN, "not_submitted_yet", "id",
                 "Slurm has not answered for this run's job array yet; retry in a moment");
    return -EAGAIN;
  }
  if (jobs_cancel(ctx->jobs, id) < 0) {
    ma_error_set(err, EBUSY, "already_finished", "id", "the run has already finished");
    return -EBUSY;
  }
  /* A queued run is cancelled at once: the answer is its final state. */
  if (!running)
    return ops_run_get(ctx, id, out, err);
  *out = json_pack("{s:s, s:s}", "id", id, "status", "cancelling");
  return 0;
}

int ops_run_serial_delete(struct ma_context *ctx, const char *id, json_t **out,
                          struct ma_error *err) {
  struct run run;
  int r = ops_run_load(ctx, id, &run, err);
  if (r < 0)
    return r;
  int64_t freed;
  r = run_delete_serial(&run, &freed);
  run_clear(&run);
  if (r == -EBUSY)
    ma_error_set(err, EBUSY, "run_not_finished", "id",
                 "the run is still writing its console log; cancel it or wait for its end");
  else if (r < 0)
    ma_error_set(err, EIO, "delete_failed", NULL, "%s", strerror(-r));
  if (r == 0)
    *out = json_pack("{s:s, s:b, s:I}", "id", id, "serial_deleted", 1, "freed_bytes",
                     (json_int_t)freed);
  return r;
}

int ops_run_memory(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err) {
  json_auto_t *run = NULL;
  int r = ops_run_get(ctx, id, &run, err);
  if (r < 0)
    return r;
  json_t *samples, *guest = NULL;
  if ((r = store_memory_list(ctx->store, id, &samples)) < 0)
    return ops_internal(err, "cannot read the memory samples", r);
  json_t *spec = json_object_get(run, "request"),
         *interval = json_object_get(spec, "memory_sample_ms");
  *out = json_pack("{s:s, s:O, s:O, s:s, s:o, s:O}", "run_id", id, "status",
                   json_object_get(run, "status"), "interval_ms", interval ? interval : json_null(),
                   "source", "/proc of the QEMU process", "samples", samples, "markers",
                   json_object_get(run, "markers"));
  if (!*out)
    return ops_internal(err, "cannot read the memory samples", -ENOMEM);
  /* What the guest itself said, when the run asked it (guest_memory_ms). */
  json_t *every = json_object_get(spec, "guest_memory_ms");
  if (every && store_guest_memory_list(ctx->store, id, &guest) == 0)
    json_object_set_new(*out, "guest",
                        json_pack("{s:O, s:s, s:o}", "interval_ms", every, "source",
                                  "/proc/meminfo printed by the guest on its console", "samples",
                                  guest));
  return 0;
}

json_t *ops_profiles(struct ma_context *ctx) {
  return json_pack("{s:o}", "profiles", profile_set_json(ctx->profiles));
}

json_t *ops_health(struct ma_context *ctx) {
  int queued, running;
  jobs_counts(ctx->jobs, &queued, &running);
  json_t *qemu = qemu_bins_json(&ctx->host.qemu);
  json_object_set_new(qemu, "version",
                      json_string(ctx->host.qemu_version ? ctx->host.qemu_version : "unknown"));
  json_t *body = json_pack("{s:s, s:s, s:o, s:o, s:{s:i, s:i}}", "status", "ok", "version",
                           MA_VERSION, "qemu", qemu, "kvm", accel_host_json(&ctx->host.kvm),
                           "queue", "queued", queued, "running", running);
  if (ctx->disk)
    json_object_set_new(body, "disk", disk_guard_json(ctx->disk));
  json_t *vclock = json_pack("{s:b}", "available", ctx->vclock_plugin != NULL);
  if (ctx->vclock_plugin)
    json_object_set_new(vclock, "plugin", json_string(ctx->vclock_plugin));
  else if (ctx->vclock_missing)
    json_object_set_new(vclock, "reason", json_string(ctx->vclock_missing));
  json_object_set_new(body, "virtual_clock", vclock);
  return body;
}
