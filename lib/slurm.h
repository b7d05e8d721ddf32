/* Slurm, as the daemon uses it: the sbatch command of a matrix's job array, and what squeue says of
 * its tasks, decided into what a run becomes. Pure: core/slurm_exec.c runs the commands. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct slurm_config {
  const char *partition;   /* --slurm-partition; NULL: the executor is off */
  const char *account;     /* --slurm-account, may be NULL */
  const char *constraint;  /* --slurm-constraint, may be NULL */
  const char *spool;       /* --slurm-spool: shared by the daemon and the nodes */
  const char *cli;         /* --slurm-cli: the CLI on the nodes */
  const char *bin_dir;     /* where sbatch, squeue, scontrol and scancel are (/usr/bin) */
  const char *qemu_dir;    /* the daemon's --qemu-dir, passed to the CLI on the nodes */
  const char *profile_dir; /* the daemon's --profile-dir, passed on too (NULL: none) */
};

/* The argv of `sbatch` for a job array of n tasks (NULL-terminated, malloc'd strings in a malloc'd
 * array: slurm_argv_free). Exclusive isolation asks for whole nodes (--exclusive); parallel lets
 * Slurm pack tasks (one CPU each), at most `parallel` at once (0: no throttle). */
char **slurm_sbatch_argv(const struct slurm_config *c, const char *matrix_id, const char *dir,
                         const char *script, int n, bool exclusive, int parallel);
void slurm_argv_free(char **argv);
/* The task script: runs the CLI's slurm-task for $SLURM_ARRAY_TASK_ID (malloc'd). */
char *slurm_task_script(const struct slurm_config *c, const char *dir);

/* One task as squeue prints it with -o '%K|%T|%r' (array index, state, reason). */
struct slurm_task_state {
  long index;
  char state[32];
  char reason[96];
};
/* Parses squeue's lines; returns how many were read into out (at most cap); lines it cannot read
 * are skipped. */
size_t slurm_parse_squeue(const char *text, struct slurm_task_state *out, size_t cap);

enum slurm_verdict {
  SLURM_ALIVE,     /* pending or running: wait */
  SLURM_COMPLETED, /* ended normally: its result should be in the spool */
  SLURM_ENDED,     /* ended otherwise: code says how */
};
/* What a Slurm job state means for the run; *code is the run's error code when SLURM_ENDED
 * (slurm_failed, slurm_timeout, slurm_node_fail, slurm_cancelled). */
enum slurm_verdict slurm_judge(const char *state, const char **code);
