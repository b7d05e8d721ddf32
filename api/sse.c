#include "api/sse.h"

#include <stdlib.h>

#include "api/stream.h"
#include "lib/run.h"

/* A client following one run: its stream and its subscription to the run. */
struct follower {
  struct stream *stream;
  struct jobs_sub *sub;
};

static void on_event(void *userdata, const struct jobs_event *ev) {
  struct follower *f = userdata;
  static const char *const names[] = {[JOBS_EV_STATUS] = "status",
                                      [JOBS_EV_MARKER] = "marker",
                                      [JOBS_EV_SERIAL] = "serial",
                                      [JOBS_EV_END] = "status"};
  bool more = ev->json ? stream_push_text(f->stream, names[ev->kind], ev->json) : true;
  if (ev->kind == JOBS_EV_END || !more) {
    jobs_unsubscribe(f->sub);
    f->sub = NULL;
    stream_end(f->stream);
  }
}

static void on_closed(void *userdata) {
  struct follower *f = userdata;
  jobs_unsubscribe(f->sub);
  free(f);
}

static void push_status(struct stream *s, const struct run *run) {
  json_t *status = json_pack("{s:s, s:s}", "id", run->id, "status", run->status);
  stream_push(s, "status", status);
  json_decref(status);
}

/* Markers so far; the status first while live, last when the run is over. */
static void replay(struct stream *s, const struct run *run) {
  bool final = run_status_final(run->status);
  if (!final)
    push_status(s, run);
  json_t *full = run_to_json(run, NULL);
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(full, "markers"), i, m) stream_push(s, "marker", m);
  json_decref(full);
  if (final)
    push_status(s, run);
}

enum MHD_Result sse_run_events(struct api_ctx *ctx, struct MHD_Connection *conn, const char *client,
                               const struct run *run) {
  enum MHD_Result refused = MHD_NO;
  struct follower *f = calloc(1, sizeof *f);
  if (!f)
    return MHD_NO;
  if (!(f->stream = stream_new(ctx, conn, client, on_closed, f, &refused))) {
    free(f);
    return refused;
  }
  replay(f->stream, run);
  /* Single-threaded: nothing can happen between the replay and the subscription. */
  f->sub =
      run_status_final(run->status) ? NULL : jobs_subscribe(ctx->core->jobs, run->id, on_event, f);
  if (!f->sub)
    stream_end(f->stream);
  return stream_respond(f->stream, NULL, NULL);
}
