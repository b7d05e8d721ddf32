/* Server-sent events for one run: replays what is stored, then follows it live. */
#pragma once
#include <microhttpd.h>

#include "api/rest.h"

/* Answers GET /api/v1/runs/{id}/events for run (as just loaded from the store), the
 * stream counted for client (request.client); 429 past the stream caps. */
enum MHD_Result sse_run_events(struct api_ctx *ctx, struct MHD_Connection *conn, const char *client,
                               const struct run *run);
/* Answers GET /api/v1/matrices/{id}/events for the matrix whose report is given (borrowed): a
 * "status" event with where it stands ({"id","status","done","total"}), a "progress" event after
 * each of its runs ({"id","done","total","cpus","run_status","boot_time_ms"}) and a last "status"
 * when it ends; a matrix that is over gets the first event only. */
enum MHD_Result sse_matrix_events(struct api_ctx *ctx, struct MHD_Connection *conn,
                                  const char *client, json_t *report);
