/* Who may use the API (--auth: bearer tokens from the store) and how often (--rate-limit). */
#pragma once
#include <stdbool.h>

#include "api/route.h"

/* Names the client in req->client; true: go on; false: *result holds the 401/403/429 already
 * queued. */
bool auth_check(struct api_ctx *ctx, struct MHD_Connection *conn, const char *url,
                const char *method, struct request *req, enum MHD_Result *result);
