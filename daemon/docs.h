/* What the document-kept jobs (installs, traces) share. */
#pragma once
#include <jansson.h>

#include "lib/util.h"

/* An RFC 3339 time string for a CLOCK_REALTIME time in us. */
static inline json_t *docs_wall_json(int64_t wall_us) {
  char buf[40];
  util_rfc3339(wall_us, buf, sizeof buf);
  return json_string(buf);
}
