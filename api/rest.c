#include "api/rest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/dashboard.h"
#include "api/deferred.h"
#include "api/guard.h"
#include "core/ops.h"
#include "api/auth.h"
#include "lib/json_limits.h"
#include "api/metrics.h"
#include "api/page_cache.h"
#include "api/reply.h"
#include "api/route.h"
#include "api/sse.h"
#include "core/disk_guard.h"
#include "config.h"
#include "lib/memory_svg.h"
#include "lib/util.h"

#define BODY_MAX (1u << 20)
#define MAX_SEGMENTS 8

static enum MHD_Result get_health(struct api_ctx *, struct MHD_Connection *, struct request *,
                                  struct run *);
static enum MHD_Result get_metrics(struct api_ctx *, struct MHD_Connection *, struct request *,
                                   struct run *);
static enum MHD_Result get_session(struct api_ctx *, struct MHD_Connection *, struct request *,
                                   struct run *);
static enum MHD_Result get_profiles(struct api_ctx *, struct MHD_Connection *, struct request *,
                                    struct run *);
static enum MHD_Result post_boot(struct api_ctx *, struct MHD_Connection *, struct request *,
                                 struct run *);
static enum MHD_Result list_runs(struct api_ctx *, struct MHD_Connection *, struct request *,
                                 struct run *);
static enum MHD_Result get_run(struct api_ctx *, struct MHD_Connection *, struct request *,
                               struct run *);
static enum MHD_Result get_serial(struct api_ctx *, struct MHD_Connection *, struct request *,
                                  struct run *);
static enum MHD_Result delete_serial(struct api_ctx *, struct MHD_Connection *, struct request *,
                                     struct run *);
static enum MHD_Result get_events(struct api_ctx *, struct MHD_Connection *, struct request *,
                                  struct run *);
static enum MHD_Result delete_run(struct api_ctx *, struct MHD_Connection *, struct request *,
                                  struct run *);
static enum MHD_Result get_memory(struct api_ctx *, struct MHD_Connection *, struct request *,
                                  struct run *);
static enum MHD_Result post_memory(struct api_ctx *, struct MHD_Connection *, struct request *,
                                   struct run *);

const struct api_route api_routes[] = {
    {"GET", "/api/v1/health"},
    {"GET", "/metrics"},
    {"GET", "/api/v1/session"},
    {"GET", "/api/v1/profiles"},
    {"POST", "/api/v1/boots"},
    {"GET", "/api/v1/runs"},
    {"GET", "/api/v1/runs/{id}"},
    {"DELETE", "/api/v1/runs/{id}"},
    {"GET", "/api/v1/runs/{id}/serial"},
    {"DELETE", "/api/v1/runs/{id}/serial"},
    {"GET", "/api/v1/runs/{id}/events"},
    {"GET", "/api/v1/runs/{id}/memory"},
    {"GET", "/api/v1/runs/{id}/traps"},
    {"POST", "/api/v1/memory"},
    {"POST", "/api/v1/matrices"},
    {"GET", "/api/v1/matrices"},
    {"GET", "/api/v1/matrices/{id}"},
    {"DELETE", "/api/v1/matrices/{id}"},
    {"GET", "/api/v1/matrices/{id}/report"},
    {"GET", "/api/v1/matrices/{id}/events"},
    {"GET", "/api/v1/matrices/{id}/compare/{other}"},
    {"POST", "/api/v1/images"},
    {"GET", "/api/v1/images"},
    {"GET", "/api/v1/images/{id}"},
    {"DELETE", "/api/v1/images/{id}"},
    {"POST", "/api/v1/installs"},
    {"GET", "/api/v1/installs"},
    {"GET", "/api/v1/installs/{id}"},
    {"DELETE", "/api/v1/installs/{id}"},
    {"POST", "/api/v1/traces"},
    {"GET", "/api/v1/traces"},
    {"GET", "/api/v1/traces/{id}"},
    {"POST", "/mcp"},
    {"GET", "/mcp"},
    {"DELETE", "/mcp"},
    {"POST", "/mcp/{group}"},
    {"GET", "/mcp/{group}"},
    {"DELETE", "/mcp/{group}"},
    {NULL, NULL},
};

