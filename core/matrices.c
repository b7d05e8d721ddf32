#include "core/matrices.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  uv_timer_t closer; /* closed when the matrix ends: its callback frees it, after any re-entrant
                        call returned */
  struct slot *slots;
};

struct matrices {
  uv_loop_t *loop;
  struct store *store;
  struct jobs *jobs;
  const struct bootspec_env *env;
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
  const char *status = m->done == m->total ? "done" : "cancelled";
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
static void notify_progress(struct matrix *m, int cpus, const struct jobs_event *ev) {
  if (!m->watch.progress && !m->subs)
    return;
  struct run run;
  double boot = NAN;
  if (store_run_get(m->ms->store, ev->run_id, &run) == 0 && run.boot_time_us != RUN_NULL)
    boot = (double)run.boot_time_us / 1000.0;
  run_clear(&run);
  const char *status = json_string_value(json_object_get(ev->data, "status"));
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
  notify_progress(m, slot->cpus, ev);
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
                              const struct bootspec_env *env) {
  struct matrices *ms = calloc(1, sizeof *ms);
  if (ms)
    *ms = (struct matrices){loop, store, jobs, env, NULL};
  return ms;
}

void matrices_free(struct matrices *ms) { free(ms); }

/* Every run of the matrix counts against --max-queued from the start: 300 matrices of 1,600 runs
 * must not be accepted by a daemon that lets 64 boots wait. */
int matrices_start(struct matrices *ms, struct matrix_spec *spec, const struct matrix_watch *watch,
                   char id[UTIL_ID_LEN + 1], struct ma_error *err) {
  int r = jobs_reserve(ms->jobs, matrix_total(spec), "samples", err);
  if (r < 0) {
    matrix_spec_free(spec);
    return r;
  }
  struct matrix *m = calloc(1, sizeof *m);
  r = m ? util_new_id(m->id) : -ENOMEM;
  if (r == 0 && !(m->slots = calloc((size_t)spec->parallel, sizeof *m->slots)))
    r = -ENOMEM;
  _cleanup_(util_freep) char *request =
      r == 0 ? json_dumps(spec->json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  if (r == 0)
    r = store_matrix_insert(ms->store, m->id, request, spec->isolation, spec->parallel,
                            matrix_total(spec), util_wall_us());
  if (r < 0) {
    jobs_release(ms->jobs, matrix_total(spec));
    matrix_spec_free(spec);
    if (m)
      free(m->slots);
    free(m);
    ma_error_set(err, EIO, "internal_error", NULL, "cannot start the matrix: %s", strerror(-r));
    return r;
  }
  m->ms = ms;
  m->spec = spec;
  m->total = m->reserved = matrix_total(spec);
  if (watch)
    m->watch = *watch;
  uv_timer_init(ms->loop, &m->closer);
  m->closer.data = m;
  m->next = ms->active;
  ms->active = m;
  memcpy(id, m->id, UTIL_ID_LEN + 1);
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

int matrices_cancel(struct matrices *ms, const char *id) {
  for (struct matrix *m = ms->active; m; m = m->next) {
    if (strcmp(m->id, id) != 0)
      continue;
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
