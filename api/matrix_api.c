/* /api/v1/matrices: start, follow, cancel and report vCPU x samples matrices. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "api/reply.h"
#include "api/route.h"
#include "api/sse.h"
#include "lib/matrix.h"
#include "lib/matrix_compare.h"
#include "lib/matrix_render.h"
#include "lib/matrix_report.h"

static int start_matrix(struct api_ctx *ctx, json_t *body, char id[UTIL_ID_LEN + 1], json_t **doc,
                        struct ma_error *err) {
  int total;
  int r = ops_matrix_start(ctx->core, body, id, &total, err);
  if (r == 0)
    *doc = json_pack("{s:s, s:s, s:i}", "id", id, "status", "running", "total", total);
  return r;
}

enum MHD_Result matrix_post(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                            struct run *run) {
  (void)run;
  return route_post_start(ctx, conn, req, start_matrix, "matrices");
}

enum MHD_Result matrix_list(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                            struct run *run) {
  (void)req;
  (void)run;
  const char *limit = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
  json_auto_t *l = limit ? json_string(limit) : NULL;
  json_t *out;
  struct ma_error err;
  if (ops_matrices_list(ctx->core, l, &out, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, out);
}

/* The report of matrix id, or NULL after answering 404/500. */
static json_t *load_report_of(struct api_ctx *ctx, struct MHD_Connection *conn, const char *id,
                              json_t **runs_out, enum MHD_Result *result) {
  json_t *report;
  struct ma_error err;
  if (ops_matrix_report(ctx->core, id, &report, runs_out, &err) < 0) {
    *result = reply_error(conn, &err);
    return NULL;
  }
  return report;
}

static json_t *load_report(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                           json_t **runs_out, enum MHD_Result *result) {
  return load_report_of(ctx, conn, req->id, runs_out, result);
}

enum MHD_Result matrix_get(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                           struct run *run) {
  (void)run;
  enum MHD_Result result;
  json_t *report = load_report(ctx, conn, req, NULL, &result);
  return report ? reply_json(conn, MHD_HTTP_OK, report) : result;
}

enum MHD_Result matrix_events(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                              struct run *run) {
  (void)run;
  enum MHD_Result result;
  json_auto_t *report = load_report(ctx, conn, req, NULL, &result);
  return report ? sse_matrix_events(ctx, conn, req->client, report) : result;
}

enum MHD_Result matrix_delete(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                              struct run *run) {
  (void)run;
  struct ma_error err;
  json_t *out;
  if (ops_matrix_cancel(ctx->core, req->id, &out, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_ACCEPTED, out);
}

enum MHD_Result matrix_get_report(struct api_ctx *ctx, struct MHD_Connection *conn,
                                  struct request *req, struct run *run) {
  (void)run;
  const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
  format = format ? format : "json";
  static const char *const formats[][2] = {{"json", "application/json"},
                                           {"text", "text/plain; charset=utf-8"},
                                           {"csv", "text/csv"},
                                           {"svg", "image/svg+xml"},
                                           {"latex", "application/x-latex"}};
  const char *type = NULL;
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
    if (strcmp(format, formats[i][0]) == 0)
      type = formats[i][1];
  if (!type)
    return reply_fail(conn, 400, "unsupported_format", "format",
                      "format must be json, text, csv, svg or latex");
  enum MHD_Result result;
  json_t *runs = NULL;
  json_t *report = load_report(ctx, conn, req, &runs, &result);
  if (!report)
    return result;
  if (strcmp(format, "json") == 0) {
    json_decref(runs);
    return reply_json(conn, MHD_HTTP_OK, report);
  }
  char *text = strcmp(format, "text") == 0  ? matrix_report_text(report)
               : strcmp(format, "csv") == 0 ? matrix_report_csv(runs)
               : strcmp(format, "svg") == 0 ? matrix_report_svg(report)
                                            : matrix_report_latex(report);
  json_decref(report);
  json_decref(runs);
  return reply_text(conn, text, type);
}

enum MHD_Result matrix_compare_route(struct api_ctx *ctx, struct MHD_Connection *conn,
                                     struct request *req, struct run *run) {
  (void)run;
  const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
  format = format ? format : "json";
  if (strcmp(format, "json") && strcmp(format, "text"))
    return reply_fail(conn, 400, "unsupported_format", "format", "format must be json or text");
  struct ma_error err;
  json_t *cmp;
  if (ops_matrix_compare(ctx->core, req->id, req->other, &cmp, &err) < 0)
    return reply_error(conn, &err);
  if (strcmp(format, "json") == 0)
    return reply_json(conn, MHD_HTTP_OK, cmp);
  char *text = matrix_compare_text(cmp);
  json_decref(cmp);
  return reply_text(conn, text, "text/plain; charset=utf-8");
}
