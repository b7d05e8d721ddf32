/* /api/v1/traces: a command run under the guest's syscall tracer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/ops.h"
#include "api/reply.h"
#include "api/route.h"
#include "core/traces.h"
#include "lib/syscall_trace.h"

static bool load(struct api_ctx *ctx, struct MHD_Connection *conn, const char *id, json_t **doc,
                 enum MHD_Result *result) {
  int r = util_is_id(id) ? store_doc_get(ctx->core->store, STORE_TRACES, id, doc) : -ENOENT;
  if (r == 0)
    return true;
  *result = r == -ENOENT ? reply_fail(conn, MHD_HTTP_NOT_FOUND, "trace_not_found", "id", "no trace with this id")
                         : reply_fail(conn, 500, "store_error", NULL, strerror(-r));
  return false;
}

static int start_trace(struct api_ctx *ctx, json_t *body, char id[UTIL_ID_LEN + 1], json_t **doc,
                       struct ma_error *err) {
  int r = traces_start(ctx->core->traces, body, id, err);
  if (r == 0 && (r = store_doc_get(ctx->core->store, STORE_TRACES, id, doc)) < 0)
    ma_error_set(err, EIO, "store_error", NULL, "%s", strerror(-r));
  return r;
}

enum MHD_Result trace_post(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req, struct run *run) {
  (void)run;
  return route_post_start(ctx, conn, req, start_trace, "traces");
}

enum MHD_Result trace_get(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req, struct run *run) {
  (void)run;
  const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
  format = format ? format : "json";
  if (strcmp(format, "json") && strcmp(format, "text") && strcmp(format, "csv") && strcmp(format, "svg"))
    return reply_fail(conn, 400, "unsupported_format", "format", "format must be json, text, csv or svg");
  enum MHD_Result result;
  json_t *doc;
  if (!load(ctx, conn, req->id, &doc, &result))
    return result;
  if (strcmp(format, "json") == 0)
    return reply_json(conn, MHD_HTTP_OK, doc);
  json_t *table = json_object_get(doc, "table");
  if (!table) {
    json_decref(doc);
    return reply_fail(conn, MHD_HTTP_CONFLICT, "no_table", "id", "this trace has no table (still running, or failed)");
  }
  char title[600];
  snprintf(title, sizeof title, "%s: %s", json_string_value(json_object_get(doc, "tracer")),
           json_string_value(json_object_get(doc, "command")));
  char *text = strcmp(format, "text") == 0  ? syscall_trace_text(table)
               : strcmp(format, "csv") == 0 ? syscall_trace_csv(table)
                                            : syscall_trace_svg(table, title);
  json_decref(doc);
  return reply_text(conn, text,
                    strcmp(format, "text") == 0  ? "text/plain; charset=utf-8"
                    : strcmp(format, "csv") == 0 ? "text/csv"
                                                 : "image/svg+xml");
}

enum MHD_Result trace_list(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req, struct run *run) {
  (void)req;
  (void)run;
  json_t *list;
  int r = store_docs_list(ctx->core->store, STORE_TRACES, 1000, &list);
  if (r < 0)
    return reply_fail(conn, 500, "store_error", NULL, strerror(-r));
  return reply_json(conn, MHD_HTTP_OK, json_pack("{s:o}", "traces", list));
}
