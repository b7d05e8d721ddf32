/* Server-sent events for one run: replays what is stored, then follows it live. */
#pragma once
#include <microhttpd.h>

#include "api/rest.h"

/* Answers GET /api/v1/runs/{id}/events for run (as just loaded from the store), the
 * stream counted for client (request.client); 429 past the stream caps. */
enum MHD_Result sse_run_events(struct api_ctx *ctx, struct MHD_Connection *conn, const char *client,
                               const struct run *run);
