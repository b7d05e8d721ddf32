#include "core/matrices.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/slurm_exec.h"
#include "lib/launch_plan.h"
#include "lib/util.h"

struct slot {
  struct matrix *m;
  struct jobs_sub *sub;
  char run_id[UTIL_ID_LEN + 1];
  int cpus;
  bool used;
};

struct matrices_sub {
  struct matrix *m; /* NULL once the matrix has ended: the subscriber still frees it */
  struct matrices_sub *next;
  struct matrix_watch watch;
};

struct matrix {
  struct matrices *ms;
  struct matrix *next;
  char id[UTIL_ID_LEN + 1];
  struct matrix_spec *spec;
  struct matrix_watch watch; /* the starter's, may be empty */
  struct matrices_sub *subs; /* followers since (an SSE stream, the CLI) */
  int total, next_k, in_flight, done;
  int reserved; /* runs admitted with jobs_reserve and not submitted yet */
  bool cancelled, ended;
  bool slurm; /* its runs are a Slurm job array (core/slurm_exec.h), not this machine's jobs */
  uv_timer_t closer; /* closed when the matrix ends: its callback frees it, after any re-entrant
                        call returned */
  struct slot *slots;
};

struct matrices {
  uv_loop_t *loop;
  struct store *store;
  struct jobs *jobs;
  const struct bootspec_env *env;
  const char *state_dir;
  struct slurm_exec *slurm; /* may be NULL */
  struct matrix *active;
};

static void fill(struct matrix *m);

static void on_closed(uv_handle_t *h) {
  struct matrix *m = h->data;
  matrix_spec_free(m->spec);
  free(m->slots);
  free(m);
}

static void end_matrix(struct matrix *m) {
  if (m->ended || m->in_flight > 0)
    return;
  m->ended = true;
  jobs_release(m->ms->jobs, m->reserved);
  m->reserved = 0;
  /* a Slurm matrix's runs all end, cancelled ones too */
  const char *status = m->done == m->total && !(m->slurm && m->cancelled) ? "done" : "cancelled";
  int r = store_matrix_finish(m->ms->store, m->id, status, util_wall_us());
  if (r < 0)
    fprintf(stderr, "matrix %s: cannot store its end: %s\n", m->id, strerror(-r));
  for (struct matrix **p = &m->ms->active; *p; p = &(*p)->next) {
    if (*p == m) {
      *p = m->next;
      break;
    }
  }
  if (m->watch.ended)
    m->watch.ended(m->watch.userdata, status);
  /* Detached before each hears the end, so that it may unsubscribe from its callback. */
  for (struct matrices_sub *sub = m->subs, *next; sub; sub = next) {
    next = sub->next;
    sub->m = NULL;
    sub->next = NULL;
    if (sub->watch.ended)
      sub->watch.ended(sub->watch.userdata, status);
  }
  m->subs = NULL;
  uv_close((uv_handle_t *)&m->closer, on_closed);
}

/* A run of the matrix ended: its starter and every follower hear done of total. */
static void notify_progress(struct matrix *m, int cpus, const char *run_id) {
  if (!m->watch.progress && !m->subs)
    return;
  struct run run;
  double boot = NAN;
  char status[16] = "unknown";
  if (store_run_get(m->ms->store, run_id, &run) == 0) {
    if (run.boot_time_us != RUN_NULL)
      boot = (double)run.boot_time_us / 1000.0;
    snprintf(status, sizeof status, "%s", run.status);
  }
  run_clear(&run);
  if (m->watch.progress)
    m->watch.progress(m->watch.userdata, m->done, m->total, cpus, status, boot);
  for (struct matrices_sub *sub = m->subs, *next; sub; sub = next) {
    next = sub->next; /* a follower may unsubscribe from its callback */
    if (sub->watch.progress)
      sub->watch.progress(sub->watch.userdata, m->done, m->total, cpus, status, boot);
  }
}

static void on_run_event(void *userdata, const struct jobs_event *ev) {
  struct slot *slot = userdata;
  if (ev->kind != JOBS_EV_END)
    return;
  struct matrix *m = slot->m;
  slot->used = false;
  jobs_unsubscribe(slot->sub);
  slot->sub = NULL;
  m->in_flight--;
  m->done++;
  notify_progress(m, slot->cpus, ev->run_id);
  fill(m);
  end_matrix(m);
}

static struct slot *free_slot(struct matrix *m) {
  for (int i = 0; i < m->spec->parallel; i++)
    if (!m->slots[i].used)
      return &m->slots[i];
  return NULL;
}

