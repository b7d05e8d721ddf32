/* The Slurm executor: a matrix's runs handed to Slurm as one job array, their results ingested from
 * the spool into the store as they land, and Slurm's verdict on the tasks that left none. Slurm's
 * commands run off the loop (core/tool.h), polled with back-off: every 0.5 s while results arrive,
 * doubling to every 10 s while nothing changes. */
#pragma once
#include <stdbool.h>
#include <uv.h>

#include "lib/error.h"
#include "lib/slurm.h"
#include "lib/store.h"
#include "lib/util.h"

struct slurm_exec;

/* Run k of a matrix has ended and is in the store, whatever ended it. */
typedef void (*slurm_task_cb)(void *userdata, int k, const char *run_id);

/* NULL when out of memory. cfg is copied; cfg->partition NULL means not configured. */
struct slurm_exec *slurm_exec_new(uv_loop_t *loop, struct store *store,
                                  const struct slurm_config *cfg);
/* Asks Slurm once (scontrol show partition, at most 10 s, blocking: called at start-up) whether the
 * partition exists; what it said is kept for slurm_exec_usable. */
void slurm_exec_check(struct slurm_exec *x);
/* 0, or -EINVAL with err naming field "executor": not configured, or the partition check failed. */
int slurm_exec_usable(const struct slurm_exec *x, struct ma_error *err);
/* Submits runs (already in the store, queued, ids in run_ids, their boot requests in reqs) as a job
 * array; cb hears each as it ends. A refused sbatch ends every run slurm_failed with its message.
 */
int slurm_exec_submit(struct slurm_exec *x, const char *matrix_id, char (*run_ids)[UTIL_ID_LEN + 1],
                      json_t *const *reqs, int n, bool exclusive, int parallel, slurm_task_cb cb,
                      void *userdata);
/* Follows the job array of a matrix a previous daemon submitted: ended[k] for runs already final,
 * started[k] for runs it had seen running. */
int slurm_exec_adopt(struct slurm_exec *x, const char *matrix_id, const char *job,
                     char (*run_ids)[UTIL_ID_LEN + 1], const bool *ended, const bool *started,
                     int n, slurm_task_cb cb, void *userdata);
/* scancel of the matrix's job array (k < 0) or of its task k; its runs then end "cancelled".
 * -ENOENT: not a matrix of ours; -EAGAIN: no job yet, or nothing left to cancel. */
int slurm_exec_cancel(struct slurm_exec *x, const char *matrix_id, int k);
/* Stops polling and forgets every matrix (their jobs go on: a restarted daemon adopts them); the
 * callbacks are not called again. Frees x once Slurm's commands in flight have returned. */
void slurm_exec_stop(struct slurm_exec *x);
