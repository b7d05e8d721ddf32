/* The CLI's calls in this process: each is the core's operation (core/ops.h), nothing more. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/images.h"
#include "core/ops.h"
#include "lib/matrix_render.h"
#include "lib/matrix_report.h"
#include "programs/cli/client.h"

static const char *id_of(json_t *args, const char *key) {
  const char *id = json_string_value(json_object_get(args, key));
  return id ? id : "";
}

/* Starts with start(ctx, args, id, err) and answers {"id"}. */
static int started(int r, const char *id, json_t **out) {
  if (r == 0)
    *out = json_pack("{s:s}", "id", id);
  return r;
}

static int runs_list(struct ma_context *ctx, json_t *args, json_t **out, struct ma_error *err) {
  struct runs_query q;
  int r = ops_runs_query(args, &q, err);
  return r < 0 ? r : ops_runs_list(ctx, &q, out, err);
}

static int matrix_start(struct ma_context *ctx, json_t *args, json_t **out, struct ma_error *err) {
  char id[UTIL_ID_LEN + 1];
  int total;
  int r = ops_matrix_start(ctx, args, id, &total, err);
  if (r == 0)
    *out = json_pack("{s:s, s:i}", "id", id, "total", total);
  return r;
}

/* The report in a text format, rendered by the same code as GET /api/v1/matrices/ID/report. */
static int matrix_render(struct ma_context *ctx, json_t *args, json_t **out, struct ma_error *err) {
  json_auto_t *report = NULL, *runs = NULL;
  const char *format = id_of(args, "format");
  int r = ops_matrix_report(ctx, id_of(args, "id"), &report, &runs, err);
  if (r < 0)
    return r;
  char *text = strcmp(format, "csv") == 0     ? matrix_report_csv(runs)
               : strcmp(format, "svg") == 0   ? matrix_report_svg(report)
               : strcmp(format, "latex") == 0 ? matrix_report_latex(report)
                                              : matrix_report_text(report);
  *out = text ? json_pack("{s:s}", "text", text) : NULL;
  free(text);
  return *out ? 0 : ops_internal(err, "cannot render the report", -ENOMEM);
}

int client_local_call(struct client *c, enum client_op op, json_t *args, json_t **out,
                      struct ma_error *err) {
  struct ma_context *ctx = &c->ctx;
  char id[UTIL_ID_LEN + 1];
  switch (op) {
  case CLIENT_BOOT: return started(ops_boot_start(ctx, args, id, err), id, out);
  case CLIENT_MEMORY: return started(ops_memory_start(ctx, args, id, err), id, out);
  case CLIENT_RUN_GET: return ops_run_get(ctx, id_of(args, "id"), out, err);
  case CLIENT_RUNS_LIST: return runs_list(ctx, args, out, err);
  case CLIENT_SERIAL_DELETE: return ops_run_serial_delete(ctx, id_of(args, "id"), out, err);
  case CLIENT_MATRIX_START: return matrix_start(ctx, args, out, err);
  case CLIENT_MATRIX_GET: return ops_matrix_report(ctx, id_of(args, "id"), out, NULL, err);
  case CLIENT_MATRICES_LIST:
    return ops_matrices_list(ctx, json_object_get(args, "limit"), out, err);
  case CLIENT_MATRIX_COMPARE:
    return ops_matrix_compare(ctx, id_of(args, "id"), id_of(args, "other"), out, err);
  case CLIENT_MATRIX_RENDER: return matrix_render(ctx, args, out, err);
  case CLIENT_TRACE_START: return started(ops_trace_start(ctx, args, id, err), id, out);
  case CLIENT_TRACE_GET: return ops_trace_get(ctx, id_of(args, "id"), out, err);
  case CLIENT_INSTALL_START: return started(ops_install_start(ctx, args, id, err), id, out);
  case CLIENT_INSTALL_GET: return ops_install_get(ctx, id_of(args, "id"), out, err);
  case CLIENT_IMAGE_REGISTER:
    return images_register(ctx->store, ctx->env.image_dirs, args, out, err);
  case CLIENT_IMAGES_LIST: return ops_images_list(ctx, out, err);
  case CLIENT_IMAGE_DELETE: return ops_image_delete(ctx, id_of(args, "id"), out, err);
  }
  ma_error_set(err, EINVAL, "unknown_operation", NULL, "operation %d is not known", (int)op);
  return -EINVAL;
}

struct follow {
  client_event_cb cb;
  void *userdata;
  bool ended;
};

static void on_event(void *userdata, const struct jobs_event *ev) {
  struct follow *f = userdata;
  static const char *const names[] = {[JOBS_EV_STATUS] = "status",
                                      [JOBS_EV_MARKER] = "marker",
                                      [JOBS_EV_SERIAL] = "serial",
                                      [JOBS_EV_END] = "status"};
  f->cb(f->userdata, names[ev->kind], ev->data);
  f->ended |= ev->kind == JOBS_EV_END;
}

int client_local_follow(struct client *c, const char *run_id, client_event_cb cb, void *userdata,
                        struct ma_error *err) {
  json_auto_t *run = NULL;
  int r = ops_run_get(&c->ctx, run_id, &run, err);
  if (r < 0)
    return r;
  struct follow f = {cb, userdata, false};
  /* Single-threaded: nothing can happen between this replay and the subscription. */
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(run, "markers"), i, m) cb(userdata, "marker", m);
  struct jobs_sub *sub = run_status_final(json_string_value(json_object_get(run, "status")))
                             ? NULL
                             : jobs_subscribe(c->ctx.jobs, run_id, on_event, &f);
  while (sub && !f.ended && uv_run(c->ctx.loop, UV_RUN_ONCE))
    ;
  jobs_unsubscribe(sub);
  return 0;
}

struct matrix_follow {
  client_matrix_cb cb;
  void *userdata;
  int total;
  bool ended;
};

static void on_matrix_progress(void *userdata, int done, int total, int cpus, const char *status,
                               double boot_ms) {
  struct matrix_follow *f = userdata;
  (void)cpus, (void)status, (void)boot_ms;
  f->total = total;
  f->cb(f->userdata, done, total, "running");
}

static void on_matrix_ended(void *userdata, const char *status) {
  struct matrix_follow *f = userdata;
  f->ended = true;
  (void)status;
}

int client_local_follow_matrix(struct client *c, const char *id, client_matrix_cb cb,
                               void *userdata) {
  struct matrix_follow f = {cb, userdata, 0, false};
  struct matrix_watch watch = {on_matrix_progress, on_matrix_ended, &f};
  struct matrices_sub *sub = matrices_subscribe(c->ctx.matrices, id, &watch);
  while (sub && !f.ended && uv_run(c->ctx.loop, UV_RUN_ONCE))
    ;
  matrices_unsubscribe(sub);
  return 0;
}
