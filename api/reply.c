#include "api/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http_status.h"
#include "lib/run.h"

/* The status of the last response queued: the router counts it per route (api/metrics.c). */
static unsigned last_status;

enum MHD_Result reply_queue(struct MHD_Connection *conn, unsigned status,
                            struct MHD_Response *resp) {
  last_status = status;
  return MHD_queue_response(conn, status, resp);
}

unsigned reply_take_status(void) {
  unsigned s = last_status;
  last_status = 0;
  return s;
}

enum MHD_Result reply_json_header(struct MHD_Connection *conn, unsigned status, json_t *body,
                                  const char *name, const char *value) {
  char *text = json_dumps(body, RUN_JSON_FLAGS);
  json_decref(body);
  if (!text)
    return MHD_NO;
  size_t len = strlen(text);
  struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  if (name)
    MHD_add_response_header(resp, name, value);
  /* A client told to back off gives its connection back: kept alive, 468
   * refused streams held the connection table and locked /health out. */
  if (status == 429)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  enum MHD_Result r = reply_queue(conn, status, resp);
  MHD_destroy_response(resp);
  return r;
}

enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned status, json_t *body) {
  return reply_json_header(conn, status, body, NULL, NULL);
}

static enum MHD_Result reply_error_status(struct MHD_Connection *conn, unsigned status,
                                          const struct ma_error *e) {
  /* Every 503 (queue full, stopping) tells the client when to try again. */
  if (status == 503)
    return reply_json_header(conn, 503, ma_error_json(e), MHD_HTTP_HEADER_RETRY_AFTER, "5");
  return reply_json(conn, status, ma_error_json(e));
}

enum MHD_Result reply_error(struct MHD_Connection *conn, const struct ma_error *e) {
  return reply_error_status(conn, http_status_of(e->errnum), e);
}

enum MHD_Result reply_fail(struct MHD_Connection *conn, unsigned status, const char *code,
                           const char *field, const char *message) {
  struct ma_error e;
  ma_error_set(&e, 0, code, field, "%s", message);
  return reply_error_status(conn, status, &e);
}

enum MHD_Result reply_text(struct MHD_Connection *conn, char *text, const char *type) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  if (!resp) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  enum MHD_Result r = reply_queue(conn, MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return r;
}

enum MHD_Result reply_text_copy(struct MHD_Connection *conn, const char *text, const char *type) {
  char *copy = strdup(text);
  return copy ? reply_text(conn, copy, type) : MHD_NO;
}

enum MHD_Result reply_accepted(struct MHD_Connection *conn, json_t *body, const char *collection,
                               const char *id) {
  char location[96];
  snprintf(location, sizeof location, "/api/v1/%s/%s", collection, id);
  return reply_json_header(conn, MHD_HTTP_ACCEPTED, body, MHD_HTTP_HEADER_LOCATION, location);
}
