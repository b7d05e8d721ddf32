/* GET /api/v1/matrices/{id}/events: a matrix's progress as server-sent events. */
#include <math.h>
#include <stdlib.h>

#include "api/sse.h"
#include "api/stream.h"
#include "core/matrices.h"

/* A client following one matrix: its stream and its subscription. */
struct matrix_follower {
  struct stream *stream;
  struct matrices_sub *sub;
  char id[UTIL_ID_LEN + 1];
};

static void on_progress(void *userdata, int done, int total, int cpus, const char *status,
                        double boot_ms) {
  struct matrix_follower *f = userdata;
  json_auto_t *data = json_pack("{s:s, s:i, s:i, s:i, s:s?, s:o}", "id", f->id, "done", done,
                                "total", total, "cpus", cpus, "run_status", status, "boot_time_ms",
                                isfinite(boot_ms) ? json_real(boot_ms) : json_null());
  if (!stream_push(f->stream, "progress", data)) {
    /* The client fell behind or left: stop following now, not at the matrix's end. */
    matrices_unsubscribe(f->sub);
    f->sub = NULL;
    stream_end(f->stream);
  }
}

static void on_ended(void *userdata, const char *status) {
  struct matrix_follower *f = userdata;
  json_auto_t *data = json_pack("{s:s, s:s}", "id", f->id, "status", status);
  stream_push(f->stream, "status", data);
  matrices_unsubscribe(f->sub);
  f->sub = NULL;
  stream_end(f->stream);
}

static void on_closed(void *userdata) {
  struct matrix_follower *f = userdata;
  matrices_unsubscribe(f->sub);
  free(f);
}

enum MHD_Result sse_matrix_events(struct api_ctx *ctx, struct MHD_Connection *conn,
                                  const char *client, json_t *report) {
  enum MHD_Result refused = MHD_NO;
  struct matrix_follower *f = calloc(1, sizeof *f);
  if (!f)
    return MHD_NO;
  snprintf(f->id, sizeof f->id, "%s", json_string_value(json_object_get(report, "id")));
  if (!(f->stream = stream_new(ctx, conn, client, on_closed, f, &refused))) {
    free(f);
    return refused;
  }
  /* Where it stands first: its status and progress as stored. */
  json_t *progress = json_object_get(report, "progress");
  json_auto_t *now = json_pack(
      "{s:s, s:O, s:O, s:O}", "id", f->id, "status", json_object_get(report, "status"), "done",
      json_object_get(progress, "done"), "total", json_object_get(progress, "total"));
  stream_push(f->stream, "status", now);
  /* Single-threaded: nothing can happen between the report and the subscription. */
  struct matrix_watch watch = {on_progress, on_ended, f};
  f->sub = matrices_subscribe(ctx->core->matrices, f->id, &watch);
  if (!f->sub)
    stream_end(f->stream); /* over (or interrupted): the status above is the last word */
  return stream_respond(f->stream, NULL, NULL);
}
