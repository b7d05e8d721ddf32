/* /api/v1/installs: unattended installs from a registered ISO onto a new disk. */
#include <string.h>

#include "core/ops.h"
#include "api/reply.h"
#include "api/route.h"

static int start_install(struct api_ctx *ctx, json_t *body, char id[UTIL_ID_LEN + 1], json_t **doc,
                         struct ma_error *err) {
  int r = ops_install_start(ctx->core, body, id, err);
  return r < 0 ? r : ops_install_get(ctx->core, id, doc, err);
}

enum MHD_Result install_post(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                             struct run *run) {
  (void)run;
  return route_post_start(ctx, conn, req, start_install, "installs");
}

enum MHD_Result install_get(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                            struct run *run) {
  (void)run;
  struct ma_error err;
  json_t *doc;
  if (ops_install_get(ctx->core, req->id, &doc, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, doc);
}

enum MHD_Result install_list(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                             struct run *run) {
  (void)req;
  (void)run;
  json_t *list;
  struct ma_error err;
  if (ops_installs_list(ctx->core, &list, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, list);
}

enum MHD_Result install_delete(struct api_ctx *ctx, struct MHD_Connection *conn,
                               struct request *req, struct run *run) {
  (void)run;
  struct ma_error err;
  json_t *out;
  if (ops_install_cancel(ctx->core, req->id, &out, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_ACCEPTED, out);
}
