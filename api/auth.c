/* Bearer tokens on every route but the health check, when the daemon runs
 * with --auth: 401 without a valid token, 403 when a read token asks to
 * change something (anything but GET; on MCP, tools/call of a tool that
 * starts work). */
#include "api/auth.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/rate_limit.h"
#include "api/reply.h"
#include "lib/digest.h"
#include "lib/util.h"

static const char *const read_tools[] = {"boot_status",     "boot_wait", "matrix_report",
                                         "claims_validate", "runs_list", NULL};

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
  return mcp &&
         (strcmp(method, "DELETE") == 0 || (strcmp(method, "POST") == 0 && mcp_readonly(req)));
}

/* Who is asking, for the rate limit, the stream caps and MCP sessions: a
 * digest of the bearer token (the token itself stays out of memory that
 * lives past the request), else the client's address. */
static void client_key(struct MHD_Connection *conn, const char *bearer, char *key, size_t cap) {
  if (bearer) {
    char hex[DIGEST_SHA256_HEX];
    digest_sha256_hex(bearer, strlen(bearer), hex);
    snprintf(key, cap, "token %.32s", hex);
    return;
  }
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  const struct sockaddr *sa = ci ? ci->client_addr : NULL;
  char addr[INET6_ADDRSTRLEN] = "?";
  if (sa && sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof addr);
  else if (sa && sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof addr);
  snprintf(key, cap, "addr %s", addr);
}

static bool within_rate(struct api_ctx *ctx, struct MHD_Connection *conn, const char *key,
                        enum MHD_Result *result) {
  int wait = rate_limit_take(ctx->rate_limit, key, util_mono_us());
  if (wait == 0)
    return true;
  struct ma_error e;
  ma_error_set(&e, EUSERS, "rate_limited", NULL,
               "too many requests from this client; retry in %d s", wait);
  char after[16];
  snprintf(after, sizeof after, "%d", wait);
  *result = reply_json_header(conn, 429, ma_error_json(&e), MHD_HTTP_HEADER_RETRY_AFTER, after);
  return false;
}

bool auth_check(struct api_ctx *ctx, struct MHD_Connection *conn, const char *url,
                const char *method, struct request *req, enum MHD_Result *result) {
  client_key(conn, NULL, req->client, sizeof req->client);
  if (strcmp(url, "/api/v1/health") == 0 && strcmp(method, "GET") == 0)
    return true;
  snprintf(req->scope, sizeof req->scope, "full");
  if (!ctx->auth)
    return within_rate(ctx, conn, req->client, result);
  const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  char scope[8] = "";
  bool valid = h && strncasecmp(h, "Bearer ", 7) == 0 &&
               store_token_scope(ctx->core->store, h + 7, scope) == 0;
  if (!valid) {
    /* Wrong guesses count against the address: token guessing is rate-limited too. */
    if (!within_rate(ctx, conn, req->client, result))
      return false;
    struct ma_error e;
    ma_error_set(&e, ENOKEY, "unauthorized", NULL, "%s",
                 h ? "the bearer token is unknown or revoked"
                   : "this daemon wants Authorization: Bearer TOKEN");
    *result = reply_json_header(conn, 401, ma_error_json(&e), MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"minix-analysis\"");
    return false;
  }
  client_key(conn, h + 7, req->client, sizeof req->client);
  snprintf(req->scope, sizeof req->scope, "%s", scope);
  if (!within_rate(ctx, conn, req->client, result))
    return false;
  if (strcmp(scope, "full") == 0 || allowed_for_read(url, method, req))
    return true;
  *result = reply_fail(conn, 403, "forbidden", NULL,
                       "this token is read-only: it may look, not start or change work");
  return false;
}
