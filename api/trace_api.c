/* /api/v1/traces: a command run under the guest's syscall tracer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/ops.h"
#include "api/reply.h"
#include "api/route.h"
#include "lib/syscall_trace.h"

static int start_trace(struct api_ctx *ctx, json_t *body, char id[UTIL_ID_LEN + 1], json_t **doc,
                       struct ma_error *err) {
  int r = ops_trace_start(ctx->core, body, id, err);
  return r < 0 ? r : ops_trace_get(ctx->core, id, doc, err);
}

enum MHD_Result trace_post(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                           struct run *run) {
  (void)run;
  return route_post_start(ctx, conn, req, start_trace, "traces");
}

enum MHD_Result trace_get(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                          struct run *run) {
  (void)run;
  const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
  format = format ? format : "json";
  if (strcmp(format, "json") && strcmp(format, "text") && strcmp(format, "csv") &&
      strcmp(format, "svg"))
    return reply_fail(conn, 400, "unsupported_format", "format",
                      "format must be json, text, csv or svg");
  struct ma_error err;
  json_t *doc;
  if (ops_trace_get(ctx->core, req->id, &doc, &err) < 0)
    return reply_error(conn, &err);
  if (strcmp(format, "json") == 0)
    return reply_json(conn, MHD_HTTP_OK, doc);
  json_t *table = json_object_get(doc, "table");
  if (!table) {
    json_decref(doc);
    return reply_fail(conn, MHD_HTTP_CONFLICT, "no_table", "id",
                      "this trace has no table (still running, or failed)");
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

enum MHD_Result trace_list(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                           struct run *run) {
  (void)req;
  (void)run;
  json_t *list;
  struct ma_error err;
  if (ops_traces_list(ctx->core, &list, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, list);
}
