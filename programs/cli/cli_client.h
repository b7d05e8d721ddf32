/* The CLI's HTTP client for --server (libcurl). */
#pragma once
#include <jansson.h>

/* Sends method url with an optional JSON body; *reply gets the parsed JSON reply
 * (or NULL), *status the HTTP status. Returns 0 or -errno on transport failure (*err set). */
/* Same, returning the body as text (malloc'd) whatever its type. */
int cli_http_raw(const char *method, const char *url, json_t *body, long *status, char **text,
                 char **err);
int cli_http(const char *method, const char *url, json_t *body, long *status, json_t **reply,
             char **err);