/* Parallel to api_routes. */
static const route_fn route_fns[] = {get_health,        get_metrics,    get_session,
                                     get_profiles,      post_boot,      list_runs,
                                     get_run,           delete_run,     get_serial,
                                     delete_serial,     get_events,     get_memory,
                                     get_traps,         post_memory,    matrix_post,
                                     matrix_list,       matrix_get,     matrix_delete,
                                     matrix_get_report, matrix_events,  matrix_compare_route,
                                     image_post,        image_list,     image_get,
                                     image_delete,      install_post,   install_list,
                                     install_get,       install_delete, trace_post,
                                     trace_list,        trace_get,      mcp_post,
                                     mcp_get,           mcp_delete,     mcp_post,
                                     mcp_get,           mcp_delete};

static size_t split(char *path, char **segs) {
  size_t n = 0;
  for (char *save = NULL, *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save))
    if (n < MAX_SEGMENTS + 1)
      segs[n++] = t;
  return n;
}

/* Whether url matches pattern; the {id} and {other} segments are copied into req. */
static bool path_matches(const char *pattern, const char *url, struct request *req) {
  _cleanup_(util_freep) char *p = strdup(pattern);
  _cleanup_(util_freep) char *u = strdup(url);
  char *ps[MAX_SEGMENTS + 1], *us[MAX_SEGMENTS + 1];
  if (!p || !u)
    return false;
  size_t np = split(p, ps), nu = split(u, us);
  if (np != nu)
    return false;
  for (size_t i = 0; i < np; i++) {
    if (strcmp(ps[i], "{other}") == 0)
      snprintf(req->other, sizeof req->other, "%s", us[i]);
    else if (ps[i][0] == '{')
      snprintf(req->id, sizeof req->id, "%s", us[i]);
    else if (strcmp(ps[i], us[i]) != 0)
      return false;
  }
  return true;
}

/* Loads a run or answers 404; returns false when it answered. */
static bool load_run(struct api_ctx *ctx, struct MHD_Connection *conn, const char *id,
                     struct run *run, enum MHD_Result *result) {
  struct ma_error err;
  if (ops_run_load(ctx->core, id, run, &err) == 0)
    return true;
  *result = reply_error(conn, &err);
  return false;
}

static enum MHD_Result call_route_counted(struct api_ctx *ctx, struct MHD_Connection *conn,
                                          struct request *req, size_t i) {
  if (strncmp(api_routes[i].path, "/api/v1/runs/{id}", 17) != 0)
    return route_fns[i](ctx, conn, req, NULL);
  struct run run;
  enum MHD_Result result;
  if (!load_run(ctx, conn, req->id, &run, &result))
    return result;
  result = route_fns[i](ctx, conn, req, &run);
  run_clear(&run);
  return result;
}

/* Responses queued while the handler ran are counted; deferred ones (image verification) are not.
 */
static enum MHD_Result call_route(struct api_ctx *ctx, struct MHD_Connection *conn,
                                  struct request *req, size_t i) {
  reply_take_status();
  enum MHD_Result r = call_route_counted(ctx, conn, req, i);
  metrics_count(ctx->metrics, api_routes[i].path, reply_take_status());
  return r;
}

