/* POST/GET/DELETE /mcp and /mcp/{group}: the Streamable HTTP transport of MCP. */
#include "api/mcp_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/reply.h"
#include "api/route.h"
#include "config.h"
#include "lib/jsonrpc.h"
#include "lib/mcp.h"

#define SESSION_IDLE_US (3600LL * 1000000) /* a session unused this long is gone (404) */
#define MAX_SESSIONS 1024
/* A client (token, else address) that opens more evicts its own oldest: a
 * read token cannot push another's live session out while the table has
 * free or expired slots (only a table full of live sessions of clients under
 * this cap gives up its least recently used). */
#define MAX_SESSIONS_PER_CLIENT 32
#define SESSION_ID_LEN 32

struct session {
  char id[SESSION_ID_LEN + 1];
  char group[32];
  char version[16];
  char client[sizeof((struct request *)0)->client]; /* who initialized it: only they may use it */
  int64_t last_used_us;
};

struct mcp_state {
  struct mcp_catalog *catalog;
  struct session sessions[MAX_SESSIONS];
};

struct mcp_state *mcp_state_new(void) {
  struct mcp_state *m = calloc(1, sizeof *m);
  if (!m || !(m->catalog = mcp_catalog_new())) {
    free(m);
    return NULL;
  }
  return m;
}

void mcp_state_free(struct mcp_state *m) {
  if (!m)
    return;
  mcp_catalog_free(m->catalog);
  free(m);
}

static bool expired(const struct session *s, int64_t now) {
  return now - s->last_used_us > SESSION_IDLE_US;
}

static struct session *find_session(struct mcp_state *m, const char *id, const char *group,
                                    const char *client) {
  int64_t now = util_mono_us();
  for (size_t i = 0; id && i < MAX_SESSIONS; i++) {
    struct session *s = &m->sessions[i];
    if (!s->id[0] || strcmp(s->id, id) != 0)
      continue;
    if (expired(s, now) || strcmp(s->group, group) != 0 || strcmp(s->client, client) != 0)
      return NULL;
    s->last_used_us = now;
    return s;
  }
  return NULL;
}

/* The slot a new session of client takes: a free or expired one; past the
 * client's cap its own least recently used; with the table full of live
 * sessions of clients under their cap, the least recently used of all. */
static struct session *session_slot(struct mcp_state *m, const char *client) {
  int64_t now = util_mono_us();
  struct session *free_slot = NULL, *own_lru = NULL, *any_lru = &m->sessions[0];
  int own = 0;
  for (size_t i = 0; i < MAX_SESSIONS; i++) {
    struct session *s = &m->sessions[i];
    if (!s->id[0] || expired(s, now)) {
      free_slot = free_slot ? free_slot : s;
      continue;
    }
    if (strcmp(s->client, client) == 0 &&
        (++own, !own_lru || s->last_used_us < own_lru->last_used_us))
      own_lru = s;
    if (s->last_used_us < any_lru->last_used_us)
      any_lru = s;
  }
  if (own >= MAX_SESSIONS_PER_CLIENT)
    return own_lru;
  return free_slot ? free_slot : any_lru;
}

static struct session *new_session(struct mcp_state *m, const char *group, const char *version,
                                   const char *client) {
  struct session *slot = session_slot(m, client);
  char half[2][UTIL_ID_LEN + 1];
  if (util_new_id(half[0]) < 0 || util_new_id(half[1]) < 0)
    return NULL;
  snprintf(slot->id, sizeof slot->id, "%s%s", half[0], half[1]);
  snprintf(slot->group, sizeof slot->group, "%s", group);
  snprintf(slot->version, sizeof slot->version, "%s", version);
  snprintf(slot->client, sizeof slot->client, "%s", client);
  slot->last_used_us = util_mono_us();
  return slot;
}

static enum MHD_Result rpc_reply(struct MHD_Connection *conn, unsigned status, json_t *body,
                                 const char *session) {
  return reply_json_header(conn, status, body, session ? "Mcp-Session-Id" : NULL, session);
}

static enum MHD_Result http_error(struct MHD_Connection *conn, unsigned status, int code,
                                  const char *message) {
  return rpc_reply(conn, status, jsonrpc_error(NULL, code, message), NULL);
}

static enum MHD_Result accepted(struct MHD_Connection *conn) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  enum MHD_Result r = reply_queue(conn, MHD_HTTP_ACCEPTED, resp);
  MHD_destroy_response(resp);
  return r;
}

/* The group this endpoint serves ("" for all), or NULL when unknown. */
static const char *endpoint_group(struct api_ctx *ctx, struct request *req) {
  if (!req->id[0])
    return "";
  return mcp_group_known(ctx->mcp->catalog, req->id) ? req->id : NULL;
}

