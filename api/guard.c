#include "api/guard.h"

#include <string.h>
#include <strings.h>

#include "api/reply.h"
#include "lib/web_origin.h"

struct lengths {
  const char *first;
  bool differ;
};

static enum MHD_Result note_length(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
  (void)kind;
  struct lengths *l = cls;
  if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
    return MHD_YES;
  if (!l->first)
    l->first = value;
  else if (strcmp(l->first, value) != 0)
    l->differ = true;
  return MHD_YES;
}

/* A request that carries a body: every body this API takes is JSON. */
static bool has_body(struct MHD_Connection *conn, const char *method) {
  if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)
    return true;
  const char *len =
      MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  return (len && strcmp(len, "0") != 0) ||
         MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

bool guard_headers(struct api_ctx *ctx, struct MHD_Connection *conn, const char *method,
                   enum MHD_Result *result) {
  const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
  if (!web_host_allowed(host, ctx->allowed_hosts)) {
    *result = reply_fail(
        conn, MHD_HTTP_FORBIDDEN, "host_not_allowed", "Host",
        "this daemon answers to IP addresses, localhost and its --allow-host names only");
    return false;
  }
  const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
  if (!web_origin_allowed(origin, host, ctx->allowed_origins)) {
    *result = reply_fail(
        conn, MHD_HTTP_FORBIDDEN, "origin_not_allowed", "Origin",
        "pages from this Origin may not use this daemon (loopback, same-origin and --allow-origin "
        "origins may)");
    return false;
  }
  struct lengths lengths = {0};
  MHD_get_connection_values(conn, MHD_HEADER_KIND, note_length, &lengths);
  if (lengths.differ) {
    *result = reply_fail(conn, MHD_HTTP_BAD_REQUEST, "conflicting_content_length", "Content-Length",
                         "the request has Content-Length headers that disagree");
    return false;
  }
  /* A form post (text/plain, urlencoded, multipart) needs no CORS preflight: refusing
   * anything but JSON is what keeps a foreign page from starting work. */
  if (has_body(conn, method) && !web_content_type_json(MHD_lookup_connection_value(
                                    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
    *result = reply_fail(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                         "Content-Type", "request bodies must be Content-Type: application/json");
    return false;
  }
  return true;
}
