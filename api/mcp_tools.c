/* The MCP tools: thin mappings onto the same operations as REST (core/ops.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/deferred.h"
#include "api/mcp_http.h"
#include "core/ops.h"
#include "api/reply.h"
#include "api/stream.h"
#include "api/stream_limits.h"
#include "lib/jsonrpc.h"
#include "lib/matrix_report.h"
#include "lib/mcp.h"
#include "lib/store.h"

#define MEASURE_GRACE_MS 30000 /* beyond the run's own timeout */

struct call {
  struct api_ctx *ctx;
  struct MHD_Connection *conn;
  struct request *req;
  json_t *args, *id, *token;
};

static enum MHD_Result answer(struct call *c, json_t *tool_result) {
  return reply_json(c->conn, MHD_HTTP_OK, jsonrpc_result(c->id, tool_result));
}

static enum MHD_Result tool_error(struct call *c, const struct ma_error *err) {
  char msg[700];
  snprintf(msg, sizeof msg, "%s%s%s: %s", err->code, err->field[0] ? " in " : "", err->field,
           err->message);
  return answer(c, mcp_tool_error(msg));
}

/* A tool that streams its progress checks for a stream before it starts work:
 * refused after the start, it would leave a run going whose id nobody got. */
static bool stream_room(struct call *c, enum MHD_Result *result) {
  if (stream_limits_check(c->ctx->streams, c->req->client) == 0)
    return true;
  struct ma_error err;
  ma_error_set(
      &err, EUSERS, "too_many_streams", NULL,
      "this client (or the daemon) holds as many event streams as it may; nothing was started");
  *result = tool_error(c, &err);
  return false;
}

static enum MHD_Result bad_args(struct call *c, const char *field, const char *message) {
  struct ma_error err;
  ma_error_set(&err, EINVAL, "invalid_argument", field, "%s", message);
  return tool_error(c, &err);
}

/* Refuses arguments the tool does not take; allowed is NULL-terminated. */
static bool only_args(struct call *c, const char *const *allowed, enum MHD_Result *result) {
  const char *key;
  json_t *v;
  json_object_foreach(c->args, key, v) {
    bool ok = false;
    for (size_t i = 0; allowed[i]; i++)
      ok |= strcmp(key, allowed[i]) == 0;
    if (!ok) {
      *result = bad_args(c, key, "unknown argument");
      return false;
    }
  }
  return true;
}

static const char *str_arg(struct call *c, const char *key) {
  return json_string_value(json_object_get(c->args, key));
}

/* --- tools that wait: an SSE stream whose last event is the response --- */

struct waiter {
  struct call call;
  struct stream *stream;
  struct jobs_sub *sub;
  uv_timer_t timer;
  char run_id[UTIL_ID_LEN + 1];
  char trace_id[UTIL_ID_LEN + 1];
  enum { W_MEASURE, W_WAIT, W_MEMORY, W_TRACE } kind; /* the result's shape */
  bool finished;
  double progress, total;
};

static void on_timer_closed(uv_handle_t *h) {
  struct waiter *w = h->data;
  json_decref(w->call.id);
  json_decref(w->call.token);
  free(w);
}

static json_t *memory_result(struct waiter *w, json_t *run) {
  json_decref(run);
  json_t *out;
  struct ma_error err;
  if (ops_run_memory(w->call.ctx->core, w->run_id, &out, &err) < 0)
    return mcp_tool_error(err.message);
  return mcp_tool_result(out);
}

/* The trace's own subscription came first, so by now its document is final. */
static json_t *trace_result(struct waiter *w, json_t *run) {
  json_decref(run);
  json_t *doc = NULL;
  struct ma_error err;
  if (ops_trace_get(w->call.ctx->core, w->trace_id, &doc, &err) < 0)
    return mcp_tool_error(err.message);
  json_object_del(doc, "transcript"); /* at GET /api/v1/traces/ID */
  return mcp_tool_result(doc);
}

static void finish(struct waiter *w, bool timed_out) {
  if (w->finished)
    return;
  w->finished = true;
  jobs_unsubscribe(w->sub);
  w->sub = NULL;
  uv_timer_stop(&w->timer);
  json_t *run = NULL, *result;
  struct ma_error err;
  if (ops_run_get(w->call.ctx->core, w->run_id, &run, &err) < 0)
    result = mcp_tool_error(err.message);
  else if (w->kind == W_MEASURE)
    result = mcp_tool_result(json_pack("{s:s, s:O, s:o}", "id", w->run_id, "status",
                                       json_object_get(run, "status"), "run", run));
  else if (w->kind == W_MEMORY)
    result = memory_result(w, run);
  else if (w->kind == W_TRACE)
    result = trace_result(w, run);
  else
    result = mcp_tool_result(json_pack("{s:b, s:o}", "timed_out", timed_out, "run", run));
  json_t *response = jsonrpc_result(w->call.id, result);
  stream_push(w->stream, NULL, response);
  json_decref(response);
  stream_end(w->stream);
}