static enum MHD_Result dispatch(struct api_ctx *ctx, struct MHD_Connection *conn, const char *url,
                                const char *method, struct request *req) {
  enum MHD_Result denied;
  if (dashboard_path(url)) /* pages without data: the token is asked for by the page itself */
    return dashboard_serve(conn, url, method);
  if (!auth_check(ctx, conn, url, method, req, &denied)) {
    metrics_count(ctx->metrics, "refused", reply_take_status()); /* 401, 403, 429 before routing */
    return denied;
  }
  bool path_known = false;
  char allow[64] = "";
  for (size_t i = 0; api_routes[i].method; i++) {
    if (!path_matches(api_routes[i].path, url, req))
      continue;
    path_known = true;
    if (strcmp(api_routes[i].method, method) == 0)
      return call_route(ctx, conn, req, i);
    size_t used = strlen(allow);
    snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", api_routes[i].method);
  }
  if (!path_known) {
    metrics_count(ctx->metrics, "unmatched", 404);
    return reply_fail(conn, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no such route");
  }
  metrics_count(ctx->metrics, "unmatched", 405);
  struct ma_error e;
  ma_error_set(&e, EOPNOTSUPP, "method_not_allowed", NULL, "%s is not allowed here; allowed: %s",
               method, allow);
  return reply_json_header(conn, 405, ma_error_json(&e), MHD_HTTP_HEADER_ALLOW, allow);
}

static enum MHD_Result get_metrics(struct api_ctx *ctx, struct MHD_Connection *conn,
                                   struct request *req, struct run *run) {
  (void)req;
  (void)run;
  char *text = metrics_render(ctx);
  return text ? reply_text(conn, text, "text/plain; version=0.0.4; charset=utf-8") : MHD_NO;
}

/* What the dashboard needs to know of its client: whether a token is wanted, and what it may do. */
static enum MHD_Result get_session(struct api_ctx *ctx, struct MHD_Connection *conn,
                                   struct request *req, struct run *run) {
  (void)run;
  return reply_json(conn, MHD_HTTP_OK,
                    json_pack("{s:b, s:s}", "auth_required", ctx->auth, "scope", req->scope));
}

static enum MHD_Result get_profiles(struct api_ctx *ctx, struct MHD_Connection *conn,
                                    struct request *req, struct run *run) {
  (void)req;
  (void)run;
  return reply_json(conn, MHD_HTTP_OK, ops_profiles(ctx->core));
}

static enum MHD_Result get_health(struct api_ctx *ctx, struct MHD_Connection *conn,
                                  struct request *req, struct run *run) {
  (void)req;
  (void)run;
  json_t *body = ops_health(ctx->core);
  return reply_json(conn, MHD_HTTP_OK, body);
}

json_t *route_body_json(struct MHD_Connection *conn, struct request *req, enum MHD_Result *result) {
  if (req->too_large) {
    *result = reply_fail(conn, 413, "body_too_large", NULL, "the request body exceeds 1 MiB");
    return NULL;
  }
  const char *what;
  if (json_limits_check(req->body.data ? req->body.data : "", req->body.len, &what) < 0) {
    *result = reply_fail(conn, 400, json_limits_code(what), NULL, json_limits_message(what));
    return NULL;
  }
  json_error_t jerr;
  json_t *body = json_loadb(req->body.data ? req->body.data : "", req->body.len,
                            JSON_REJECT_DUPLICATES, &jerr);
  if (!body) {
    struct ma_error err;
    ma_error_set(&err, EINVAL, "invalid_json", NULL, "malformed JSON at line %d column %d: %s",
                 jerr.line, jerr.column, jerr.text);
    *result = reply_error(conn, &err);
  }
  return body;
}

enum MHD_Result route_post_start(struct api_ctx *ctx, struct MHD_Connection *conn,
                                 struct request *req, route_starter start, const char *collection) {
  enum MHD_Result result;
  json_auto_t *body = route_body_json(conn, req, &result);
  if (!body)
    return result;
  struct ma_error err;
  char id[UTIL_ID_LEN + 1];
  json_t *doc = NULL;
  if (start(ctx, body, id, &doc, &err) < 0)
    return reply_error(conn, &err);
  return reply_accepted(conn, doc, collection, id);
}

/* A run was queued: 202 says only that. */
static int queued(int r, const char *id, json_t **doc) {
  if (r == 0)
    *doc = json_pack("{s:s, s:s}", "id", id, "status", "queued");
  return r;
}

static int start_boot(struct api_ctx *ctx, json_t *body, char id[UTIL_ID_LEN + 1], json_t **doc,
                      struct ma_error *err) {
  return queued(ops_boot_start(ctx->core, body, id, err), id, doc);
}

static int start_memory(struct api_ctx *ctx, json_t *body, char id[UTIL_ID_LEN + 1], json_t **doc,
                        struct ma_error *err) {
  return queued(ops_memory_start(ctx->core, body, id, err), id, doc);
}

static enum MHD_Result post_boot(struct api_ctx *ctx, struct MHD_Connection *conn,
                                 struct request *req, struct run *run) {
  (void)run;
  return route_post_start(ctx, conn, req, start_boot, "runs");
}

static enum MHD_Result post_memory(struct api_ctx *ctx, struct MHD_Connection *conn,
                                   struct request *req, struct run *run) {
  (void)run;
  return route_post_start(ctx, conn, req, start_memory, "runs");
}

/* 304 when the client's copy is of this generation of the runs table: a page polling the list
 * costs one header compare while nothing changes. */
static bool unchanged(struct MHD_Connection *conn, const char *etag, enum MHD_Result *result) {
  const char *match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
  if (!match || strcmp(match, etag) != 0)
    return false;
  struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
  if (!resp) {
    *result = MHD_NO;
    return true;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
  *result = reply_queue(conn, MHD_HTTP_NOT_MODIFIED, resp);
  MHD_destroy_response(resp);
  return true;
}

static enum MHD_Result reply_runs_page(struct MHD_Connection *conn, const char *text,
                                       const char *etag) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  if (!resp)
    return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
  enum MHD_Result r = reply_queue(conn, MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return r;
}

static enum MHD_Result list_runs(struct api_ctx *ctx, struct MHD_Connection *conn,
                                 struct request *req, struct run *run) {
  (void)req;
  (void)run;
  json_auto_t *args = json_object();
  for (const char *const *name =
           (const char *const[]){"limit", "cursor", "status", "profile", "label", NULL};
       *name; name++) {
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, *name);
    if (v)
      json_object_set_new(args, *name, json_string(v));
  }
  struct runs_query q;
  struct ma_error err;
  if (ops_runs_query(args, &q, &err) < 0)
    return reply_error(conn, &err);
  uint64_t gen = store_runs_generation(ctx->core->store);
  char etag[32];
  snprintf(etag, sizeof etag, "\"runs-%llu\"", (unsigned long long)gen);
  enum MHD_Result result;
  if (unchanged(conn, etag, &result))
    return result;
  const struct store_runs_filter *f = &q.filter;
  char key[400];
  snprintf(key, sizeof key, "%d|%ld|%s|%s|%s", q.limit, q.cursor, f->status ? f->status : "",
           f->profile ? f->profile : "", f->label ? f->label : "");
  const char *cached = page_cache_get(ctx->runs_pages, key, gen);
  if (cached)
    return reply_runs_page(conn, cached, etag);
  json_t *page;
  if (ops_runs_list(ctx->core, &q, &page, &err) < 0)
    return reply_error(conn, &err);
  _cleanup_(util_freep) char *text = json_dumps(page, RUN_JSON_FLAGS);
  json_decref(page);
  if (!text)
    return MHD_NO;
  page_cache_put(ctx->runs_pages, key, gen, text);
  return reply_runs_page(conn, text, etag);
}

static enum MHD_Result get_run(struct api_ctx *ctx, struct MHD_Connection *conn,
                               struct request *req, struct run *run) {
  (void)req;
  return reply_json(conn, MHD_HTTP_OK,
                    run_to_json(run, profile_set_find(ctx->core->profiles, run->profile)));
}

static enum MHD_Result get_serial(struct api_ctx *ctx, struct MHD_Connection *conn,
                                  struct request *req, struct run *run) {
  (void)ctx;
  (void)req;
  int fd = run->serial_path ? open(run->serial_path, O_RDONLY | O_CLOEXEC) : -1;
  struct stat st;
  if (fd < 0 && errno == ENOENT && run_status_final(run->status) && run->serial_bytes > 0)
    return reply_fail(
        conn, 410, "serial_deleted", "id",
        "this run's console log was deleted (DELETE /api/v1/runs/ID/serial, or by hand)");
  if (fd < 0 || fstat(fd, &st) < 0) {
    if (fd >= 0)
      close(fd);
    /* A queued run has printed nothing yet: an empty log, not an error. */
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    st.st_size = 0;
  }
  struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
  if (!resp) {
    close(fd);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
  enum MHD_Result r = reply_queue(conn, MHD_HTTP_OK, resp);
  MHD_destroy_response(resp);
  return r;
}

static enum MHD_Result get_events(struct api_ctx *ctx, struct MHD_Connection *conn,
                                  struct request *req, struct run *run) {
  return sse_run_events(ctx, conn, req->client, run);
}

/* The QEMU process's memory and CPU samples: JSON, CSV or an SVG chart. */
static enum MHD_Result get_memory(struct api_ctx *ctx, struct MHD_Connection *conn,
                                  struct request *req, struct run *run) {
  (void)req;
  const char *format = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "format");
  format = format ? format : "json";
  if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "svg"))
    return reply_fail(conn, 400, "unsupported_format", "format", "format must be json, csv or svg");
  json_t *mem;
  struct ma_error err;
  if (ops_run_memory(ctx->core, run->id, &mem, &err) < 0)
    return reply_error(conn, &err);
  if (strcmp(format, "json") == 0)
    return reply_json(conn, MHD_HTTP_OK, mem);
  json_t *samples = json_object_get(mem, "samples");
  char *text = strcmp(format, "csv") == 0
                   ? memory_csv(samples)
                   : memory_svg(run->id, samples, json_object_get(mem, "markers"));
  json_decref(mem);
  return reply_text(conn, text, strcmp(format, "csv") == 0 ? "text/csv" : "image/svg+xml");
}