/* Returns false when the matrix cannot go on (cancelled or stopping). */
static bool submit_next(struct matrix *m) {
  struct slot *slot = free_slot(m);
  json_t *req = matrix_boot_request(m->spec, m->next_k);
  struct boot_spec *spec = NULL;
  struct ma_error err;
  int r = bootspec_from_json(req, m->ms->env, &spec, &err);
  json_decref(req);
  if (r < 0) {
    /* The request was valid at start; a file may have gone since. */
    fprintf(stderr, "matrix %s: run %d no longer valid (%s); cancelling the rest\n", m->id,
            m->next_k, err.message);
    return false;
  }
  slot->m = m;
  slot->cpus = spec->cpus;
  spec->cdrom = m->spec->cdrom ? strdup(m->spec->cdrom) : NULL;
  /* Counted before submitting: a run that cannot start ends inside the call (and may end the
   * matrix). */
  slot->used = true;
  m->in_flight++;
  m->reserved--;
  int k = m->next_k++;
  struct jobs_submit_opts opts = {.exclusive = strcmp(m->spec->isolation, "exclusive") == 0,
                                  .matrix_id = m->id,
                                  .matrix_index = k,
                                  .cb = on_run_event,
                                  .userdata = slot,
                                  .sub = &slot->sub,
                                  .reserved = true};
  r = jobs_submit_opts(m->ms->jobs, spec, &opts, slot->run_id);
  if (r < 0) {
    slot->used = false;
    m->in_flight--;
    m->reserved++;
    m->next_k--;
  }
  return r == 0;
}

static void fill(struct matrix *m) {
  while (!m->cancelled && m->next_k < m->total && m->in_flight < m->spec->parallel) {
    if (!submit_next(m))
      m->cancelled = true;
  }
}

struct matrices *matrices_new(uv_loop_t *loop, struct store *store, struct jobs *jobs,
                              const struct bootspec_env *env, const char *state_dir,
                              struct slurm_exec *slurm) {
  struct matrices *ms = calloc(1, sizeof *ms);
  if (ms)
    *ms = (struct matrices){loop, store, jobs, env, state_dir, slurm, NULL};
  return ms;
}

void matrices_free(struct matrices *ms) { free(ms); }

/* --- matrices whose runs are a Slurm job array --- */

static void on_slurm_task(void *userdata, int k, const char *run_id) {
  struct matrix *m = userdata;
  m->in_flight--;
  m->done++;
  notify_progress(m, m->spec->cpus[(size_t)k % m->spec->n_cpus], run_id);
  end_matrix(m);
}

/* The run of position k, queued in the store as jobs would queue it, for a node to boot. */
static int insert_run(struct matrix *m, int k, json_t **req_out, char id[UTIL_ID_LEN + 1]) {
  json_auto_t *req = matrix_boot_request(m->spec, k);
  struct boot_spec *spec = NULL;
  struct ma_error err;
  int e = bootspec_from_json(req, m->ms->env, &spec, &err);
  if (e < 0)
    return e;
  struct run r;
  run_init(&r);
  struct launch_paths paths = {0};
  e = util_new_id(r.id);
  if (e == 0)
    e = launch_paths_init(&paths, m->ms->state_dir, r.id, spec);
  run_set_str(&r.status, "queued");
  run_set_str(&r.arch, spec->arch);
  r.cpus = spec->cpus;
  r.memory_mb = spec->memory_mb;
  run_set_str(&r.accel_requested, spec->accel);
  run_set_str(&r.profile, spec->profile);
  run_set_str(&r.label, spec->label);
  r.spec_json = json_dumps(spec->json, JSON_COMPACT | JSON_SORT_KEYS);
  r.created_us = util_wall_us();
  run_set_str(&r.serial_path, paths.serial_log);
  run_set_str(&r.matrix_id, m->id);
  r.matrix_index = k;
  if (e == 0)
    e = r.spec_json && r.serial_path ? store_run_insert(m->ms->store, &r) : -ENOMEM;
  if (e == 0) {
    memcpy(id, r.id, UTIL_ID_LEN + 1);
    *req_out = json_incref(spec->json);
  }
  launch_paths_clear(&paths);
  run_clear(&r);
  bootspec_free(spec);
  return e;
}

