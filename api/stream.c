#include "api/stream.h"

#include <stdlib.h>
#include <string.h>

#include "api/reply.h"
#include "lib/run.h"
#include "lib/util.h"

struct stream {
  struct api_ctx *ctx;
  struct MHD_Connection *conn;
  struct util_buf buf;
  size_t off; /* bytes of buf already handed to MHD */
  bool done, suspended;
  stream_closed_cb closed;
  void *userdata;
};

struct stream *stream_new(struct api_ctx *ctx, struct MHD_Connection *conn, stream_closed_cb closed, void *userdata) {
  struct stream *s = calloc(1, sizeof *s);
  if (s)
    *s = (struct stream){.ctx = ctx, .conn = conn, .closed = closed, .userdata = userdata};
  return s;
}

static void wake(struct stream *s) {
  if (!s->suspended)
    return;
  s->suspended = false;
  MHD_resume_connection(s->conn);
  s->ctx->wake(s->ctx->wake_data);
}

void stream_push(struct stream *s, const char *event, json_t *data) {
  _cleanup_(util_freep) char *json = json_dumps(data, RUN_JSON_FLAGS);
  if (!json)
    return;
  /* Sent bytes are dropped only once all are sent: no memmove per event. */
  if (s->off == s->buf.len) {
    s->buf.len = 0;
    s->off = 0;
  }
  if (event)
    util_buf_printf(&s->buf, "event: %s\n", event);
  util_buf_printf(&s->buf, "data: %s\n\n", json);
  wake(s);
}

void stream_end(struct stream *s) {
  s->done = true;
  wake(s);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
  struct stream *s = cls;
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
  struct stream *s = cls;
  if (s->closed)
    s->closed(s->userdata);
  util_buf_clear(&s->buf);
  free(s);
}

enum MHD_Result stream_respond(struct stream *s, const char *header, const char *value) {
  struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, free_stream);
  if (!resp) {
    free_stream(s);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  if (header)
    MHD_add_response_header(resp, header, value);
  enum MHD_Result r = reply_queue(s->conn, MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return r;
}
