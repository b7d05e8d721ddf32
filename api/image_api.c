/* /api/v1/images: verify and register ISOs, list them. */
#include "api/ops.h"
#include "api/reply.h"
#include "api/route.h"

enum MHD_Result image_post(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req, struct run *run) {
  (void)run;
  enum MHD_Result result;
  json_auto_t *body = route_body_json(conn, req, &result);
  if (!body)
    return result;
  json_t *image;
  struct ma_error err;
  if (ops_image_register(ctx, body, &image, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_CREATED, image);
}

enum MHD_Result image_list(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req, struct run *run) {
  (void)req;
  (void)run;
  json_t *list;
  struct ma_error err;
  if (ops_images_list(ctx, &list, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, list);
}

enum MHD_Result image_get(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req, struct run *run) {
  (void)run;
  json_t *image;
  struct ma_error err;
  if (ops_image_get(ctx, req->id, &image, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, image);
}
