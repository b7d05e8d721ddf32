/* Runs vCPU x samples matrices: submits their boots in interleaved order,
 * `parallel` at a time (one, alone on the machine, when exclusive). */
#pragma once
#include <uv.h>

#include "core/jobs.h"
#include "lib/matrix.h"
#include "lib/store.h"

struct matrix_watch {
  /* A run of the matrix ended: done of total, that run's status and boot time (NAN if none). */
  void (*progress)(void *userdata, int done, int total, int cpus, const char *status,
                   double boot_ms);
  /* The matrix is over (done or cancelled). */
  void (*ended)(void *userdata, const char *status);
  void *userdata;
};

struct matrices;

struct slurm_exec;
/* Creates the matrix runner on top of jobs, and of slurm for "executor": "slurm" (may be NULL). */
struct matrices *matrices_new(uv_loop_t *loop, struct store *store, struct jobs *jobs,
                              const struct bootspec_env *env, const char *state_dir,
                              struct slurm_exec *slurm);
/* Frees the runner; active matrices must have ended (NULL is fine). */
void matrices_free(struct matrices *ms);
/* Starts a matrix (spec is stolen); watch may be NULL. id receives the matrix id. All its runs
 * count against --max-queued from now on: refused with err as jobs_refusal says (503 queue_full),
 * or 400 too_many_runs (field samples) when they could never all wait at once. */
int matrices_start(struct matrices *ms, struct matrix_spec *spec, const struct matrix_watch *watch,
                   char id[UTIL_ID_LEN + 1], struct ma_error *err);
/* true when an active matrix has runs still to submit that name real_target (a resolved path) or a
 * file below it; its submitted runs are the jobs' (NULL ms: false). */
bool matrices_use(const struct matrices *ms, const char *real_target);
struct matrices_sub;
/* Follows an active matrix from now on: watch's progress after each of its runs, ended once at its
 * end (the subscription is detached then, and must still be given to matrices_unsubscribe). NULL
 * when the matrix is not active (over, or unknown) or out of memory. */
struct matrices_sub *matrices_subscribe(struct matrices *ms, const char *id,
                                        const struct matrix_watch *watch);
/* Stops following and frees sub (NULL is fine; safe from the watch's own callbacks and after the
 * end). */
void matrices_unsubscribe(struct matrices_sub *sub);
/* Follows again the Slurm matrices a previous daemon left running (their runs still in Slurm jobs;
 * store_mark_interrupted left them alone): runs whose results landed meanwhile are ingested, none
 * twice. */
void matrices_adopt(struct matrices *ms);
/* Forgets the active Slurm matrices (at shutdown): their jobs go on, their rows stay "running" for
 * the next daemon to adopt; their followers hear nothing more. */
void matrices_detach_slurm(struct matrices *ms);
/* Cancels the remaining runs of an active matrix; -ENOENT when it is not active, -EAGAIN for a
 * Slurm matrix whose job array sbatch has not answered for yet. */
int matrices_cancel(struct matrices *ms, const char *id);