static void on_run_event(void *userdata, const struct jobs_event *ev) {
  struct waiter *w = userdata;
  if (ev->kind == JOBS_EV_END) {
    finish(w, false);
    return;
  }
  if (ev->kind != JOBS_EV_MARKER || !w->call.token)
    return;
  char message[160];
  snprintf(message, sizeof message, "%s at %.3f ms",
           json_string_value(json_object_get(ev->data, "name")),
           json_number_value(json_object_get(ev->data, "t_ms")));
  w->progress += 1;
  if (w->progress > w->total)
    w->total = w->progress;
  json_t *n = mcp_progress(w->call.token, w->progress, w->total, message);
  stream_push(w->stream, NULL, n);
  json_decref(n);
}

static void on_timeout(uv_timer_t *t) { finish(t->data, true); }

static void on_stream_closed(void *userdata) {
  struct waiter *w = userdata;
  w->finished = true; /* the client is gone: nothing more to send */
  jobs_unsubscribe(w->sub);
  w->sub = NULL;
  uv_close((uv_handle_t *)&w->timer, on_timer_closed);
}

static double markers_expected(struct api_ctx *ctx, json_t *run) {
  const struct profile *p =
      profile_set_find(ctx->core->profiles, json_string_value(json_object_get(run, "profile")));
  return p ? (double)p->n_markers : 1;
}

static enum MHD_Result wait_for(struct call *c, const char *run_id, json_t *run, int kind,
                                unsigned timeout_ms, const char *trace_id) {
  struct waiter *w = calloc(1, sizeof *w);
  if (!w)
    return MHD_NO;
  snprintf(w->trace_id, sizeof w->trace_id, "%s", trace_id ? trace_id : "");
  w->call = *c;
  w->call.id = json_deep_copy(c->id);
  w->call.token = c->token ? json_deep_copy(c->token) : NULL;
  w->kind = kind;
  w->total = markers_expected(c->ctx, run);
  snprintf(w->run_id, sizeof w->run_id, "%s", run_id);
  uv_timer_init(c->ctx->core->loop, &w->timer);
  w->timer.data = w;
  enum MHD_Result refused;
  w->stream = stream_new(c->ctx, c->conn, c->req->client, on_stream_closed, w, &refused);
  if (!w->stream) {
    on_stream_closed(w);
    return refused;
  }
  uv_timer_start(&w->timer, on_timeout, timeout_ms, 0);
  w->sub = jobs_subscribe(c->ctx->core->jobs, run_id, on_run_event, w);
  if (!w->sub)
    finish(w, false); /* ended between the check and now */
  return stream_respond(w->stream, NULL, NULL);
}

/* --- the tools --- */

static enum MHD_Result tool_boot_measure(struct call *c) {
  char id[UTIL_ID_LEN + 1];
  struct ma_error err;
  enum MHD_Result refused;
  if (c->token && !stream_room(c, &refused))
    return refused;
  if (ops_boot_start(c->ctx->core, c->args, id, &err) < 0)
    return tool_error(c, &err);
  if (!c->token)
    return answer(
        c, mcp_tool_result(json_pack("{s:s, s:s, s:n}", "id", id, "status", "queued", "run")));
  json_t *run;
  if (ops_run_get(c->ctx->core, id, &run, &err) < 0)
    return tool_error(c, &err);
  json_int_t timeout_s =
      json_integer_value(json_object_get(json_object_get(run, "request"), "timeout_s"));
  enum MHD_Result r =
      wait_for(c, id, run, W_MEASURE, (unsigned)(timeout_s * 1000 + MEASURE_GRACE_MS), NULL);
  json_decref(run);
  return r;
}