static enum MHD_Result delete_run(struct api_ctx *ctx, struct MHD_Connection *conn,
                                  struct request *req, struct run *run) {
  (void)req;
  json_t *out;
  struct ma_error err;
  if (ops_run_cancel(ctx->core, run->id, &out, &err) < 0)
    return reply_error(conn, &err);
  /* 202 while a running run stops; a queued one is cancelled at once: 200 with its final state. */
  bool stopping = strcmp(json_string_value(json_object_get(out, "status")), "cancelling") == 0;
  return reply_json(conn, stopping ? MHD_HTTP_ACCEPTED : MHD_HTTP_OK, out);
}

/* Frees disk space (--max-state-mb) and keeps the measurement: markers, timings and samples stay.
 */
static enum MHD_Result delete_serial(struct api_ctx *ctx, struct MHD_Connection *conn,
                                     struct request *req, struct run *run) {
  (void)ctx;
  (void)req;
  json_t *out;
  struct ma_error err;
  if (ops_run_serial_delete(ctx->core, run->id, &out, &err) < 0)
    return reply_error(conn, &err);
  return reply_json(conn, MHD_HTTP_OK, out);
}

static void append_body(struct request *req, const char *data, size_t size) {
  if (req->too_large || req->body.len + size > BODY_MAX ||
      util_buf_append(&req->body, data, size) < 0)
    req->too_large = true;
}

enum MHD_Result api_handle(void *cls, struct MHD_Connection *conn, const char *url,
                           const char *method, const char *version, const char *upload_data,
                           size_t *upload_size, void **state) {
  (void)version;
  struct request *req = *state;
  struct api_ctx *ctx = cls;
  if (!req) {
    req = calloc(1, sizeof *req);
    *state = req;
    if (!req)
      return MHD_NO;
    /* Headers only so far: a refused request is answered before its body is read. */
    enum MHD_Result refused;
    if (guard_headers(ctx, conn, method, &refused))
      return MHD_YES;
    req->refused = true;
    metrics_count(ctx->metrics, "refused", reply_take_status());
    return refused;
  }
  if (req->refused) {
    *upload_size = 0; /* answered already: the body is dropped */
    return MHD_YES;
  }
  if (*upload_size) {
    append_body(req, upload_data, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  return dispatch(ctx, conn, url, method, req);
}

void api_request_completed(void *cls, struct MHD_Connection *conn, void **state,
                           enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)conn;
  (void)toe;
  struct request *req = *state;
  if (req) {
    deferred_detach(req);
    util_buf_clear(&req->body);
  }
  free(req);
  *state = NULL;
}
