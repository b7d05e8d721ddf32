#include "core/traces.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/docs.h"
#include "core/images.h"
#include "lib/syscall_trace.h"
#include "lib/trace_session.h"
#include "lib/util.h"

#define DEFAULT_COMMAND_TIMEOUT_S 300
#define TRANSCRIPT_MAX (1 << 20)

struct trace {
  struct traces *ts;
  struct trace *next;
  char id[UTIL_ID_LEN + 1];
  json_t *doc;
  int64_t created_us;
  struct jobs_sub *sub;
  bool submitting, ended_early; /* a run that fails to start ends inside jobs_submit_opts */
};

struct traces {
  struct store *store;
  struct jobs *jobs;
  const struct bootspec_env *env;
  char *state_dir;
  struct trace *active;
  int n_active;
};

struct traces *traces_new(struct store *store, struct jobs *jobs, const struct bootspec_env *env,
                          const char *state_dir) {
  struct traces *ts = calloc(1, sizeof *ts);
  if (ts)
    *ts = (struct traces){store, jobs, env, strdup(state_dir), NULL, 0};
  return ts;
}

static void free_trace(struct trace *t) {
  json_decref(t->doc);
  free(t);
}

void traces_free(struct traces *ts) {
  if (!ts)
    return;
  for (struct trace *t = ts->active, *next; t; t = next) {
    next = t->next;
    jobs_unsubscribe(t->sub);
    free_trace(t);
  }
  free(ts->state_dir);
  free(ts);
}

int traces_active(const struct traces *ts) { return ts->n_active; }

static void save(struct trace *t) {
  docs_save(t->ts->store, STORE_TRACES, t->id, t->doc, t->created_us);
}

