/* MCP over the Streamable HTTP transport: sessions, headers, origin checks. */
#pragma once
#include <jansson.h>
#include <microhttpd.h>

#include "api/rest.h"

struct mcp_state;

/* Creates the MCP state: the tool catalog and the sessions. */
struct mcp_state *mcp_state_new(void);
/* Frees it (NULL is fine). */
void mcp_state_free(struct mcp_state *m);

/* Runs one tool and answers: JSON at once, or an SSE stream for tools that wait
 * (or report progress) whose last event is the response. id and token are borrowed. */
struct request;
enum MHD_Result mcp_tools_call(struct api_ctx *ctx, struct MHD_Connection *conn,
                               struct request *req, const char *tool, json_t *args, json_t *id,
                               json_t *progress_token);
