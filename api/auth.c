/* Bearer tokens on every route but the health check, when the daemon runs
 * with --auth: 401 without a valid token, 403 when a read token asks to
 * change something (anything but GET; on MCP, tools/call of a tool that
 * starts work). */
#include "api/auth.h"

#include <string.h>
#include <strings.h>

#include "api/reply.h"

static const char *const read_tools[] = {"boot_status", "boot_wait", "matrix_report", "claims_validate", "runs_list",
                                         NULL};

/* An MCP message a read token may send: anything but tools/call of a tool that starts work. */
static bool mcp_readonly(const struct request *req) {
  json_t *msg = req->body.len ? json_loadb(req->body.data, req->body.len, 0, NULL) : NULL;
  const char *method = json_string_value(json_object_get(msg, "method"));
  bool ok = !method || strcmp(method, "tools/call") != 0;
  const char *tool = json_string_value(json_object_get(json_object_get(msg, "params"), "name"));
  for (const char *const *t = read_tools; !ok && tool && *t; t++)
    ok = strcmp(*t, tool) == 0;
  json_decref(msg);
  return ok;
}

static bool allowed_for_read(const char *url, const char *method, const struct request *req) {
  if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
    return true;
  bool mcp = strcmp(url, "/mcp") == 0 || strncmp(url, "/mcp/", 5) == 0;
  return mcp && (strcmp(method, "DELETE") == 0 || (strcmp(method, "POST") == 0 && mcp_readonly(req)));
}

bool auth_check(struct api_ctx *ctx, struct MHD_Connection *conn, const char *url, const char *method,
                const struct request *req, enum MHD_Result *result) {
  if (!ctx->auth || (strcmp(url, "/api/v1/health") == 0 && strcmp(method, "GET") == 0))
    return true;
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  char scope[8] = "";
  bool valid = h && strncasecmp(h, "Bearer ", 7) == 0 && store_token_scope(ctx->store, h + 7, scope) == 0;
  if (!valid) {
    struct ma_error e;
    ma_error_set(&e, 401, "unauthorized", NULL, "%s",
                 h ? "the bearer token is unknown or revoked" : "this daemon wants Authorization: Bearer TOKEN");
    *result = reply_json_header(conn, 401, ma_error_json(&e), MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"minix-analysis\"");
    return false;
  }
  if (strcmp(scope, "full") == 0 || allowed_for_read(url, method, req))
    return true;
  *result = reply_fail(conn, 403, "forbidden", NULL, "this token is read-only: it may look, not start or change work");
  return false;
}