static void finish(struct trace *t, const char *status, const char *code, const char *message) {
  struct traces *ts = t->ts;
  docs_end(t->doc, status, code, message);
  save(t);
  for (struct trace **p = &ts->active; *p; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  ts->n_active--;
  free_trace(t);
}

static json_t *parse(const char *tracer, bool summary, const char *trace) {
  size_t n = strlen(trace);
  if (strcmp(tracer, "trace") == 0)
    return syscall_trace_minix(trace, n);
  return summary ? syscall_trace_strace_summary(trace, n) : syscall_trace_strace(trace, n);
}

/* The run is over: what did the guest print? */
static void collect(struct trace *t, const struct run *run) {
  size_t len = 0;
  char *log = util_read_file(run->serial_path, &len);
  struct trace_result res;
  trace_session_extract(log ? log : "", log ? len : 0, &res);
  free(log);
  const char *tracer = json_string_value(json_object_get(t->doc, "tracer"));
  bool summary = json_is_true(json_object_get(t->doc, "summary"));
  json_object_set_new(t->doc, "output", res.output ? json_string(res.output) : json_null());
  json_t *table = res.trace ? parse(tracer, summary, res.trace) : NULL;
  /* MINIX's trace itself exits 0 whatever the command did (seen on the real MINIX 3.4): the
   * command's status is its "Process exited normally with code N" line. strace exits with the
   * command's. */
  json_t *code = json_object_get(json_object_get(table, "exit"), "code");
  if (strcmp(tracer, "trace") == 0 && json_is_integer(code))
    res.exit_status = (int)json_integer_value(code);
  json_object_set_new(t->doc, "exit_status",
                      res.exit_status >= 0 ? json_integer(res.exit_status) : json_null());
  if (res.trace)
    json_object_set_new(t->doc, "transcript",
                        json_stringn(res.trace, strlen(res.trace) < TRANSCRIPT_MAX
                                                    ? strlen(res.trace)
                                                    : TRANSCRIPT_MAX));
  json_int_t calls = table ? json_integer_value(json_object_get(table, "total_calls")) : 0;
  if (table)
    json_object_set_new(t->doc, "table", table);
  bool run_ok = strcmp(run->status, "succeeded") == 0;
  if (run_ok && calls > 0) {
    finish(t, "succeeded", NULL, NULL);
  } else {
    /* The guest's own words say why: "strace: Can't stat '/nope': No such file or directory". */
    _cleanup_(util_freep) char *msg =
        !run_ok ? util_strdupf("the run %s ended %s: %s", run->id, run->status,
                               run->error_message ? run->error_message : "no error recorded")
                : util_strdupf(
                      "the tracer recorded no system call (exit status %d); the guest printed: %s",
                      res.exit_status, res.output && res.output[0] ? res.output : "nothing");
    finish(t, "failed", !run_ok ? "trace_run_failed" : "command_not_run", msg);
  }
  trace_result_clear(&res);
}

static void run_ended(struct trace *t, const char *run_id) {
  struct run run;
  run_init(&run);
  if (store_run_get(t->ts->store, run_id, &run) == 0)
    collect(t, &run);
  else
    finish(t, "failed", "store_error", "cannot read the trace's run");
  run_clear(&run);
}

static void on_run_event(void *userdata, const struct jobs_event *ev) {
  struct trace *t = userdata;
  if (ev->kind != JOBS_EV_END)
    return;
  jobs_unsubscribe(t->sub);
  t->sub = NULL;
  if (t->submitting)
    t->ended_early = true;
  else
    run_ended(t, ev->run_id);
}

/* --- requests --- */

static int bad(struct ma_error *err, const char *code, const char *field, const char *msg) {
  ma_error_set(err, EINVAL, code, field, "%s", msg);
  return -EINVAL;
}

struct options {
  const char *command, *tracer;
  bool summary;
  int command_timeout_s;
};

/* Takes the trace's own fields out of req (what is left is a boot request). */
static int take_options(json_t *req, struct options *o, const struct bootspec_env *env,
                        struct ma_error *err) {
  if (!json_is_object(req))
    return bad(err, "invalid_body", NULL, "the request body must be a JSON object");
  json_t *cmd = json_object_get(req, "command"), *tracer = json_object_get(req, "tracer");
  json_t *summary = json_object_get(req, "summary"),
         *timeout = json_object_get(req, "command_timeout_s");
  if (cmd && !json_is_string(cmd))
    return bad(err, "wrong_type", "command", "command must be a string");
  if (trace_session_check_command(json_string_value(cmd), err) < 0)
    return -EINVAL;
  if (json_object_get(req, "scenario"))
    return bad(err, "conflicting_fields", "scenario", "a trace plays its own scenario");
  if (summary && !json_is_boolean(summary))
    return bad(err, "wrong_type", "summary", "summary must be true or false");
  if (timeout && (!json_is_integer(timeout) || json_integer_value(timeout) < 1 ||
                  json_integer_value(timeout) > 86400))
    return bad(err, "out_of_range", "command_timeout_s",
               "command_timeout_s must be an integer from 1 to 86400");
  const char *profile = json_string_value(json_object_get(req, "profile"));
  if (!profile || !profile_set_find(env->profiles, profile))
    return bad(err, profile ? "unknown_profile" : "missing_field", "profile",
               "profile (linux or minix-3.4) is required: it decides the tracer");
  o->command = json_string_value(cmd);
  o->tracer = tracer                              ? json_string_value(tracer)
              : strncmp(profile, "minix", 5) == 0 ? "trace"
                                                  : "strace";
  if (!o->tracer || (strcmp(o->tracer, "strace") && strcmp(o->tracer, "trace")))
    return bad(err, "invalid_value", "tracer",
               "tracer must be strace (Linux guests) or trace (MINIX)");
  o->summary = json_is_true(summary);
  if (o->summary && strcmp(o->tracer, "strace") != 0)
    return bad(err, "conflicting_fields", "summary",
               "MINIX's trace has no summary mode; the table is counted here");
  o->command_timeout_s = timeout ? (int)json_integer_value(timeout) : DEFAULT_COMMAND_TIMEOUT_S;
  return 0;
}

static int submit(struct trace *t, json_t *boot, const char *cdrom, struct ma_error *err) {
  struct boot_spec *spec = NULL;
  int r = bootspec_from_json(boot, t->ts->env, &spec, err);
  if (r < 0)
    return r;
  spec->cdrom = cdrom ? strdup(cdrom) : NULL;
  char run_id[UTIL_ID_LEN + 1];
  struct jobs_submit_opts opts = {.cb = on_run_event, .userdata = t, .sub = &t->sub};
  t->submitting = true;
  r = jobs_submit_opts(t->ts->jobs, spec, &opts, run_id);
  t->submitting = false;
  if (r < 0)
    jobs_refusal(r, err);
  if (r == 0)
    json_object_set_new(t->doc, "run", json_string(run_id));
  return r;
}

int traces_start(struct traces *ts, json_t *req, char id[UTIL_ID_LEN + 1], struct ma_error *err) {
  struct options o;
  int r = take_options(req, &o, ts->env, err);
  if (r < 0)
    return r;
  struct trace *t = calloc(1, sizeof *t);
  if (!t || util_new_id(t->id) < 0) {
    free(t);
    ma_error_set(err, EIO, "internal_error", NULL, "out of memory");
    return -ENOMEM;
  }
  t->ts = ts;
  t->created_us = util_wall_us();
  json_t *boot_req = json_deep_copy(req), *boot = NULL;
  static const char *const own[] = {"command", "tracer", "summary", "command_timeout_s"};
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    json_object_del(boot_req, own[i]);
  json_object_set_new(boot_req, "scenario",
                      trace_session_scenario(o.tracer, o.command, o.summary, o.command_timeout_s));
  if (!json_object_get(boot_req, "label"))
    json_object_set_new(boot_req, "label", json_sprintf("trace %s", t->id));
  char *cdrom = NULL;
  r = images_resolve_boot(ts->store, ts->state_dir, boot_req, &boot, &cdrom, err);
  t->doc = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:O}", "id", t->id, "status", "running",
                     "command", o.command, "tracer", o.tracer, "summary", o.summary, "created_at",
                     docs_wall_json(t->created_us), "request", req);
  if (r == 0)
    r = submit(t, boot, cdrom, err);
  free(cdrom);
  json_decref(boot);
  json_decref(boot_req);
  if (r < 0) {
    jobs_unsubscribe(t->sub);
    free_trace(t);
    return r;
  }
  save(t);
  t->next = ts->active;
  ts->active = t;
  ts->n_active++;
  memcpy(id, t->id, UTIL_ID_LEN + 1);
  if (t->ended_early)
    run_ended(t, json_string_value(json_object_get(t->doc, "run")));
  return 0;
}