static int start_slurm(struct matrix *m) {
  int n = m->total;
  char(*ids)[UTIL_ID_LEN + 1] = calloc((size_t)n, sizeof *ids);
  json_t **reqs = calloc((size_t)n, sizeof *reqs);
  int e = ids && reqs ? 0 : -ENOMEM, inserted = 0;
  for (int k = 0; e == 0 && k < n; k++, inserted += e == 0)
    e = insert_run(m, k, &reqs[k], ids[k]);
  for (int k = 0; e < 0 && k < inserted; k++) { /* none of them will run: said, not left queued */
    struct run r;
    if (store_run_get(m->ms->store, ids[k], &r) == 0) {
      run_set_str(&r.status, "failed");
      run_set_str(&r.error_code, "slurm_failed");
      run_set_str(&r.error_message, "the matrix's runs could not all be queued for Slurm");
      r.finished_us = util_wall_us();
      store_run_update(m->ms->store, &r);
    }
    run_clear(&r);
  }
  if (e == 0) {
    m->next_k = m->in_flight = n;
    e = slurm_exec_submit(m->ms->slurm, m->id, ids, reqs, n,
                          strcmp(m->spec->isolation, "exclusive") == 0, m->spec->parallel,
                          on_slurm_task, m);
  }
  for (int k = 0; reqs && k < n; k++)
    json_decref(reqs[k]);
  free(reqs);
  free(ids);
  return e;
}

/* Every run of the matrix counts against --max-queued from the start: 300 matrices of 1,600 runs
 * must not be accepted by a daemon that lets 64 boots wait. */
