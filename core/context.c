#include "core/context.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config.h"
#include "core/host_probe.h"
#include "lib/program_path.h"
#include "lib/util.h"
#include "lib/vclock.h"

static void probe_done(void *userdata) { *(bool *)userdata = true; }

/* One process runs boots from a state dir at a time: a second one would mark
 * the first one's live runs as interrupted. */
static int lock_state_dir(struct ma_context *c, char **err) {
  _cleanup_(util_freep) char *path = util_strdupf("%s/.lock", c->state_dir);
  c->lock_fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
  if (c->lock_fd < 0 || flock(c->lock_fd, LOCK_EX | LOCK_NB) < 0) {
    int e = errno;
    *err = util_strdupf("state dir %s is in use by another minix-analysis process (%s); "
                        "talk to it with --server URL",
                        c->state_dir, strerror(e));
    return -EBUSY;
  }
  return 0;
}

static int open_store(struct ma_context *c, bool recover, char **err) {
  _cleanup_(util_freep) char *db = util_strdupf("%s/minix-analysis.db", c->state_dir);
  char *serr = NULL;
  int r = store_open(db, &c->store, &serr);
  if (r < 0) {
    *err = util_strdupf("cannot open the store: %s", serr ? serr : strerror(-r));
    free(serr);
    return r;
  }
  int n = recover ? store_mark_interrupted(c->store, util_wall_us()) : 0;
  if (n > 0)
    fprintf(stderr,
            "minix-analysis: %d run(s) left unfinished by a previous process marked interrupted\n",
            n);
  return 0;
}

static int load_profiles(struct ma_context *c, const char *extra_dir, char **err) {
  c->profiles = profile_set_new(err);
  if (!c->profiles)
    return -EINVAL;
  _cleanup_(util_freep) char *own = util_strdupf("%s/profiles", c->state_dir);
  int r = profile_set_load_dir(c->profiles, own, err);
  if (r == 0 && extra_dir)
    r = profile_set_load_dir(c->profiles, extra_dir, err);
  if (r < 0 && !*err)
    *err = util_strdupf("cannot read profiles: %s", strerror(-r));
  return r;
}

static int start_jobs(struct ma_context *c, const struct ma_options *opt, char **err) {
  bool done = false;
  struct host_probe_opts probe = {c->state_dir, opt->kvm_device, !opt->probe_kvm};
  int r = host_probe_start(c->loop, &probe, &c->host, probe_done, &done);
  if (r < 0)
    return r;
  while (!done)
    uv_run(c->loop, UV_RUN_ONCE);
  c->disk = disk_guard_new(c->loop, c->state_dir,
                           (int64_t)(opt->max_state_mb > 0 ? opt->max_state_mb : 0) << 20,
                           (int64_t)(opt->min_free_mb > 0 ? opt->min_free_mb : 64) << 20);
  if (!c->disk) {
    *err = strdup("out of memory");
    return -ENOMEM;
  }
  struct jobs_config cfg = {
      c->state_dir,    opt->max_running,
      opt->max_queued, (int64_t)(opt->max_log_mb > 0 ? opt->max_log_mb : 64) << 20,
      c->disk,         (path_policy)c->image_dirs};
  c->jobs = jobs_new(c->loop, c->store, c->profiles, &c->host, &cfg);
  char cli[PATH_MAX];
  struct slurm_config slurm = opt->slurm;
  if (!slurm.cli && program_path("minix-analysis", MA_BINDIR, cli) == 0)
    slurm.cli = cli;
  slurm.bin_dir = slurm.bin_dir ? slurm.bin_dir : "/usr/bin";
  slurm.qemu_dir = opt->qemu_dir;
  slurm.profile_dir = opt->profile_dir;
  c->slurm = c->jobs ? slurm_exec_new(c->loop, c->store, &slurm) : NULL;
  if (c->slurm)
    slurm_exec_check(c->slurm);
  c->matrices =
      c->slurm ? matrices_new(c->loop, c->store, c->jobs, &c->env, c->state_dir, c->slurm) : NULL;
  c->installs =
      c->matrices ? installs_new(c->loop, c->store, c->jobs, &c->env, c->state_dir) : NULL;
  c->traces = c->installs ? traces_new(c->store, c->jobs, &c->env, c->state_dir) : NULL;
  if (!c->traces) {
    *err = util_strdupf("cannot create the runs, sock, overlays and disks directories in %s",
                        c->state_dir);
    return -EIO;
  }
  return 0;
}

/* The --image-dir policy, resolved; the daemon's own extracted kernels and installed disks are
 * always allowed. */
