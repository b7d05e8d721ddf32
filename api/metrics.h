/* GET /metrics in Prometheus text format: runs by status, queue, running
 * QEMU processes, boot times per profile as a histogram, installs and traces
 * by status, HTTP responses by route and code. */
#pragma once
#include <stddef.h>

#include "api/rest.h"

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* One response on route (a pattern of api_routes, or "unmatched") with status code. */
void metrics_count(struct metrics *m, const char *route, unsigned code);
/* The exposition text (malloc'd), or NULL. */
char *metrics_render(struct api_ctx *ctx);
