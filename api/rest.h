/* REST API (/api/v1): routing, validation, JSON bodies and errors. */
#pragma once
#include <microhttpd.h>

#include "core/context.h"
#include "lib/bootspec.h"
#include "lib/profile.h"
#include "lib/store.h"

struct mcp_state;
struct installs;
struct traces;
struct disk_guard;
struct stream_limits;

struct api_ctx {
  struct ma_context *core; /* the store, the job system and what the operations act on */
  struct mcp_state *mcp;
  struct page_cache *runs_pages;      /* may be NULL: no caching */
  struct metrics *metrics;            /* may be NULL: responses are not counted */
  bool auth;                          /* bearer tokens required (--auth) */
  struct rate_limit *rate_limit;      /* may be NULL: no limit */
  struct stream_limits *streams;      /* may be NULL: no cap on event streams */
  const char *const *allowed_origins; /* browser origins served besides loopback and same-origin
                                         (NULL-terminated) */
  const char *const
      *allowed_hosts; /* Host names served besides addresses and localhost (NULL-terminated) */
  int deferred; /* suspended connections waiting for a deferred reply (MHD cannot stop with any) */
  void (*wake)(void *wake_data); /* after MHD_resume_connection */
  void *wake_data;
};

struct api_route {
  const char *method;
  const char *path; /* segments in braces match any one segment */
};

/* Every route the router serves, NULL-terminated (the OpenAPI test reads it). */
extern const struct api_route api_routes[];

/* MHD access handler; cls is a struct api_ctx. */
enum MHD_Result api_handle(void *cls, struct MHD_Connection *conn, const char *url,
                           const char *method, const char *version, const char *upload_data,
                           size_t *upload_size, void **state);
/* MHD completion notifier: frees per-request state. */
void api_request_completed(void *cls, struct MHD_Connection *conn, void **state,
                           enum MHD_RequestTerminationCode toe);
