/* /api/v1/installs: unattended installs from a registered ISO onto a new disk. */
#include <string.h>

#include "core/ops.h"
#include "api/reply.h"
#include "api/route.h"
#include "core/installs.h"

static int start_install(struct api_ctx *ctx, json_t *body, char id[UTIL_ID_LEN + 1], json_t **doc,
                         struct ma_error *err) {
  int r = ops_install_start(ctx->core, body, id, err);
  return r < 0 ? r : ops_install_get(ctx->core, id, doc, err);
}

enum MHD_Result install_post(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req, struct run *run) {
  (void)run;
  return route_post_start(ctx, conn, req, start_install, "installs");
}

enum MHD_Result install_get(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req, struct run *run) {
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
  int r = store_docs_list(ctx->core->store, STORE_INSTALLS, 1000, &list);
  if (r < 0)
    return reply_fail(conn, 500, "store_error", NULL, strerror(-r));
  return reply_json(conn, MHD_HTTP_OK, json_pack("{s:o}", "installs", list));
}

enum MHD_Result install_delete(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                               struct run *run) {
  (void)run;
  struct ma_error err;
  json_t *doc;
  if (ops_install_get(ctx->core, req->id, &doc, &err) < 0)
    return reply_error(conn, &err);
  json_decref(doc);
  if (installs_cancel(ctx->core->installs, req->id) < 0)
    return reply_fail(conn, MHD_HTTP_CONFLICT, "already_finished", "id", "the install has already ended");
  return reply_json(conn, MHD_HTTP_ACCEPTED, json_pack("{s:s, s:s}", "id", req->id, "status", "cancelling"));
}
