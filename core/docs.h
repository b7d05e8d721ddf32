/* What the document-kept jobs (installs, traces) share. */
#pragma once
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "lib/store.h"
#include "lib/util.h"

/* An RFC 3339 time string for a CLOCK_REALTIME time in us. */
static inline json_t *docs_wall_json(int64_t wall_us) {
  char buf[40];
  util_rfc3339(wall_us, buf, sizeof buf);
  return json_string(buf);
}

/* Stores doc under its "status"; a failure is logged here, where it is handled. */
static inline void docs_save(struct store *s, enum store_doc kind, const char *id, json_t *doc,
                             int64_t created_us) {
  int r = store_doc_put(s, kind, id, json_string_value(json_object_get(doc, "status")), doc,
                        created_us);
  if (r < 0)
    fprintf(stderr, "%s %s: cannot store it: %s\n", kind == STORE_INSTALLS ? "install" : "trace",
            id, strerror(-r));
}

/* The final status, with the error when code is set, and the time it ended. */
static inline void docs_end(json_t *doc, const char *status, const char *code,
                            const char *message) {
  if (code)
    json_object_set_new(doc, "error", json_pack("{s:s, s:s}", "code", code, "message", message));
  json_object_set_new(doc, "finished_at", docs_wall_json(util_wall_us()));
  json_object_set_new(doc, "status", json_string(status));
}