int matrices_start(struct matrices *ms, struct matrix_spec *spec, const struct matrix_watch *watch,
                   char id[UTIL_ID_LEN + 1], struct ma_error *err) {
  bool slurm = strcmp(spec->executor, "slurm") == 0;
  /* Slurm's runs wait in Slurm's queue, not this machine's; the daemon's state (stopping, disk)
   * is judged all the same */
  int r = slurm ? jobs_admit(ms->jobs) : 0;
  if (r < 0)
    jobs_refusal(r, err);
  else
    r = slurm ? slurm_exec_usable(ms->slurm, err)
              : jobs_reserve(ms->jobs, matrix_total(spec), "samples", err);
  if (r < 0) {
    matrix_spec_free(spec);
    return r;
  }
  struct matrix *m = calloc(1, sizeof *m);
  r = m ? util_new_id(m->id) : -ENOMEM;
  if (r == 0 && !(m->slots = calloc(slurm ? 1 : (size_t)spec->parallel, sizeof *m->slots)))
    r = -ENOMEM;
  _cleanup_(util_freep) char *request =
      r == 0 ? json_dumps(spec->json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  if (r == 0)
    r = store_matrix_insert(ms->store, m->id, request, spec->isolation, spec->parallel,
                            matrix_total(spec), util_wall_us());
  if (r < 0) {
    jobs_release(ms->jobs, slurm ? 0 : matrix_total(spec));
    matrix_spec_free(spec);
    if (m)
      free(m->slots);
    free(m);
    ma_error_set(err, EIO, "internal_error", NULL, "cannot start the matrix: %s", strerror(-r));
    return r;
  }
  m->ms = ms;
  m->spec = spec;
  m->slurm = slurm;
  m->total = matrix_total(spec);
  m->reserved = slurm ? 0 : m->total;
  if (watch)
    m->watch = *watch;
  uv_timer_init(ms->loop, &m->closer);
  m->closer.data = m;
  m->next = ms->active;
  ms->active = m;
  memcpy(id, m->id, UTIL_ID_LEN + 1);
  if (slurm && start_slurm(m) < 0) {
    fprintf(stderr, "matrix %s: cannot queue its runs for Slurm\n", m->id);
    m->cancelled = true;
    m->in_flight = 0;
  }
  if (!slurm)
    fill(m);
  end_matrix(m);
  return 0;
}

bool matrices_use(const struct matrices *ms, const char *real_target) {
  for (const struct matrix *m = ms ? ms->active : NULL; m; m = m->next)
    if (!m->cancelled && m->next_k < m->total &&
        bootspec_json_uses(m->spec->boot, m->spec->cdrom, real_target))
      return true;
  return false;
}

struct matrices_sub *matrices_subscribe(struct matrices *ms, const char *id,
                                        const struct matrix_watch *watch) {
  for (struct matrix *m = ms ? ms->active : NULL; m; m = m->next) {
    if (strcmp(m->id, id) != 0 || m->ended)
      continue;
    struct matrices_sub *sub = calloc(1, sizeof *sub);
    if (!sub)
      return NULL;
    *sub = (struct matrices_sub){.m = m, .next = NULL, .watch = *watch};
    struct matrices_sub **tail = &m->subs;
    while (*tail)
      tail = &(*tail)->next;
    *tail = sub;
    return sub;
  }
  return NULL;
}

void matrices_unsubscribe(struct matrices_sub *sub) {
  if (!sub)
    return;
  for (struct matrices_sub **p = sub->m ? &sub->m->subs : NULL; p && *p; p = &(*p)->next) {
    if (*p == sub) {
      *p = sub->next;
      break;
    }
  }
  free(sub);
}

/* A Slurm matrix a previous daemon started, its runs still out: followed again from the store. */
static void adopt_one(struct matrices *ms, const json_t *row) {
  const char *id = json_string_value(json_object_get(row, "id"));
  json_auto_t *runs = NULL;
  struct matrix_spec *spec = NULL;
  struct ma_error err = {.message = "its runs cannot be read"};
  if (store_matrix_runs(ms->store, id, &runs) < 0 ||
      matrix_spec_from_stored(json_object_get(row, "request"), &spec, &err) < 0) {
    fprintf(stderr, "matrix %s: cannot follow its Slurm jobs again: %s\n", id, err.message);
    matrix_spec_free(spec);
    return;
  }
  int n = (int)json_array_size(runs);
  struct matrix *m = calloc(1, sizeof *m);
  char(*ids)[UTIL_ID_LEN + 1] = calloc((size_t)n + 1, sizeof *ids);
  bool *ended = calloc((size_t)n + 1, sizeof *ended), *started = calloc((size_t)n + 1, 1);
  const char *job = NULL;
  if (!m || !ids || !ended || !started || !(m->slots = calloc(1, sizeof *m->slots))) {
    matrix_spec_free(spec);
    if (m)
      free(m->slots);
    free(m);
    free(ids);
    free(ended);
    free(started);
    return;
  }
  for (int k = 0; k < n; k++) {
    const json_t *run = json_array_get(runs, (size_t)k);
    const char *status = json_string_value(json_object_get(run, "status"));
    snprintf(ids[k], sizeof ids[k], "%s", json_string_value(json_object_get(run, "id")));
    ended[k] = run_status_final(status);
    started[k] = status && strcmp(status, "running") == 0;
    m->done += ended[k];
    if (!job)
      job = json_string_value(json_object_get(run, "slurm_job"));
  }
  snprintf(m->id, sizeof m->id, "%s", id);
  m->ms = ms;
  m->spec = spec;
  m->slurm = true;
  m->total = m->next_k = n;
  m->in_flight = n - m->done;
  uv_timer_init(ms->loop, &m->closer);
  m->closer.data = m;
  m->next = ms->active;
  ms->active = m;
  if (!job ||
      slurm_exec_adopt(ms->slurm, m->id, job, ids, ended, started, n, on_slurm_task, m) < 0) {
    fprintf(stderr, "matrix %s: no Slurm job to follow; its runs out are left as they are\n", id);
    m->in_flight = 0;
  }
  free(ids);
  free(ended);
  free(started);
  end_matrix(m);
}

void matrices_adopt(struct matrices *ms) {
  json_auto_t *list = NULL;
  if (!ms || store_matrices_list(ms->store, 1000, &list) < 0)
    return;
  size_t i;
  const json_t *row;
  json_array_foreach(list, i, row) {
    /* still running after store_mark_interrupted: it has runs in Slurm jobs */
    if (strcmp(json_string_value(json_object_get(row, "status")), "running") != 0)
      continue;
    struct ma_error err;
    if (slurm_exec_usable(ms->slurm, &err) < 0) {
      fprintf(stderr,
              "matrix %s: its runs are in Slurm jobs, which this daemon cannot follow (%s)\n",
              json_string_value(json_object_get(row, "id")), err.message);
      continue;
    }
    adopt_one(ms, row);
  }
}

void matrices_detach_slurm(struct matrices *ms) {
  if (ms)
    ms->slurm = NULL; /* stopped next: a request still served meets "not configured" */
  for (struct matrix **p = ms ? &ms->active : NULL; p && *p;) {
    struct matrix *m = *p;
    if (!m->slurm || m->ended) {
      p = &m->next;
      continue;
    }
    *p = m->next;
    m->ended = true;
    for (struct matrices_sub *sub = m->subs; sub; sub = sub->next)
      sub->m = NULL;
    m->subs = NULL;
    uv_close((uv_handle_t *)&m->closer, on_closed);
  }
}

int matrices_cancel(struct matrices *ms, const char *id) {
  for (struct matrix *m = ms->active; m; m = m->next) {
    if (strcmp(m->id, id) != 0)
      continue;
    if (m->slurm) { /* its runs end as Slurm reports them cancelled */
      int e = slurm_exec_cancel(ms->slurm, m->id, -1);
      m->cancelled |= e == 0;
      return e;
    }
    m->cancelled = true;
    jobs_release(ms->jobs, m->reserved); /* at once: its runs in flight may take a while to die */
    m->reserved = 0;
    for (int i = 0; i < m->spec->parallel; i++)
      if (m->slots[i].used)
        jobs_cancel(ms->jobs, m->slots[i].run_id);
    end_matrix(m);
    return 0;
  }
  return -ENOENT;
}