static int resolve_image_dirs(struct ma_context *c, const char *const *dirs, char **err) {
  if (!dirs)
    return 0;
  size_t n = 0;
  while (dirs[n])
    n++;
  c->image_dirs = calloc(n + 3, sizeof *c->image_dirs);
  if (!c->image_dirs)
    return -ENOMEM;
  size_t k = 0;
  for (size_t i = 0; i < n + 2; i++) {
    _cleanup_(util_freep) char *own =
        i >= n ? util_strdupf("%s/%s", c->state_dir, i == n ? "images" : "disks") : NULL;
    if (own)
      util_mkdir_p(own, 0750);
    char *real = realpath(own ? own : dirs[i], NULL);
    if (!real) {
      *err = util_strdupf("--image-dir %s: %s", own ? own : dirs[i], strerror(errno));
      return -ENOENT;
    }
    c->image_dirs[k++] = real;
  }
  return 0;
}

/* The virtual clock's plugin: named, or beside this program (a build tree), or installed. Its
 * absence is no error: boots that ask for the virtual clock get a 400 saying this. */
static void find_vclock_plugin(struct ma_context *c, const char *configured) {
  char found[PATH_MAX];
  const char *path = configured;
  if (!path) {
    program_path(VCLOCK_PLUGIN_NAME, MA_LIBEXECDIR, found);
    path = found;
  }
  if (access(path, R_OK) == 0)
    c->vclock_plugin = realpath(path, NULL);
  if (!c->vclock_plugin)
    c->vclock_missing = util_strdupf(
        "no virtual clock plugin at %s (%s): build it with `ninja -C BUILD vclock-plugin`, which "
        "takes QEMU's plugin header from Debian's source tarball, or name it with --vclock-plugin",
        path, strerror(errno));
}

int context_open(struct ma_context *c, uv_loop_t *loop, const struct ma_options *opt, char **err) {
  memset(c, 0, sizeof *c);
  *err = NULL;
  c->loop = loop;
  c->lock_fd = -1;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  c->host_cores = cores > 0 ? (int)cores : 1;
  accel_host_init(&c->host.kvm);
  /* Once, here: every run executes what health shows, whatever $PATH says. */
  int r = qemu_bins_resolve(&c->host.qemu, opt->qemu_dir ? opt->qemu_dir : "/usr/bin") == 0
              ? util_mkdir_p(opt->state_dir, 0750)
              : -ENOMEM;
  /* Absolute: the paths made under it (an image's extracted kernel, overlays) go to boot requests,
   * which accept absolute paths only; the default ./minix-analysis-data made image boots fail. */
  c->state_dir = r == 0 ? realpath(opt->state_dir, NULL) : NULL;
  if (r == 0 && !c->state_dir)
    r = -errno;
  if (r < 0) {
    *err = util_strdupf("cannot create state dir %s: %s", opt->state_dir, strerror(-r));
    return r;
  }
  if (opt->run_jobs || opt->lock)
    r = lock_state_dir(c, err);
  if (r == 0)
    r = open_store(c, opt->run_jobs, err);
  if (r == 0)
    r = load_profiles(c, opt->profile_dir, err);
  if (r == 0)
    r = resolve_image_dirs(c, opt->image_dirs, err);
  if (r == 0 && opt->run_jobs)
    r = start_jobs(c, opt, err);
  find_vclock_plugin(c, opt->vclock_plugin);
  c->env = (struct bootspec_env){c->profiles,      &c->host.kvm,
                                 &c->host.qemu,    (const char *const *)c->image_dirs,
                                 c->vclock_plugin, c->vclock_missing};
  if (r == 0) /* with the requests' environment set: their matrices are validated again */
    matrices_adopt(c->matrices);
  return r;
}

void context_stop(struct ma_context *c) {
  matrices_detach_slurm(c->matrices);
  slurm_exec_stop(c->slurm);
  c->slurm = NULL;
}

void context_close(struct ma_context *c) {
  context_stop(c);
  traces_free(c->traces);
  installs_free(c->installs);
  for (size_t i = 0; c->image_dirs && c->image_dirs[i]; i++)
    free(c->image_dirs[i]);
  free(c->image_dirs);
  matrices_free(c->matrices);
  jobs_free(c->jobs);
  disk_guard_free(c->disk);
  store_close(c->store);
  profile_set_free(c->profiles);
  host_info_clear(&c->host);
  if (c->lock_fd >= 0)
    close(c->lock_fd);
  free(c->state_dir);
  free(c->vclock_plugin);
  free(c->vclock_missing);
  memset(c, 0, sizeof *c);
  c->lock_fd = -1;
}
