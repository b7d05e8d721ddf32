/* The web dashboard: static pages compiled into the daemon (web/), served at / and /assets/NAME.
 * They hold no data, so they are served without a token; everything they show comes from the API,
 * with the token the browser holds. */
#pragma once
#include <microhttpd.h>
#include <stdbool.h>

/* Whether url is one of the dashboard's paths (/, /index.html, /assets/...). */
bool dashboard_path(const char *url);
/* Answers a dashboard path: the file (GET or HEAD) with its type, a Content-Security-Policy that
 * allows nothing but this origin's own scripts, and an ETag; 404 for an unknown asset, 405 for any
 * other method. */
enum MHD_Result dashboard_serve(struct MHD_Connection *conn, const char *url, const char *method);
