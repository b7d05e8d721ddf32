/* What the daemon and the in-process CLI share: state dir, store, profiles,
 * host probe and the job system. */
#pragma once
#include <stdbool.h>
#include <uv.h>

#include "core/disk_guard.h"
#include "core/jobs.h"
#include "core/installs.h"
#include "core/matrices.h"
#include "core/slurm_exec.h"
#include "core/traces.h"
#include "lib/bootspec.h"
#include "lib/profile.h"
#include "lib/store.h"

struct ma_options {
  const char *state_dir;
  const char *profile_dir; /* extra profiles, may be NULL */
  bool run_jobs;           /* lock the state dir, probe the host, run boots */
  bool probe_kvm;          /* false: do not try KVM (accel tcg asked for) */
  const char *qemu_dir;    /* QEMU's programs; NULL: /usr/bin */
  const char *kvm_device;  /* NULL: /dev/kvm */
  bool lock; /* lock the state dir as run_jobs does, without running boots (a change a daemon
                on the same state dir must make itself) */
  int max_running, max_queued;
  int max_log_mb;                /* console kept per run; 0: the default, 64 */
  const char *const *image_dirs; /* --image-dir, NULL-terminated; NULL: open any path (the CLI) */
  int max_state_mb;              /* the state dir's quota; 0: none */
  int min_free_mb; /* free space new work needs on the state dir's filesystem; 0: the default, 64 */
  const char *vclock_plugin; /* the virtual clock's TCG plugin; NULL: the one beside this program */
  struct slurm_config slurm; /* partition NULL: no Slurm executor; cli NULL: the CLI beside this
                                program; bin_dir NULL: /usr/bin */
};

struct ma_context {
  uv_loop_t *loop;
  char *state_dir;
  int lock_fd;
  struct store *store;
  struct profile_set *profiles;
  struct host_info host;
  struct jobs *jobs;         /* NULL unless run_jobs */
  struct matrices *matrices; /* NULL unless run_jobs */
  struct installs *installs; /* NULL unless run_jobs */
  struct traces *traces;     /* NULL unless run_jobs */
  struct slurm_exec *slurm;  /* NULL unless run_jobs; unconfigured without --slurm-partition */
  struct disk_guard *disk;   /* NULL unless run_jobs */
  int host_cores;
  struct bootspec_env env;
  char **image_dirs; /* resolved, with the state dir's own images/ and disks/; NULL: no policy */
  char *vclock_plugin, *vclock_missing; /* the plugin found, or why there is none (env has them) */
};

/* Opens everything opt asks for; runs the loop briefly for the host probe.
 * On error returns -errno with *err (malloc'd) saying what failed. */
int context_open(struct ma_context *c, uv_loop_t *loop, const struct ma_options *opt, char **err);
/* Stops what runs on the loop beyond the jobs (the Slurm executor's polling); Slurm's jobs go on.
 */
void context_stop(struct ma_context *c);
/* Closes what context_open opened (jobs must be idle, context_stop called). */
void context_close(struct ma_context *c);
