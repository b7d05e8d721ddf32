/* /api/v1/images: verify and register ISOs, list them, delete them and installed disks. */
#include <stdlib.h>

#include "api/deferred.h"
#include "api/http_status.h"
#include "core/ops.h"
#include "api/reply.h"
#include "api/route.h"

struct pending {
  struct deferred *reply; /* set once the work is queued; done runs on a later loop turn */
};

static void registered(void *userdata, json_t *image, const struct ma_error *err) {
  struct pending *p = userdata;
  if (image)
    deferred_finish(p->reply, MHD_HTTP_CREATED, image);
  else
    deferred_finish(p->reply, http_status_of(err->errnum), ma_error_json(err));
  free(p);
}

enum MHD_Result image_post(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                           struct run *run) {
  (void)run;
  enum MHD_Result result;
  json_auto_t *body = route_body_json(conn, req, &result);
  if (!body)
    return result;
  struct pending *p = calloc(1, sizeof *p);
  if (!p)
    return MHD_NO;
  struct ma_error err;
  /* A bad request is answered now; only real work suspends the connection. */
  if (ops_image_register(ctx->core, body, registered, p, &err) < 0) {
    free(p);
    return reply_error(conn, &err);
  }
  p->reply = deferred_new(ctx, conn, req);
  return p->reply ? MHD_YES : MHD_NO;
}

enum MHD_Result image_list(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                           struct run *run) {
  (void)req;
  (void)run;
  json_t *list;
  struct ma_error err;
  if (ops_images_list(ctx->core, &list, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, list);
}

enum MHD_Result image_get(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                          struct run *run) {
  (void)run;
  json_t *image;
  struct ma_error err;
  if (ops_image_get(ctx->core, req->id, &image, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, image);
}

enum MHD_Result image_delete(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                             struct run *run) {
  (void)run;
  json_t *out;
  struct ma_error err;
  if (ops_image_delete(ctx->core, req->id, &out, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, out);
}