static enum MHD_Result tool_memory_monitor(struct call *c) {
  char id[UTIL_ID_LEN + 1];
  struct ma_error err;
  json_t *d = json_object_get(c->args, "duration_s");
  if (d && (!json_is_integer(d) || json_integer_value(d) > 600))
    return bad_args(c, "duration_s", "duration_s must be an integer from 1 to 600 for a tool call");
  enum MHD_Result refused;
  if (!stream_room(c, &refused))
    return refused;
  if (ops_memory_start(c->ctx->core, c->args, id, &err) < 0)
    return tool_error(c, &err);
  json_t *run;
  if (ops_run_get(c->ctx->core, id, &run, &err) < 0)
    return tool_error(c, &err);
  enum MHD_Result r = wait_for(c, id, run, W_MEMORY,
                               (unsigned)(json_integer_value(d) * 1000 + MEASURE_GRACE_MS), NULL);
  json_decref(run);
  return r;
}

static enum MHD_Result tool_syscall_trace(struct call *c) {
  json_t *t = json_object_get(c->args, "command_timeout_s");
  if (t && (!json_is_integer(t) || json_integer_value(t) > 3600))
    return bad_args(c, "command_timeout_s",
                    "command_timeout_s must be an integer from 1 to 3600 for a tool call");
  char id[UTIL_ID_LEN + 1];
  struct ma_error err;
  enum MHD_Result refused;
  if (!stream_room(c, &refused))
    return refused;
  json_t *doc = NULL, *run = NULL;
  if (ops_trace_start(c->ctx->core, c->args, id, &err) < 0 ||
      ops_trace_get(c->ctx->core, id, &doc, &err) < 0)
    return tool_error(c, &err);
  const char *run_id = json_string_value(json_object_get(doc, "run"));
  int r = ops_run_get(c->ctx->core, run_id, &run, &err);
  json_int_t boot_s =
      r == 0 ? json_integer_value(json_object_get(json_object_get(run, "request"), "timeout_s"))
             : 0;
  unsigned limit_ms =
      (unsigned)((boot_s + (t ? json_integer_value(t) : 300)) * 1000 + MEASURE_GRACE_MS);
  enum MHD_Result result;
  if (r < 0) {
    result = tool_error(c, &err);
  } else if (strcmp(json_string_value(json_object_get(doc, "status")), "running") != 0) {
    json_object_del(doc, "transcript");
    result = answer(c, mcp_tool_result(json_incref(doc)));
  } else {
    result = wait_for(c, run_id, run, W_TRACE, limit_ms, id);
  }
  json_decref(run);
  json_decref(doc);
  return result;
}

static enum MHD_Result tool_boot_wait(struct call *c) {
  enum MHD_Result result;
  if (!only_args(c, (const char *const[]){"id", "timeout_s", NULL}, &result))
    return result;
  json_t *t = json_object_get(c->args, "timeout_s");
  if (t && (!json_is_integer(t) || json_integer_value(t) < 1 || json_integer_value(t) > 600))
    return bad_args(c, "timeout_s", "timeout_s must be an integer from 1 to 600");
  json_t *run;
  struct ma_error err;
  const char *id = str_arg(c, "id");
  if (ops_run_get(c->ctx->core, id ? id : "", &run, &err) < 0)
    return tool_error(c, &err);
  if (run_status_final(json_string_value(json_object_get(run, "status"))))
    return answer(c, mcp_tool_result(json_pack("{s:b, s:o}", "timed_out", 0, "run", run)));
  enum MHD_Result r =
      wait_for(c, id, run, W_WAIT, (unsigned)(t ? json_integer_value(t) : 60) * 1000, NULL);
  json_decref(run);
  return r;
}

static enum MHD_Result tool_boot_status(struct call *c) {
  enum MHD_Result result;
  if (!only_args(c, (const char *const[]){"id", NULL}, &result))
    return result;
  json_t *run;
  struct ma_error err;
  if (ops_run_get(c->ctx->core, str_arg(c, "id") ? str_arg(c, "id") : "", &run, &err) < 0)
    return tool_error(c, &err);
  return answer(c, mcp_tool_result(run));
}

static enum MHD_Result tool_matrix_start(struct call *c) {
  char id[UTIL_ID_LEN + 1];
  int total;
  struct ma_error err;
  if (ops_matrix_start(c->ctx->core, c->args, id, &total, &err) < 0)
    return tool_error(c, &err);
  return answer(c, mcp_tool_result(json_pack("{s:s, s:s, s:i}", "id", id, "status", "running",
                                             "total", total)));
}

