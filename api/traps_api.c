/* GET /api/v1/runs/{id}/traps: interrupt and exception counts of a run made with "trap_counts". */
#include "api/reply.h"
#include "api/route.h"
#include "core/ops.h"

enum MHD_Result get_traps(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                          struct run *run) {
  (void)req;
  json_t *traps;
  struct ma_error err;
  if (ops_run_traps(ctx->core, run->id, &traps, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, traps);
}
