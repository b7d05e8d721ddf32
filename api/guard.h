/* What a request's headers must say before its body is read or a route runs:
 * a Host that names this daemon (DNS rebinding), an Origin it serves (CSRF),
 * application/json on a body, and one Content-Length (smuggling). */
#pragma once
#include <microhttpd.h>
#include <stdbool.h>

#include "api/rest.h"

/* true when the request may go on; else the refusal is queued in *result. */
bool guard_headers(struct api_ctx *ctx, struct MHD_Connection *conn, const char *method,
                   enum MHD_Result *result);
