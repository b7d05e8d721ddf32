#include "api/sse.h"

#include <stdlib.h>
#include <string.h>

#include "api/reply.h"
#include "lib/run.h"

struct sse_stream {
  struct api_ctx *ctx;
  struct MHD_Connection *conn;
  struct jobs_sub *sub;
  struct util_buf buf;
  size_t off; /* bytes of buf already handed to MHD */
  bool done, suspended;
};

static void push(struct sse_stream *s, const char *event, json_t *data) {
  _cleanup_(util_freep) char *json = json_dumps(data, RUN_JSON_FLAGS);
  _cleanup_(util_freep) char *frame = json ? util_strdupf("event: %s\ndata: %s\n\n", event, json) : NULL;
  if (!frame)
    return;
  /* Sent bytes are dropped only once all are sent: no memmove per event. */
  if (s->off == s->buf.len) {
    s->buf.len = 0;
    s->off = 0;
  }
  util_buf_append(&s->buf, frame, strlen(frame));
}

/* Same, taking ownership of data. */
static void push_new(struct sse_stream *s, const char *event, json_t *data) {
  push(s, event, data);
  json_decref(data);
}

static void wake(struct sse_stream *s) {
  if (s->suspended) {
    s->suspended = false;
    MHD_resume_connection(s->conn);
    s->ctx->wake(s->ctx->wake_data);
  }
}

static void on_event(void *userdata, const struct jobs_event *ev) {
  struct sse_stream *s = userdata;
  static const char *const names[] = {[JOBS_EV_STATUS] = "status", [JOBS_EV_MARKER] = "marker",
                                      [JOBS_EV_SERIAL] = "serial", [JOBS_EV_END] = "status"};
  push(s, names[ev->kind], ev->data);
  if (ev->kind == JOBS_EV_END) {
    jobs_unsubscribe(s->sub);
    s->sub = NULL;
    s->done = true;
  }
  wake(s);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
  struct sse_stream *s = cls;
  (void)pos;
  if (s->off < s->buf.len) {
    size_t n = s->buf.len - s->off < max ? s->buf.len - s->off : max;
    memcpy(buf, s->buf.data + s->off, n);
    s->off += n;
    return (ssize_t)n;
  }
  if (s->done)
    return MHD_CONTENT_READER_END_OF_STREAM;
  /* Nothing to send: park the connection until the next event wakes it. */
  s->suspended = true;
  MHD_suspend_connection(s->conn);
  return 0;
}

static void free_stream(void *cls) {
  struct sse_stream *s = cls;
  jobs_unsubscribe(s->sub);
  util_buf_clear(&s->buf);
  free(s);
}

/* Markers so far; the status first while live, last when the run is over. */
static void replay(struct sse_stream *s, const struct run *run) {
  bool final = run_status_final(run->status);
  if (!final)
    push_new(s, "status", json_pack("{s:s, s:s}", "id", run->id, "status", run->status));
  json_t *full = run_to_json(run, NULL);
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(full, "markers"), i, m) push(s, "marker", m);
  json_decref(full);
  if (final)
    push_new(s, "status", json_pack("{s:s, s:s}", "id", run->id, "status", run->status));
}

enum MHD_Result sse_run_events(struct api_ctx *ctx, struct MHD_Connection *conn, const struct run *run) {
  struct sse_stream *s = calloc(1, sizeof *s);
  if (!s)
    return MHD_NO;
  s->conn = conn;
  s->ctx = ctx;
  replay(s, run);
  /* Single-threaded: nothing can happen between the replay and the subscription. */
  s->sub = run_status_final(run->status) ? NULL : jobs_subscribe(ctx->jobs, run->id, on_event, s);
  s->done = s->sub == NULL;
  struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, free_stream);
  if (!resp) {
    free_stream(s);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return r;
}
