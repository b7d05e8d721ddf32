/* A server-sent event stream on one connection, fed from the loop: frames are
 * buffered, the connection is suspended while there is nothing to send and
 * resumed when something comes. Freed by MHD when the response goes. */
#pragma once
#include <jansson.h>
#include <microhttpd.h>

#include "api/route.h"

struct stream;

/* Called once when MHD drops the stream (client gone or stream ended and sent). */
typedef void (*stream_closed_cb)(void *userdata);

/* A new stream for conn, counted for client (request.client); nothing is sent
 * until stream_respond. NULL when refused: *refused then holds the queued 429
 * (too_many_streams), or MHD_NO when memory ran out. */
struct stream *stream_new(struct api_ctx *ctx, struct MHD_Connection *conn, const char *client,
                          stream_closed_cb closed, void *userdata, enum MHD_Result *refused);
/* Queues one event (event may be NULL for the default "message"); data is borrowed.
 * false once the stream takes no more: ended, or cut because its client fell behind. */
bool stream_push(struct stream *s, const char *event, json_t *data);
/* The same with data already serialized (one line of JSON). */
bool stream_push_text(struct stream *s, const char *event, const char *json);
/* No more events: the response ends once the buffer is sent. */
void stream_end(struct stream *s);
/* Queues the streaming response with status 200; extra header may be NULL. On
 * failure the stream is freed and closed is called. */
enum MHD_Result stream_respond(struct stream *s, const char *header, const char *value);