/* Checks what every request must carry; answers and returns false when it fails. */
static bool checks(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                   const char **group, enum MHD_Result *result) {
  /* Origin and Host were checked for every route (api/guard.c). */
  if (!(*group = endpoint_group(ctx, req))) {
    *result = http_error(conn, MHD_HTTP_NOT_FOUND, JSONRPC_INVALID_REQUEST,
                         "Not Found: MCP servers are /mcp, /mcp/boot-profiler, "
                         "/mcp/syscall-tracer, /mcp/memory-monitor");
    return false;
  }
  const char *version = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "MCP-Protocol-Version");
  if (version && !mcp_version_supported(version)) {
    *result = http_error(conn, MHD_HTTP_BAD_REQUEST, JSONRPC_INVALID_REQUEST,
                         "Bad Request: unsupported MCP-Protocol-Version (2025-11-25, 2025-06-18 "
                         "and 2025-03-26 are)");
    return false;
  }
  return true;
}

/* Everything but initialize needs a live session of this endpoint. */
static bool session_ok(struct api_ctx *ctx, struct MHD_Connection *conn, const struct request *req,
                       const char *group, enum MHD_Result *result) {
  const char *sid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Mcp-Session-Id");
  if (!sid) {
    *result = http_error(conn, MHD_HTTP_BAD_REQUEST, JSONRPC_INVALID_REQUEST,
                         "Bad Request: Mcp-Session-Id header is required after initialize");
    return false;
  }
  if (!find_session(ctx->mcp, sid, group, req->client)) {
    *result = http_error(conn, MHD_HTTP_NOT_FOUND, JSONRPC_INVALID_REQUEST,
                         "Not Found: unknown or expired session; initialize again");
    return false;
  }
  return true;
}

static enum MHD_Result handle(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                              const char *group, struct jsonrpc_msg *msg) {
  enum MHD_Result result;
  bool initialize = msg->kind == JSONRPC_REQUEST && strcmp(msg->method, "initialize") == 0;
  if (!initialize && !session_ok(ctx, conn, req, group, &result))
    return result;
  struct mcp_decision d;
  mcp_decide(ctx->mcp->catalog, group[0] ? group : NULL, MA_VERSION, msg, &d);
  switch (d.step) {
  case MCP_STEP_ACCEPTED: return accepted(conn);
  case MCP_STEP_REPLY: return rpc_reply(conn, MHD_HTTP_OK, d.reply, NULL);
  case MCP_STEP_INITIALIZE: {
    struct session *s = new_session(ctx->mcp, group, d.version, req->client);
    if (!s) {
      json_decref(d.reply);
      return http_error(conn, 500, JSONRPC_INTERNAL_ERROR, "cannot create a session");
    }
    return rpc_reply(conn, MHD_HTTP_OK, d.reply, s->id);
  }
  case MCP_STEP_CALL_TOOL: break;
  }
  json_t *args = d.args ? d.args : json_object();
  if (!d.args)
    json_object_set_new(msg->root, "__args", args); /* owned by the message, freed with it */
  return mcp_tools_call(ctx, conn, req, d.tool, args, msg->id, d.progress_token);
}

enum MHD_Result mcp_post(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                         struct run *run) {
  (void)run;
  enum MHD_Result result;
  const char *group;
  if (!checks(ctx, conn, req, &group, &result))
    return result;
  if (req->too_large)
    return http_error(conn, 413, JSONRPC_INVALID_REQUEST,
                      "Payload Too Large: the body exceeds 1 MiB");
  struct jsonrpc_msg msg;
  json_t *error;
  if (jsonrpc_parse(req->body.data ? req->body.data : "", req->body.len, &msg, &error) < 0)
    return rpc_reply(conn, MHD_HTTP_BAD_REQUEST, error, NULL);
  result = handle(ctx, conn, req, group, &msg);
  jsonrpc_msg_clear(&msg);
  return result;
}

enum MHD_Result mcp_get(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                        struct run *run) {
  (void)run;
  enum MHD_Result result;
  const char *group;
  if (!checks(ctx, conn, req, &group, &result))
    return result;
  /* No server-initiated messages: no standalone SSE stream to offer. */
  return reply_json_header(
      conn, MHD_HTTP_METHOD_NOT_ALLOWED,
      jsonrpc_error(NULL, JSONRPC_INVALID_REQUEST, "Method Not Allowed: use POST"),
      MHD_HTTP_HEADER_ALLOW, "POST, DELETE");
}

enum MHD_Result mcp_delete(struct api_ctx *ctx, struct MHD_Connection *conn, struct request *req,
                           struct run *run) {
  (void)run;
  enum MHD_Result result;
  const char *group;
  if (!checks(ctx, conn, req, &group, &result) || !session_ok(ctx, conn, req, group, &result))
    return result;
  const char *sid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Mcp-Session-Id");
  struct session *s = find_session(ctx->mcp, sid, group, req->client);
  memset(s, 0, sizeof *s);
  return reply_json(conn, MHD_HTTP_OK, json_object());
}