static enum MHD_Result tool_matrix_report(struct call *c) {
  enum MHD_Result result;
  if (!only_args(c, (const char *const[]){"id", "format", NULL}, &result))
    return result;
  const char *format = str_arg(c, "format") ? str_arg(c, "format") : "json";
  if (strcmp(format, "json") && strcmp(format, "text"))
    return bad_args(c, "format", "format must be json or text");
  json_t *report;
  struct ma_error err;
  if (ops_matrix_report(c->ctx->core, str_arg(c, "id") ? str_arg(c, "id") : "", &report, NULL,
                        &err) < 0)
    return tool_error(c, &err);
  if (strcmp(format, "json") == 0)
    return answer(c, mcp_tool_result(json_pack("{s:s, s:o}", "format", "json", "report", report)));
  char *text = matrix_report_text(report);
  json_decref(report);
  json_t *out = json_pack("{s:s, s:s}", "format", "text", "text", text);
  free(text);
  return answer(c, mcp_tool_result(out));
}

static enum MHD_Result tool_claims_validate(struct call *c) {
  enum MHD_Result result;
  if (!only_args(c, (const char *const[]){"matrix_id", NULL}, &result))
    return result;
  const char *id = str_arg(c, "matrix_id") ? str_arg(c, "matrix_id") : "";
  json_t *report;
  struct ma_error err;
  if (ops_matrix_report(c->ctx->core, id, &report, NULL, &err) < 0)
    return tool_error(c, &err);
  json_t *out =
      json_pack("{s:s, s:O}", "matrix_id", id, "claims", json_object_get(report, "claims"));
  json_decref(report);
  return answer(c, mcp_tool_result(out));
}

static enum MHD_Result tool_runs_list(struct call *c) {
  enum MHD_Result result;
  if (!only_args(c, (const char *const[]){"limit", "cursor", "status", NULL}, &result))
    return result;
  struct runs_query q;
  json_t *page;
  struct ma_error err;
  if (ops_runs_query(c->args, &q, &err) < 0 || ops_runs_list(c->ctx->core, &q, &page, &err) < 0)
    return tool_error(c, &err);
  return answer(c, mcp_tool_result(page));
}

struct pending_verify {
  struct deferred *reply;
  json_t *id;
};

static void verified(void *userdata, json_t *image, const struct ma_error *err) {
  struct pending_verify *p = userdata;
  json_t *result;
  if (image) {
    result = mcp_tool_result(image);
  } else {
    char msg[700];
    snprintf(msg, sizeof msg, "%s%s%s: %s", err->code, err->field[0] ? " in " : "", err->field,
             err->message);
    result = mcp_tool_error(msg);
  }
  deferred_finish(p->reply, MHD_HTTP_OK, jsonrpc_result(p->id, result));
  json_decref(p->id);
  free(p);
}

static enum MHD_Result tool_image_verify(struct call *c) {
  struct pending_verify *p = calloc(1, sizeof *p);
  if (!p)
    return MHD_NO;
  struct ma_error err;
  /* A bad request is answered now; only real work suspends the connection. */
  if (ops_image_register(c->ctx->core, c->args, verified, p, &err) < 0) {
    free(p);
    return tool_error(c, &err);
  }
  p->id = json_deep_copy(c->id);
  p->reply = deferred_new(c->ctx, c->conn, c->req);
  return p->reply ? MHD_YES : MHD_NO;
}

static enum MHD_Result tool_image_delete(struct call *c) {
  enum MHD_Result result;
  if (!only_args(c, (const char *const[]){"id", NULL}, &result))
    return result;
  json_t *out;
  struct ma_error err;
  if (ops_image_delete(c->ctx->core, str_arg(c, "id") ? str_arg(c, "id") : "", &out, &err) < 0)
    return tool_error(c, &err);
  return answer(c, mcp_tool_result(out));
}

static const struct {
  const char *name;
  enum MHD_Result (*fn)(struct call *c);
} tools[] = {
    {"boot_measure", tool_boot_measure},     {"boot_status", tool_boot_status},
    {"boot_wait", tool_boot_wait},           {"matrix_start", tool_matrix_start},
    {"matrix_report", tool_matrix_report},   {"claims_validate", tool_claims_validate},
    {"runs_list", tool_runs_list},           {"image_verify", tool_image_verify},
    {"memory_monitor", tool_memory_monitor}, {"syscall_trace", tool_syscall_trace},
    {"image_delete", tool_image_delete},
};

enum MHD_Result mcp_tools_call(struct api_ctx *ctx, struct MHD_Connection *conn,
                               struct request *req, const char *tool, json_t *args, json_t *id,
                               json_t *progress_token) {
  struct call c = {ctx, conn, req, args, id, progress_token};
  for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
    if (strcmp(tools[i].name, tool) == 0)
      return tools[i].fn(&c);
  /* The catalog lists a tool this build does not implement: a bug, said plainly. */
  return answer(&c, mcp_tool_error("this tool is listed but not implemented by this daemon"));
}
