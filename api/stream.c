#include "api/stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/reply.h"
#include "api/stream_limits.h"
#include "lib/run.h"
#include "lib/util.h"

/* Unsent bytes a client may fall behind by. Past it the stream is cut with a
 * last event saying so: a reader that stalls must cost neither the daemon's
 * memory nor the boot it follows (each event is copied once per stream). */
#define STREAM_LAG_MAX (256u * 1024)

struct stream {
  struct api_ctx *ctx;
  struct MHD_Connection *conn;
  struct util_buf buf;
  size_t off; /* bytes of buf already handed to MHD */
  bool done, suspended;
  stream_closed_cb closed;
  void *userdata;
  char client[sizeof((struct request *)0)->client];
};

struct stream *stream_new(struct api_ctx *ctx, struct MHD_Connection *conn, const char *client,
                          stream_closed_cb closed, void *userdata, enum MHD_Result *refused) {
  *refused = MHD_NO;
  int r = stream_limits_take(ctx->streams, client);
  if (r == -EMFILE || r == -EUSERS) {
    struct ma_error e;
    ma_error_set(&e, EUSERS, "too_many_streams", NULL,
                 r == -EMFILE
                     ? "the daemon holds as many event streams as it may; retry when one ends"
                     : "this client holds as many event streams as it may; close one first");
    *refused = reply_json_header(conn, 429, ma_error_json(&e), MHD_HTTP_HEADER_RETRY_AFTER, "5");
    return NULL;
  }
  struct stream *s = r == 0 ? calloc(1, sizeof *s) : NULL;
  if (!s) {
    if (r == 0)
      stream_limits_give(ctx->streams, client);
    return NULL;
  }
  *s = (struct stream){.ctx = ctx, .conn = conn, .closed = closed, .userdata = userdata};
  snprintf(s->client, sizeof s->client, "%s", client);
  return s;
}

static void wake(struct stream *s) {
  if (!s->suspended)
    return;
  s->suspended = false;
  MHD_resume_connection(s->conn);
  s->ctx->wake(s->ctx->wake_data);
}

/* The client fell too far behind: what it has not read yet stays, then a last event, then the end.
 */
static void cut(struct stream *s, size_t lag) {
  util_buf_printf(
      &s->buf,
      "event: error\ndata: {\"code\":\"slow_reader\",\"message\":\"this client fell %zu bytes "
      "behind "
      "(at most %u may wait): the stream ends here; reconnect to replay the markers\"}\n\n",
      lag, STREAM_LAG_MAX);
  stream_end(s);
}

bool stream_push(struct stream *s, const char *event, json_t *data) {
  if (s->done)
    return false;
  _cleanup_(util_freep) char *json = json_dumps(data, RUN_JSON_FLAGS);
  return json ? stream_push_text(s, event, json) : true;
}

/* Drops what was sent: all of it when the client is caught up, else once the
 * sent part is the larger half (one memmove per halving, not per event), so a
 * client that always trails a little does not keep everything ever sent. */
static void drop_sent(struct stream *s) {
  if (s->off == s->buf.len) {
    s->buf.len = s->off = 0;
  } else if (s->off >= 64 * 1024 && s->off >= s->buf.len / 2) {
    memmove(s->buf.data, s->buf.data + s->off, s->buf.len - s->off);
    s->buf.len -= s->off;
    s->off = 0;
  }
}

bool stream_push_text(struct stream *s, const char *event, const char *json) {
  if (s->done)
    return false;
  drop_sent(s);
  /* The cap is on what waits already: one large event (a tool's final result
   * with every memory sample) still goes to a client that keeps up. */
  size_t lag = s->buf.len - s->off;
  if (lag > STREAM_LAG_MAX) {
    cut(s, lag);
    return false;
  }
  if (event)
    util_buf_printf(&s->buf, "event: %s\n", event);
  util_buf_printf(&s->buf, "data: %s\n\n", json);
  wake(s);
  return true;
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
  stream_limits_give(s->ctx->streams, s->client);
  util_buf_clear(&s->buf);
  free(s);
}

enum MHD_Result stream_respond(struct stream *s, const char *header, const char *value) {
  struct MHD_Response *resp =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, free_stream);
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
