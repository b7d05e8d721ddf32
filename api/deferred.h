/* A reply that comes later: the connection is suspended while the work (in
 * the thread pool) runs, then answered and resumed from the loop. */
#pragma once
#include <jansson.h>
#include <microhttpd.h>

#include "api/route.h"

struct deferred;

/* Suspends conn and returns the handle that will answer it (NULL: out of memory). */
struct deferred *deferred_new(struct api_ctx *ctx, struct MHD_Connection *conn,
                              struct request *req);
/* Answers with status and body (stolen), resumes the connection, frees d. If the
 * connection went away meanwhile (client gone, daemon stopping), or d is NULL
 * (it could not be made), only frees. */
void deferred_finish(struct deferred *d, unsigned status, json_t *body);
/* The request's connection is going: its deferred reply must not touch it. */
void deferred_detach(struct request *req);
