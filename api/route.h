/* What route handlers share: the per-request state and the handler type. */
#pragma once
#include <microhttpd.h>

#include "api/rest.h"
#include "lib/run.h"
#include "lib/util.h"

struct request {
  struct util_buf body;
  bool too_large;
  bool refused;              /* answered from its headers (api/guard.c) */
  char client[80];           /* who asks (api/auth.c): "token SHA256-PREFIX" or "addr ADDRESS" */
  char scope[8];             /* what the client may do (api/auth.c): "full" or "read" */
  char id[128];              /* the {id} segment of the path, if any */
  char other[128];           /* the {other} segment */
  struct deferred *deferred; /* a reply still being worked out (api/deferred.c) */
};

/* run: loaded by the router for /api/v1/runs/{id} routes (404 when unknown), else NULL. */
typedef enum MHD_Result (*route_fn)(struct api_ctx *ctx, struct MHD_Connection *conn,
                                    struct request *req, struct run *run);

/* Parses the JSON body or answers 400/413; returns NULL when it answered. */
json_t *route_body_json(struct MHD_Connection *conn, struct request *req, enum MHD_Result *result);

/* Starts what a POST body asks for: id gets its id, *doc what 202 answers with (owned by the
 * caller). */
typedef int (*route_starter)(struct api_ctx *ctx, json_t *body, char id[UTIL_ID_LEN + 1],
                             json_t **doc, struct ma_error *err);
/* A POST that starts work: the body parsed (400/413), start called (its error), then 202 with doc
 * and Location /api/v1/COLLECTION/ID. */
enum MHD_Result route_post_start(struct api_ctx *ctx, struct MHD_Connection *conn,
                                 struct request *req, route_starter start, const char *collection);

enum MHD_Result matrix_post(struct api_ctx *, struct MHD_Connection *, struct request *,
                            struct run *);
enum MHD_Result matrix_list(struct api_ctx *, struct MHD_Connection *, struct request *,
                            struct run *);
enum MHD_Result matrix_get(struct api_ctx *, struct MHD_Connection *, struct request *,
                           struct run *);
enum MHD_Result matrix_events(struct api_ctx *, struct MHD_Connection *, struct request *,
                              struct run *);
enum MHD_Result matrix_delete(struct api_ctx *, struct MHD_Connection *, struct request *,
                              struct run *);
enum MHD_Result image_post(struct api_ctx *, struct MHD_Connection *, struct request *,
                           struct run *);
enum MHD_Result image_list(struct api_ctx *, struct MHD_Connection *, struct request *,
                           struct run *);
enum MHD_Result image_get(struct api_ctx *, struct MHD_Connection *, struct request *,
                          struct run *);
enum MHD_Result image_delete(struct api_ctx *, struct MHD_Connection *, struct request *,
                             struct run *);
enum MHD_Result mcp_post(struct api_ctx *, struct MHD_Connection *, struct request *, struct run *);
enum MHD_Result mcp_get(struct api_ctx *, struct MHD_Connection *, struct request *, struct run *);
enum MHD_Result mcp_delete(struct api_ctx *, struct MHD_Connection *, struct request *,
                           struct run *);
enum MHD_Result matrix_compare_route(struct api_ctx *, struct MHD_Connection *, struct request *,
                                     struct run *);
enum MHD_Result matrix_get_report(struct api_ctx *, struct MHD_Connection *, struct request *,
                                  struct run *);
enum MHD_Result install_post(struct api_ctx *, struct MHD_Connection *, struct request *,
                             struct run *);
enum MHD_Result install_get(struct api_ctx *, struct MHD_Connection *, struct request *,
                            struct run *);
enum MHD_Result install_list(struct api_ctx *, struct MHD_Connection *, struct request *,
                             struct run *);
enum MHD_Result install_delete(struct api_ctx *, struct MHD_Connection *, struct request *,
                               struct run *);
enum MHD_Result trace_post(struct api_ctx *, struct MHD_Connection *, struct request *,
                           struct run *);
enum MHD_Result trace_get(struct api_ctx *, struct MHD_Connection *, struct request *,
                          struct run *);
enum MHD_Result trace_list(struct api_ctx *, struct MHD_Connection *, struct request *,
                           struct run *);
enum MHD_Result get_traps(struct api_ctx *, struct MHD_Connection *, struct request *,
                          struct run *);
