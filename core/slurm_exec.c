#include "core/slurm_exec.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/tool.h"
#include "lib/run_import.h"
#include "lib/spool.h"

#define POLL_MIN_MS 500
#define POLL_MAX_MS 10000
#define TOOL_MS 60000
/* Polls a task may be missing from squeue before it fails. */
#define UNSEEN_MAX 3
/* How long a COMPLETED task's result may take through a shared filesystem (attribute caching). */
#define RESULT_GRACE_US (60 * 1000000LL)
/* Results read per poll: the loop serves requests between batches. */
#define INGEST_PER_TICK 64

struct task {
  char id[UTIL_ID_LEN + 1];
  bool ended, started; /* started: seen RUNNING or COMPLETING */
  bool cancelling;     /* scancel'd by this daemon (DELETE of the run) */
  int unseen;
  int64_t completed_us; /* when squeue first said COMPLETED while no result was there; 0: not */
};

struct tracked {
  struct slurm_exec *x;
  struct tracked *next;
  char mid[UTIL_ID_LEN + 1];
  char *dir;
  char job[32]; /* "" until sbatch answered */
  int n, left, busy;
  struct task *tasks;
  slurm_task_cb cb;
  void *userdata;
  bool cancelling, dropped, warned;
};

struct slurm_exec {
  uv_loop_t *loop;
  struct store *store;
  struct slurm_config cfg; /* strings owned */
  char *unusable;          /* why the partition cannot be used; NULL: fine */
  uv_timer_t timer;
  unsigned interval_ms;
  bool changed, more, stopping, timer_closed; /* more: a poll left results for the next one */
  int busy;
  struct tracked *list;
};

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

struct slurm_exec *slurm_exec_new(uv_loop_t *loop, struct store *store,
                                  const struct slurm_config *cfg) {
  struct slurm_exec *x = calloc(1, sizeof *x);
  if (!x)
    return NULL;
  x->loop = loop;
  x->store = store;
  x->cfg = (struct slurm_config){dup_or_null(cfg->partition),  dup_or_null(cfg->account),
                                 dup_or_null(cfg->constraint), dup_or_null(cfg->spool),
                                 dup_or_null(cfg->cli),        dup_or_null(cfg->bin_dir),
                                 dup_or_null(cfg->qemu_dir),   dup_or_null(cfg->profile_dir)};
  x->interval_ms = POLL_MIN_MS;
  uv_timer_init(loop, &x->timer);
  x->timer.data = x;
  return x;
}

