/* The Model Context Protocol, without transport: version negotiation, the
 * tool catalog (schema/mcp/tools.json) and what each request calls for. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "lib/jsonrpc.h"

#define MCP_LATEST_VERSION "2025-11-25"
#define MCP_DEFAULT_VERSION "2025-03-26" /* assumed when a client sends no version header */

/* Whether v is a protocol version this server speaks. */
bool mcp_version_supported(const char *v);

struct mcp_catalog;
/* Parses the built-in tool catalog; NULL if it is broken. */
struct mcp_catalog *mcp_catalog_new(void);
/* Frees the catalog (NULL is fine). */
void mcp_catalog_free(struct mcp_catalog *c);
/* Whether group names a server ("boot-profiler", ...); NULL is the whole set. */
bool mcp_group_known(const struct mcp_catalog *c, const char *group);

enum mcp_step {
  MCP_STEP_REPLY,      /* send reply (HTTP 200) */
  MCP_STEP_ACCEPTED,   /* a notification or a response: HTTP 202, no body */
  MCP_STEP_INITIALIZE, /* send reply and open a session with version */
  MCP_STEP_CALL_TOOL,  /* run tool with args; reply is NULL */
};

struct mcp_decision {
  enum mcp_step step;
  json_t *reply;          /* owned by the caller */
  const char *version;    /* MCP_STEP_INITIALIZE: the negotiated version */
  const char *tool;       /* MCP_STEP_CALL_TOOL */
  json_t *args;           /* borrowed from the message; an object */
  json_t *progress_token; /* borrowed; NULL when the client wants no progress */
};

/* Decides what one parsed message calls for, for the server of group (NULL: all tools). */
void mcp_decide(const struct mcp_catalog *c, const char *group, const char *server_version,
                const struct jsonrpc_msg *m, struct mcp_decision *out);
/* A successful tool result: structuredContent plus the same JSON as a text block (structured is
 * stolen). */
json_t *mcp_tool_result(json_t *structured);
/* A tool-level failure: isError with a message the model can act on. */
json_t *mcp_tool_error(const char *message);
/* A notifications/progress message (token borrowed). */
json_t *mcp_progress(json_t *token, double progress, double total, const char *message);
