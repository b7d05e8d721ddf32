#include "api/deferred.h"

#include <stdlib.h>

#include "api/reply.h"

struct deferred {
  struct api_ctx *ctx;
  struct MHD_Connection *conn; /* NULL once the connection is gone */
  struct request *req;
};

struct deferred *deferred_new(struct api_ctx *ctx, struct MHD_Connection *conn,
                              struct request *req) {
  struct deferred *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  *d = (struct deferred){ctx, conn, req};
  req->deferred = d;
  ctx->deferred++;
  MHD_suspend_connection(conn);
  return d;
}

void deferred_finish(struct deferred *d, unsigned status, json_t *body) {
  if (d)
    d->ctx->deferred--;
  if (d && d->conn) {
    d->req->deferred = NULL;
    /* Queueing a response is allowed on a suspended connection. */
    reply_json(d->conn, status, body);
    MHD_resume_connection(d->conn);
    d->ctx->wake(d->ctx->wake_data);
  } else {
    json_decref(body);
  }
  free(d);
}

void deferred_detach(struct request *req) {
  if (req->deferred)
    req->deferred->conn = NULL;
  req->deferred = NULL;
}