void slurm_exec_check(struct slurm_exec *x) {
  if (!x->cfg.partition)
    return;
  if (!x->cfg.cli || strchr(x->cfg.spool, '%')) {
    x->unusable = strdup(!x->cfg.cli ? "no CLI for the nodes beside the daemon: give --slurm-cli"
                                     : "the spool's path has a %, which sbatch would expand");
    fprintf(stderr, "slurm: %s; matrices with \"executor\": \"slurm\" are refused\n", x->unusable);
    return;
  }
  int m = util_mkdir_p(x->cfg.spool, 0750);
  if (m < 0) {
    x->unusable = util_strdupf("cannot make the spool %s: %s", x->cfg.spool, strerror(-m));
    fprintf(stderr, "slurm: %s; matrices with \"executor\": \"slurm\" are refused\n", x->unusable);
    return;
  }
  _cleanup_(util_freep) char *scontrol = util_strdupf("%s/scontrol", x->cfg.bin_dir);
  char *argv[] = {scontrol, "show", "partition", (char *)x->cfg.partition, NULL};
  int out[2];
  pid_t pid;
  posix_spawn_file_actions_t fa;
  if (!scontrol || pipe(out) < 0) {
    x->unusable = strdup("cannot run scontrol");
    return;
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  int e = posix_spawn(&pid, scontrol, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  char text[1024] = "";
  size_t len = 0;
  ssize_t n;
  /* scontrol has its own timeouts; the read ends when it exits */
  while (e == 0 && len < sizeof text - 1 &&
         (n = read(out[0], text + len, sizeof text - 1 - len)) > 0)
    len += (size_t)n;
  text[len] = '\0';
  close(out[0]);
  int status = 0;
  if (e == 0)
    waitpid(pid, &status, 0);
  text[strcspn(text, "\n")] = '\0';
  if (e != 0)
    x->unusable = util_strdupf("cannot run %s: %s", scontrol, strerror(e));
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    x->unusable = util_strdupf("Slurm does not know partition %s: %s", x->cfg.partition, text);
  if (x->unusable)
    fprintf(stderr, "slurm: %s; matrices with \"executor\": \"slurm\" are refused\n", x->unusable);
}

int slurm_exec_usable(const struct slurm_exec *x, struct ma_error *err) {
  if (!x || !x->cfg.partition) {
    ma_error_set(err, EINVAL, "slurm_not_configured", "executor",
                 "this daemon has no Slurm executor: start it with --slurm-partition and "
                 "--slurm-spool");
    return -EINVAL;
  }
  if (x->unusable) {
    ma_error_set(err, EINVAL, "slurm_unavailable", "executor", "%s", x->unusable);
    return -EINVAL;
  }
  return 0;
}

static void schedule(struct slurm_exec *x);

static void drop_tracked(struct tracked *t) {
  struct slurm_exec *x = t->x;
  for (struct tracked **p = &x->list; *p; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  free(t->dir);
  free(t->tasks);
  free(t);
}

static void maybe_free(struct slurm_exec *x) {
  if (!x->stopping || x->busy > 0 || !x->timer_closed)
    return;
  while (x->list)
    drop_tracked(x->list);
  char **strs[] = {
      (char **)&x->cfg.partition, (char **)&x->cfg.account,     (char **)&x->cfg.constraint,
      (char **)&x->cfg.spool,     (char **)&x->cfg.cli,         (char **)&x->cfg.bin_dir,
      (char **)&x->cfg.qemu_dir,  (char **)&x->cfg.profile_dir, &x->unusable};
  for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
    free(*strs[i]);
  free(x);
}

/* Run k has ended, in the store: the matrix hears it once. */
static void task_ended(struct tracked *t, int k) {
  t->tasks[k].ended = true;
  t->left--;
  t->x->changed = true;
  if (!t->dropped && t->cb)
    t->cb(t->userdata, k, t->tasks[k].id);
}

/* Ends run k without a result: code and message say what Slurm (or the spool) said. */
static void end_run(struct tracked *t, int k, const char *code, const char *message) {
  struct run r;
  if (store_run_get(t->x->store, t->tasks[k].id, &r) == 0 && !run_status_final(r.status)) {
    bool ours = (t->cancelling || t->tasks[k].cancelling) && strcmp(code, "slurm_cancelled") == 0;
    run_set_str(&r.status, ours ? "cancelled" : "failed");
    run_set_str(&r.error_code, ours ? "cancelled" : code);
    run_set_str(&r.error_message, ours ? "cancelled (scancel of its Slurm job)" : message);
    r.finished_us = util_wall_us();
    int e = store_run_update(t->x->store, &r);
    if (e < 0)
      fprintf(stderr, "slurm: run %s: cannot store its end: %s\n", r.id, strerror(-e));
  }
  run_clear(&r);
  task_ended(t, k);
}

/* The task's result is in the spool: the run becomes what was measured on the node. */
static void ingest(struct tracked *t, int k, const char *result_path) {
  struct run r;
  int e = store_run_get(t->x->store, t->tasks[k].id, &r);
  if (e == 0 && run_status_final(r.status)) { /* ingested before a restart: once is enough */
    run_clear(&r);
    task_ended(t, k);
    return;
  }
  json_error_t jerr;
  json_auto_t *j = e == 0 ? json_load_file(result_path, 0, &jerr) : NULL;
  const char *why = j ? NULL : "not JSON";
  if (j && run_import_json(&r, j, &why) == 0) {
    _cleanup_(util_freep) char *serial = spool_path(t->dir, SPOOL_SERIAL, k);
    if (serial && r.serial_path && spool_copy_atomic(serial, r.serial_path, false) < 0)
      fprintf(stderr, "slurm: run %s: its console log did not come back from the spool\n", r.id);
    e = store_run_import(t->x->store, &r);
    if (e < 0)
      fprintf(stderr, "slurm: run %s: cannot store its result: %s\n", r.id, strerror(-e));
    run_clear(&r);
    task_ended(t, k);
    return;
  }
  run_clear(&r);
  _cleanup_(util_freep) char *msg =
      util_strdupf("the task's result in the spool is malformed (%s): %s", why, result_path);
  end_run(t, k, "slurm_failed", msg ? msg : "the task's result in the spool is malformed");
}

/* Ingests the results that have landed, INGEST_PER_TICK at most (x->more says when there were
 * more). */
static void scan(struct tracked *t) {
  int taken = 0;
  for (int k = 0; k < t->n; k++) {
    if (t->tasks[k].ended)
      continue;
    _cleanup_(util_freep) char *result = spool_path(t->dir, SPOOL_RESULT, k);
    if (!result || access(result, F_OK) != 0)
      continue;
    if (taken++ == INGEST_PER_TICK) {
      t->x->more = true;
      return;
    }
    ingest(t, k, result);
  }
}

static void tool_done(struct tracked *t) {
  t->busy--;
  t->x->busy--;
  if (t->x->stopping)
    maybe_free(t->x);
}

static void on_scancel(void *userdata, int status, const char *err) {
  struct tracked *t = userdata;
  if (status != 0 && !t->x->stopping)
    fprintf(stderr, "slurm: matrix %s: scancel failed (%d): %s\n", t->mid, status, err);
  tool_done(t);
}

/* scancel of the job array (k < 0) or of its task k. */
static int scancel(struct tracked *t, int k) {
  _cleanup_(util_freep) char *scancel = util_strdupf("%s/scancel", t->x->cfg.bin_dir);
  _cleanup_(util_freep) char *job =
      k < 0 ? util_strdupf("%s", t->job) : util_strdupf("%s_%d", t->job, k);
  char *argv[] = {scancel, job, NULL};
  t->busy++;
  t->x->busy++;
  if (!scancel || !job || tool_run(t->x->loop, argv, on_scancel, t) < 0) {
    tool_done(t);
    return -ENOMEM;
  }
  return 0;
}

/* What squeue says of a task without a result. */
static void judge(struct tracked *t, const struct slurm_task_state *s) {
  int k = (int)s->index;
  if (k < 0 || k >= t->n || t->tasks[k].ended)
    return;
  t->tasks[k].unseen = -1; /* listed: "missing" counts afresh */
  const char *code;
  enum slurm_verdict v = slurm_judge(s->state, &code);
  bool pending = strncmp(s->state, "PENDING", 7) == 0;
  if (v == SLURM_ALIVE && pending && t->tasks[k].started) {
    /* A task that ran and is pending again was requeued: its node failed. Ended here, and
     * cancelled so that it does not boot again behind the measurement's back. */
    _cleanup_(util_freep) char *msg = util_strdupf(
        "the task's node failed: Slurm put the task (job %s_%d) back to PENDING after it had "
        "started (reason %s); the task was cancelled, its output: %s/slurm-%d.out",
        t->job, k, s->reason, t->dir, k);
    end_run(t, k, "slurm_node_fail", msg);
    scancel(t, k);
    return;
  }
  if (v == SLURM_ALIVE) {
    t->tasks[k].started |= !pending;
    if (strcmp(s->state, "RUNNING") == 0) {
      struct run r;
      if (store_run_get(t->x->store, t->tasks[k].id, &r) == 0 && strcmp(r.status, "queued") == 0) {
        run_set_str(&r.status, "running");
        r.started_us = util_wall_us();
        store_run_update(t->x->store, &r);
        t->x->changed = true;
      }
      run_clear(&r);
    }
    return;
  }
  _cleanup_(util_freep) char *result = spool_path(t->dir, SPOOL_RESULT, k);
  if (result && access(result, F_OK) == 0) {
    ingest(t, k, result);
    return;
  }
  if (v == SLURM_COMPLETED) { /* the result may still be on its way through a shared filesystem */
    int64_t now = util_mono_us();
    if (!t->tasks[k].completed_us)
      t->tasks[k].completed_us = now;
    if (now - t->tasks[k].completed_us < RESULT_GRACE_US)
      return;
    _cleanup_(util_freep) char *msg =
        util_strdupf("Slurm says COMPLETED but the task left no result in the spool (its output: "
                     "%s/slurm-%d.out)",
                     t->dir, k);
    end_run(t, k, "slurm_failed", msg);
    return;
  }
  _cleanup_(util_freep) char *msg =
      util_strdupf("Slurm ended the task (job %s_%d): %s, reason %s; its output: %s/slurm-%d.out",
                   t->job, k, s->state, s->reason, t->dir, k);
  end_run(t, k, code, msg);
}

static void on_squeue(void *userdata, int status, const char *out, const char *err) {
  struct tracked *t = userdata;
  /* A job Slurm has purged (past MinJobAge) is "Invalid job id": none of its tasks is listed. */
  if (status != 0 && strstr(err, "Invalid job id"))
    status = 0, out = "";
  if (!t->x->stopping && !t->dropped) {
    if (status != 0) {
      if (!t->warned)
        fprintf(stderr, "slurm: matrix %s: squeue failed (%d): %s; retrying with back-off\n",
                t->mid, status, err);
      t->warned = true;
    } else {
      static struct slurm_task_state states[4096];
      size_t n = slurm_parse_squeue(out, states, sizeof states / sizeof *states);
      for (int k = 0; k < t->n; k++)
        if (!t->tasks[k].ended && t->tasks[k].unseen < 0)
          t->tasks[k].unseen = 0;
      for (size_t i = 0; i < n; i++)
        judge(t, &states[i]);
      for (int k = 0; k < t->n; k++) { /* gone from squeue without a result */
        if (t->tasks[k].ended || t->tasks[k].unseen < 0 || ++t->tasks[k].unseen < UNSEEN_MAX)
          continue;
        scan(t);
        if (t->tasks[k].ended)
          continue;
        if (!t->tasks[k].started) /* Slurm drops a pending task at once when it is cancelled */
          end_run(t, k, "slurm_cancelled",
                  "the task was CANCELLED before it started: Slurm no longer lists it, and a "
                  "pending task leaves the queue only when it is cancelled");
        else
          end_run(t, k, "slurm_failed",
                  "Slurm no longer lists the task (past MinJobAge) and it left no result in the "
                  "spool");
      }
    }
  }
  tool_done(t);
}

static void poll_one(struct tracked *t) {
  bool had_more = t->x->more;
  t->x->more = false;
  scan(t);
  bool more = t->x->more;
  t->x->more |= had_more;
  if (more || t->left == 0 || t->busy || !t->job[0]) /* squeue once the spool is drained */
    return;
  _cleanup_(util_freep) char *squeue = util_strdupf("%s/squeue", t->x->cfg.bin_dir);
  char *argv[] = {squeue, "-h", "-t", "all", "-r", "-j", t->job, "-o", "%K|%T|%r", NULL};
  t->busy++;
  t->x->busy++;
  if (!squeue || tool_run_out(t->x->loop, argv, TOOL_MS, on_squeue, t) < 0)
    tool_done(t);
}

static void on_tick(uv_timer_t *h) {
  struct slurm_exec *x = h->data;
  x->changed = x->more = false;
  for (struct tracked *t = x->list, *next; t; t = next) {
    next = t->next;
    if (!t->dropped)
      poll_one(t);
    if ((t->dropped || t->left == 0) && t->busy == 0) /* over: its runs are all in the store */
      drop_tracked(t);
  }
  x->interval_ms = x->changed ? POLL_MIN_MS : x->interval_ms * 2;
  if (x->interval_ms > POLL_MAX_MS)
    x->interval_ms = POLL_MAX_MS;
  schedule(x);
}

static void schedule(struct slurm_exec *x) {
  bool waiting = false;
  for (struct tracked *t = x->list; t; t = t->next)
    waiting |= !t->dropped && t->left > 0;
  if (!x->stopping && waiting)
    uv_timer_start(&x->timer, on_tick, x->more ? 1 : x->interval_ms, 0);
}

static struct tracked *track(struct slurm_exec *x, const char *mid,
                             char (*run_ids)[UTIL_ID_LEN + 1], int n, slurm_task_cb cb,
                             void *userdata) {
  struct tracked *t = calloc(1, sizeof *t);
  if (!t || !(t->tasks = calloc((size_t)n, sizeof *t->tasks)) ||
      !(t->dir = util_strdupf("%s/%s", x->cfg.spool, mid))) {
    if (t)
      free(t->tasks);
    free(t);
    return NULL;
  }
  t->x = x;
  memcpy(t->mid, mid, sizeof t->mid);
  t->n = t->left = n;
  for (int k = 0; k < n; k++)
    memcpy(t->tasks[k].id, run_ids[k], UTIL_ID_LEN + 1);
  t->cb = cb;
  t->userdata = userdata;
  t->next = x->list;
  x->list = t;
  return t;
}

/* The job id goes with the runs even when the daemon is stopping: the next one adopts them. */
static void record_job(struct tracked *t, const char *out, size_t len) {
  memcpy(t->job, out, len);
  t->job[len] = '\0';
  for (int k = 0; k < t->n; k++) {
    struct run r;
    if (store_run_get(t->x->store, t->tasks[k].id, &r) == 0) {
      _cleanup_(util_freep) char *job = util_strdupf("%s_%d", t->job, k);
      run_set_str(&r.slurm_job, job);
      int e = store_run_update(t->x->store, &r);
      if (e < 0)
        fprintf(stderr, "slurm: run %s: cannot store its job %s: %s\n", r.id, job, strerror(-e));
    }
    run_clear(&r);
  }
  fprintf(stderr, "slurm: matrix %s: job array %s, %d tasks\n", t->mid, t->job, t->n);
}

static void on_sbatch(void *userdata, int status, const char *out, const char *err) {
  struct tracked *t = userdata;
  size_t len = strspn(out, "0123456789");
  bool accepted = status == 0 && len > 0 && len < sizeof t->job;
  if (accepted)
    record_job(t, out, len);
  if (accepted && !t->x->stopping && !t->dropped) {
    t->x->interval_ms = POLL_MIN_MS;
    schedule(t->x);
  } else if (!accepted && !t->x->stopping && !t->dropped) {
    _cleanup_(util_freep) char *msg =
        util_strdupf("sbatch refused the job array (%d): %s", status, err[0] ? err : out);
    for (int k = 0; k < t->n; k++)
      if (!t->tasks[k].ended)
        end_run(t, k, "slurm_failed", msg ? msg : "sbatch refused the job array");
  }
  tool_done(t);
}

/* The spool directory: each run's request, and the task script. */
static int write_spool(struct slurm_exec *x, struct tracked *t, json_t *const *reqs,
                       char **script) {
  int e = util_mkdir_p(t->dir, 0750);
  for (int k = 0; e == 0 && k < t->n; k++) {
    _cleanup_(util_freep) char *path = spool_path(t->dir, SPOOL_TASK, k);
    _cleanup_(util_freep) char *text = json_dumps(reqs[k], JSON_COMPACT | JSON_SORT_KEYS);
    e = path && text ? spool_write_atomic(path, text, strlen(text), false) : -ENOMEM;
  }
  _cleanup_(util_freep) char *body = e == 0 ? slurm_task_script(&x->cfg, t->dir) : NULL;
  *script = util_strdupf("%s/task.sh", t->dir);
  if (e == 0)
    e = body && *script ? spool_write_atomic(*script, body, strlen(body), false) : -ENOMEM;
  if (e == 0 && chmod(*script, 0750) < 0)
    e = -errno;
  return e;
}

int slurm_exec_submit(struct slurm_exec *x, const char *matrix_id, char (*run_ids)[UTIL_ID_LEN + 1],
                      json_t *const *reqs, int n, bool exclusive, int parallel, slurm_task_cb cb,
                      void *userdata) {
  struct tracked *t = track(x, matrix_id, run_ids, n, cb, userdata);
  if (!t)
    return -ENOMEM;
  _cleanup_(util_freep) char *script = NULL;
  int e = write_spool(x, t, reqs, &script);
  char **argv =
      e == 0 ? slurm_sbatch_argv(&x->cfg, matrix_id, t->dir, script, n, exclusive, parallel) : NULL;
  if (e == 0 && !argv)
    e = -ENOMEM;
  t->busy++;
  x->busy++;
  if (e == 0)
    e = tool_run_out(x->loop, argv, TOOL_MS, on_sbatch, t);
  slurm_argv_free(argv);
  if (e < 0) {
    t->busy--;
    x->busy--;
    _cleanup_(util_freep) char *msg =
        util_strdupf("cannot hand the runs to Slurm: %s (spool %s)", strerror(-e), t->dir);
    for (int k = 0; k < n; k++)
      end_run(t, k, "slurm_failed", msg ? msg : "cannot hand the runs to Slurm");
  }
  return 0;
}

int slurm_exec_adopt(struct slurm_exec *x, const char *matrix_id, const char *job,
                     char (*run_ids)[UTIL_ID_LEN + 1], const bool *ended, const bool *started,
                     int n, slurm_task_cb cb, void *userdata) {
  struct tracked *t = track(x, matrix_id, run_ids, n, cb, userdata);
  if (!t)
    return -ENOMEM;
  snprintf(t->job, sizeof t->job, "%.*s", (int)strcspn(job, "_"), job);
  for (int k = 0; k < n; k++) {
    t->tasks[k].ended = ended[k];
    t->tasks[k].started = started[k];
    t->left -= ended[k];
  }
  fprintf(stderr, "slurm: matrix %s: following job array %s again, %d of %d runs still out\n",
          matrix_id, t->job, t->left, n);
  schedule(x);
  return 0;
}

int slurm_exec_cancel(struct slurm_exec *x, const char *matrix_id, int k) {
  for (struct tracked *t = x ? x->list : NULL; t; t = t->next) {
    if (strcmp(t->mid, matrix_id) != 0 || t->dropped)
      continue;
    if (!t->job[0] || t->left == 0 || (k >= 0 && (k >= t->n || t->tasks[k].ended)))
      return -EAGAIN;
    if (k < 0)
      t->cancelling = true;
    else
      t->tasks[k].cancelling = true;
    int e = scancel(t, k);
    if (e < 0)
      return e;
    x->interval_ms = POLL_MIN_MS;
    uv_timer_stop(&x->timer);
    schedule(x);
    return 0;
  }
  return -ENOENT;
}

static void on_timer_closed(uv_handle_t *h) {
  struct slurm_exec *x = h->data;
  x->timer_closed = true;
  maybe_free(x);
}

void slurm_exec_stop(struct slurm_exec *x) {
  if (!x)
    return;
  x->stopping = true;
  for (struct tracked *t = x->list; t; t = t->next)
    t->dropped = true;
  uv_close((uv_handle_t *)&x->timer, on_timer_closed);
}
