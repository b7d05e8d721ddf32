/* One place that builds HTTP answers: JSON bodies and JSON errors. */
#pragma once
#include <jansson.h>
#include <microhttpd.h>

#include "lib/error.h"

/* Queues body (stolen) as application/json with the given status. */
enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, json_t *body);
/* Same, adding one extra header (name may be NULL). */
enum MHD_Result reply_json_header(struct MHD_Connection *conn, unsigned status, json_t *body,
                                  const char *name, const char *value);
/* Queues text (malloc'd, taken) with status 200 and the given content type. */
enum MHD_Result reply_text(struct MHD_Connection *conn, char *text, const char *type);
/* 202 with body (stolen) and Location: /api/v1/COLLECTION/ID. */
enum MHD_Result reply_accepted(struct MHD_Connection *conn, json_t *body, const char *collection,
                               const char *id);
/* MHD_queue_response, noting the status for the metrics. */
enum MHD_Result reply_queue(struct MHD_Connection *conn, unsigned status,
                            struct MHD_Response *resp);
/* The status of the response queued since the last call (0: none). */
unsigned reply_take_status(void);
/* The same for text the caller keeps. */
enum MHD_Result reply_text_copy(struct MHD_Connection *conn, const char *text, const char *type);
/* Queues {"error":{...}} with the HTTP status of e->errnum (api/http_status.h; a 503 with
 * Retry-After). */
enum MHD_Result reply_error(struct MHD_Connection *conn, const struct ma_error *e);
/* Builds and queues an error in one call. */
enum MHD_Result reply_fail(struct MHD_Connection *conn, unsigned status, const char *code,
                           const char *field, const char *message);
