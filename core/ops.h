/* The operations of the core, one implementation each: REST, MCP and the CLI (in-process, on a state dir)
 * only map requests in and answers out. */
#pragma once
#include <jansson.h>

#include "core/context.h"
#include "lib/error.h"
#include "lib/util.h"

/* Validates a boot request and queues it. err is set on failure (400, 503). */
int ops_boot_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1], struct ma_error *err);
/* Starts a monitoring run: a boot request plus duration_s (required); samples every
 * memory_sample_ms (default 100) until the duration is over. */
int ops_memory_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1], struct ma_error *err);
/* The run object (404 when unknown). */
int ops_run_get(struct ma_context *ctx, const char *id, json_t **run, struct ma_error *err);
/* A page of runs, newest first: {"runs","next_cursor"}. */
int ops_runs_list(struct ma_context *ctx, long limit, long cursor, const char *status, json_t **page,
                  struct ma_error *err);
/* Validates a matrix request and starts it. */
int ops_matrix_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1], int *total, struct ma_error *err);
/* One registered image (404 when unknown). */
int ops_image_get(struct ma_context *ctx, const char *id, json_t **image, struct ma_error *err);
/* {"images": [...]}, newest first. */
int ops_images_list(struct ma_context *ctx, json_t **list, struct ma_error *err);
/* Forgets a registered image and deletes the files the daemon made for it (core/images.h): *out says
 * which. 404 when unknown, 409 image_in_use while a queued or running boot, a matrix or an install uses it. */
int ops_image_delete(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err);
/* A matrix report, and its runs when runs is not NULL (404 when unknown). */
int ops_matrix_report(struct ma_context *ctx, const char *id, json_t **report, json_t **runs, struct ma_error *err);
/* Validates an install request and starts it (400, 503). */
int ops_install_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1], struct ma_error *err);
/* An install's document with the progress of its current run (404 when unknown). */
int ops_install_get(struct ma_context *ctx, const char *id, json_t **install, struct ma_error *err);
