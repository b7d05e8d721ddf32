#include "core/installs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/docs.h"
#include "core/images.h"
#include "core/tool.h"
#include "lib/disk.h"
#include "lib/util.h"

#define DEFAULT_DISK_MB 1024
#define DEFAULT_TIMEOUT_S 7200
#define VERIFY_TIMEOUT_S 1800

struct install {
  struct installs *is;
  struct install *next;
  char id[UTIL_ID_LEN + 1];
  json_t *doc;     /* what GET returns */
  json_t *install; /* the boot request of the install run, disk path included */
  json_t *verify;  /* the boot request of the verification run, or NULL */
  char *cdrom, *disk;
  char sha_before[65], sha_after[65];
  int hash_r;
  bool cancelled, hashing_after;
  bool submitting, ended_early; /* a run that fails to start ends inside jobs_submit_opts */
  int reserved; /* runs admitted with jobs_reserve (install, verify) not submitted yet */
  struct jobs_sub *sub;
  char run_id[UTIL_ID_LEN + 1];
  int64_t created_us;
  uv_work_t work;
};

struct installs {
  uv_loop_t *loop;
  struct store *store;
  struct jobs *jobs;
  const struct bootspec_env *env;
  char *state_dir;
  struct install *active;
  int n_active;
};

struct installs *installs_new(uv_loop_t *loop, struct store *store, struct jobs *jobs,
                              const struct bootspec_env *env, const char *state_dir) {
  struct installs *is = calloc(1, sizeof *is);
  _cleanup_(util_freep) char *disks = util_strdupf("%s/disks", state_dir);
  if (!is || !disks || util_mkdir_p(disks, 0750) < 0) {
    free(is);
    return NULL;
  }
  *is = (struct installs){loop, store, jobs, env, strdup(state_dir), NULL, 0};
  return is;
}

static void free_install(struct install *in) {
  json_decref(in->doc);
  json_decref(in->install);
  json_decref(in->verify);
  free(in->cdrom);
  free(in->disk);
  free(in);
}

void installs_free(struct installs *is) {
  if (!is)
    return;
  for (struct install *in = is->active, *next; in; in = next) {
    next = in->next;
    jobs_unsubscribe(in->sub);
    free_install(in);
  }
  free(is->state_dir);
  free(is);
}

int installs_active(const struct installs *is) { return is->n_active; }

static void save(struct install *in) {
  docs_save(in->is->store, STORE_INSTALLS, in->id, in->doc, in->created_us);
}

static void set_phase(struct install *in, const char *status) {
  json_object_set_new(in->doc, "status", json_string(status));
  save(in);
}

/* A disk that failed to install (or whose install was cancelled) is of no use, may be 64 GiB, and
 * no image points at it: it goes with its install. Its runs have ended by now. */
static void remove_disk(struct install *in) {
  if (unlink(in->disk) == 0)
    json_object_set_new(in->doc, "disk_removed", json_true());
  else if (errno != ENOENT)
    fprintf(stderr, "install %s: cannot remove its disk %s: %s\n", in->id, in->disk,
            strerror(errno));
}

static void finish(struct install *in, const char *status, const char *code, const char *message) {
  struct installs *is = in->is;
  jobs_release(is->jobs, in->reserved);
  in->reserved = 0;
  if (strcmp(status, "succeeded") != 0)
    remove_disk(in);
  docs_end(in->doc, status, code, message);
  save(in);
  for (struct install **p = &is->active; *p; p = &(*p)->next) {
    if (*p == in) {
      *p = in->next;
      break;
    }
  }
  is->n_active--;
  free_install(in);
}

static void fail_cancelled(struct install *in) {
  finish(in, "cancelled", "cancelled", "cancelled on request, or the daemon stopped");
}

/* --- phases, in order --- */

static void on_run_event(void *userdata, const struct jobs_event *ev);
static void run_ended(struct install *in, const char *run_id);

static int submit(struct install *in, json_t *req, bool direct, const char *cdrom,
                  const char *field) {
  struct boot_spec *spec = NULL;
  struct ma_error err = {0};
  int r = bootspec_from_json(req, in->is->env, &spec, &err);
  if (r < 0) {
    finish(in, "failed", err.code, err.message);
    return r;
  }
  spec->disk_direct = direct;
  spec->cdrom = cdrom ? strdup(cdrom) : NULL;
  struct jobs_submit_opts opts = {
      .cb = on_run_event, .userdata = in, .sub = &in->sub, .reserved = true};
  in->submitting = true;
  in->ended_early = false;
  r = jobs_submit_opts(in->is->jobs, spec, &opts, in->run_id);
  in->submitting = false;
  if (r == 0)
    in->reserved--;
  if (r < 0) {
    jobs_refusal(r, &err);
    finish(in, r == -ESHUTDOWN ? "cancelled" : "failed",
           r == -ESHUTDOWN ? "daemon_stopping" : err.code, err.message);
    return r;
  }
  /* Stored at once: GET /api/v1/installs/ID (and the CLI) find the run to follow while it is going.
   */
  json_object_set_new(in->doc, field, json_string(in->run_id));
  save(in);
  if (in->ended_early)
    run_ended(in, in->run_id);
  return 0;
}

static void hash_work(uv_work_t *w) {
  struct install *in = w->data;
  in->hash_r = disk_sha256(in->disk, in->hashing_after ? in->sha_after : in->sha_before);
}

static void register_disk(struct install *in) {
  json_t *info =
      json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:s}", "format", "qcow2", "disk_mb",
                json_object_get(in->doc, "disk_mb"), "installed_from",
                json_object_get(in->doc, "image"), "scenario", json_object_get(in->doc, "scenario"),
                "install_run", json_object_get(in->doc, "install_run"), "boot",
                json_object_get(in->doc, "disk_boot"), "install", in->id);
  if (json_object_get(in->doc, "verify_run"))
    json_object_set(info, "verify_run", json_object_get(in->doc, "verify_run"));
  _cleanup_(util_freep) char *text = json_dumps(info, JSON_COMPACT);
  json_decref(info);
  char image_id[UTIL_ID_LEN + 1], stored[UTIL_ID_LEN + 1];
  int r = util_new_id(image_id);
  if (r == 0)
    r = store_image_put(in->is->store, image_id, in->sha_before, in->disk, "disk", text,
                        util_wall_us(), stored);
  if (r < 0) {
    _cleanup_(util_freep) char *msg = util_strdupf("cannot register the disk: %s", strerror(-r));
    finish(in, "failed", "store_error", msg);
    return;
  }
  json_object_set_new(in->doc, "disk_image", json_string(stored));
  finish(in, "succeeded", NULL, NULL);
}

static void start_verify(struct install *in) {
  if (!in->verify) {
    register_disk(in);
    return;
  }
  set_phase(in, "verifying");
  submit(in, in->verify, false, NULL, "verify_run");
}

static void hash_done(uv_work_t *w, int status) {
  struct install *in = w->data;
  if (in->hash_r < 0 || status < 0) {
    _cleanup_(util_freep) char *msg =
        util_strdupf("cannot read %s: %s", in->disk, strerror(-in->hash_r));
    finish(in, "failed", "disk_unreadable", msg);
    return;
  }
  if (!in->hashing_after) {
    json_object_set_new(in->doc, "sha256", json_string(in->sha_before));
    save(in);
    if (in->cancelled)
      fail_cancelled(in);
    else
      start_verify(in);
    return;
  }
  bool same = strcmp(in->sha_before, in->sha_after) == 0;
  json_object_set_new(in->doc, "base_unchanged_by_verify", json_boolean(same));
  if (!same) {
    finish(in, "failed", "base_modified",
           "the verification boot changed the base disk; it should only write its overlay");
    return;
  }
  register_disk(in);
}

static void start_hash(struct install *in, bool after) {
  in->hashing_after = after;
  in->work.data = in;
  int r = uv_queue_work(in->is->loop, &in->work, hash_work, hash_done);
  if (r < 0)
    finish(in, "failed", "disk_unreadable", "cannot hash the disk");
}

static void on_run_event(void *userdata, const struct jobs_event *ev) {
  struct install *in = userdata;
  if (ev->kind != JOBS_EV_END)
    return;
  jobs_unsubscribe(in->sub);
  in->sub = NULL;
  if (in->submitting)
    in->ended_early = true;
  else
    run_ended(in, ev->run_id);
}

static void run_ended(struct install *in, const char *run_id) {
  struct run run;
  run_init(&run);
  int r = store_run_get(in->is->store, run_id, &run);
  bool ok = r == 0 && run.status && strcmp(run.status, "succeeded") == 0;
  bool verifying = json_object_get(in->doc, "verify_run") != NULL;
  if (!ok) {
    _cleanup_(util_freep) char *msg =
        util_strdupf("the %s run %s ended %s: %s", verifying ? "verification" : "install", run_id,
                     run.status ? run.status : "unknown",
                     run.error_message ? run.error_message : "no error recorded");
    bool cancelled = in->cancelled || (run.status && strcmp(run.status, "cancelled") == 0);
    run_clear(&run);
    if (cancelled)
      fail_cancelled(in);
    else
      finish(in, "failed", verifying ? "verify_failed" : "install_failed", msg);
    return;
  }
  if (verifying)
    json_object_set_new(in->doc, "verify_boot_ms", json_real((double)run.boot_time_us / 1000.0));
  run_clear(&run);
  set_phase(in, verifying ? "checking" : "hashing");
  start_hash(in, verifying);
}

static void on_disk_created(void *userdata, int status, const char *err) {
  struct install *in = userdata;
  if (in->cancelled) {
    fail_cancelled(in);
    return;
  }
  if (status != 0) {
    _cleanup_(util_freep) char *msg =
        util_strdupf("qemu-img could not create %s: %s", in->disk, err);
    finish(in, "failed", "disk_create_failed", msg);
    return;
  }
  set_phase(in, "installing");
  submit(in, in->install, true, in->cdrom, "install_run");
}

/* --- requests --- */

static int bad(struct ma_error *err, const char *code, const char *field, const char *msg) {
  ma_error_set(err, EINVAL, code, field, "%s", msg);
  return -EINVAL;
}

static int check_fields(json_t *req, struct ma_error *err) {
  static const char *const known[] = {"image",  "disk_mb",   "scenario",      "memory_mb",
                                      "accel",  "timeout_s", "verify",        "disk_boot",
                                      "append", "label",     "accel_stall_s", NULL};
  if (!json_is_object(req))
    return bad(err, "invalid_body", NULL, "the request body must be a JSON object");
  const char *key;
  json_t *v;
  json_object_foreach(req, key, v) {
    const char *const *k = known;
    while (*k && strcmp(*k, key) != 0)
      k++;
    if (!*k) {
      ma_error_set(err, EINVAL, "unknown_field", key, "unknown field \"%s\"", key);
      return -EINVAL;
    }
  }
  json_t *mb = json_object_get(req, "disk_mb"), *verify = json_object_get(req, "verify");
  const char *boot = json_string_value(json_object_get(req, "disk_boot"));
  if (!json_is_string(json_object_get(req, "image")))
    return bad(err, "missing_field", "image",
               "image (the id of a registered ISO, POST /api/v1/images) is required");
  if (mb && (!json_is_integer(mb) || json_integer_value(mb) < 64 || json_integer_value(mb) > 65536))
    return bad(err, "out_of_range", "disk_mb", "disk_mb must be an integer from 64 to 65536");
  if (verify && !json_is_boolean(verify))
    return bad(err, "wrong_type", "verify", "verify must be true or false");
  if (json_object_get(req, "disk_boot") &&
      (!boot || (strcmp(boot, "bios") && strcmp(boot, "kernel"))))
    return bad(err, "invalid_value", "disk_boot", "disk_boot must be bios or kernel");
  if (json_object_get(req, "append") && !json_is_string(json_object_get(req, "append")))
    return bad(err, "wrong_type", "append", "append must be a string");
  return 0;
}

static void copy_fields(json_t *to, json_t *from, const char *const *keys) {
  for (; *keys; keys++)
    if (json_object_get(from, *keys))
      json_object_set(to, *keys, json_object_get(from, *keys));
}

/* The live CD's kernel and modules (extracted from the ISO) with the new disk attached, playing the
 * scenario. */
static int install_request(struct install *in, json_t *req, json_t *image, struct ma_error *err) {
  json_t *base =
      json_pack("{s:O, s:s}", "image", json_object_get(image, "id"), "profile", "minix-3.4");
  if (json_object_get(req, "append")) /* more arguments for the live CD's kernel */
    json_object_set(base, "append", json_object_get(req, "append"));
  int r =
      images_resolve_boot(in->is->store, in->is->state_dir, base, &in->install, &in->cdrom, err);
  json_decref(base);
  if (r < 0)
    return r;
  static const char *const shared[] = {"memory_mb", "accel", "accel_stall_s", NULL};
  copy_fields(in->install, req, shared);
  json_object_set_new(in->install, "disk", json_string(in->disk));
  json_t *scenario = json_object_get(req, "scenario");
  json_object_set_new(in->install, "scenario",
                      scenario ? json_incref(scenario) : json_string("minix-setup"));
  json_object_set_new(in->install, "timeout_s",
                      json_object_get(req, "timeout_s")
                          ? json_incref(json_object_get(req, "timeout_s"))
                          : json_integer(DEFAULT_TIMEOUT_S));
  json_object_set_new(in->install, "label", json_sprintf("install %s", in->id));
  return 0;
}

/* bios: the disk alone, through its own boot loader; kernel: the CD's kernel and modules on the
 * installed root, for guests without a boot loader on their disk (the fixture). */
static json_t *verify_request(struct install *in, json_t *req) {
  json_t *v = json_pack("{s:s, s:s, s:s, s:i, s:s}", "arch", "i386", "profile", "minix-3.4", "disk",
                        in->disk, "timeout_s", VERIFY_TIMEOUT_S, "label", "");
  json_object_set_new(v, "label", json_sprintf("verify install %s", in->id));
  static const char *const shared[] = {"memory_mb", "accel", "accel_stall_s", NULL};
  copy_fields(v, req, shared);
  const char *boot = json_string_value(json_object_get(req, "disk_boot"));
  if (boot && strcmp(boot, "kernel") == 0) {
    /* Nothing about the console: the installed /boot.cfg must bring it (the fixture reads it from
     * the disk). */
    json_object_set(v, "kernel", json_object_get(in->install, "kernel"));
    json_object_set(v, "initrd", json_object_get(in->install, "initrd"));
    json_object_set_new(v, "append", json_string("rootdevname=c0d0p0s0"));
  }
  return v;
}

/* Both boot requests must be valid before anything is created; the disk does not exist yet, so a
 * readable stand-in takes its place for the check. */
static int validate(struct install *in, json_t *boot, const char *stand_in, struct ma_error *err) {
  json_t *copy = json_deep_copy(boot);
  json_object_set_new(copy, "disk", json_string(stand_in));
  struct boot_spec *spec = NULL;
  int r = bootspec_from_json(copy, in->is->env, &spec, err);
  bootspec_free(spec);
  json_decref(copy);
  return r;
}

static int prepare(struct install *in, json_t *req, struct ma_error *err) {
  json_t *image = NULL;
  const char *image_id = json_string_value(json_object_get(req, "image"));
  int r = util_is_id(image_id) ? store_image_get(in->is->store, image_id, &image) : -ENOENT;
  if (r < 0)
    return bad(err, "unknown_image", "image",
               "no registered image with this id (POST /api/v1/images first)");
  if (strcmp(json_string_value(json_object_get(image, "kind")), "iso") != 0) {
    json_decref(image);
    return bad(err, "wrong_image_kind", "image", "installs start from an ISO image, not a disk");
  }
  r = install_request(in, req, image, err);
  json_decref(image);
  if (r == 0 && !json_is_false(json_object_get(req, "verify")))
    in->verify = verify_request(in, req);
  if (r == 0)
    r = validate(in, in->install, in->cdrom, err);
  if (r == 0 && in->verify)
    r = validate(in, in->verify, in->cdrom, err);
  if (r < 0)
    return r;
  const char *boot = json_string_value(json_object_get(req, "disk_boot"));
  json_t *mb = json_object_get(req, "disk_mb");
  in->doc =
      json_pack("{s:s, s:s, s:O, s:s, s:I, s:O, s:s, s:b, s:o}", "id", in->id, "status",
                "creating_disk", "image", json_object_get(req, "image"), "disk", in->disk,
                "disk_mb", (json_int_t)(mb ? json_integer_value(mb) : DEFAULT_DISK_MB), "scenario",
                json_object_get(in->install, "scenario"), "disk_boot", boot ? boot : "bios",
                "verify", in->verify != NULL, "created_at", docs_wall_json(in->created_us));
  if (json_is_object(
          json_object_get(in->doc, "scenario"))) /* a definition: name it, do not echo it all */
    json_object_set(in->doc, "scenario",
                    json_object_get(json_object_get(in->doc, "scenario"), "name"));
  json_object_set(in->doc, "request", req);
  return 0;
}

/* Its runs (the install, and the verification unless verify is false) count against --max-queued
 * from the start, before a disk is made: an install refused later would leave its disk behind. */
int installs_start(struct installs *is, json_t *req, char id[UTIL_ID_LEN + 1],
                   struct ma_error *err) {
  int n = 0;
  int r = check_fields(req, err);
  if (r == 0)
    r = jobs_reserve(is->jobs, n = json_is_false(json_object_get(req, "verify")) ? 1 : 2, "verify",
                     err);
  if (r < 0)
    return r;
  struct install *in = calloc(1, sizeof *in);
  if (!in || util_new_id(in->id) < 0) {
    free(in);
    jobs_release(is->jobs, n);
    ma_error_set(err, EIO, "internal", NULL, "out of memory");
    return -ENOMEM;
  }
  in->is = is;
  in->reserved = n;
  in->created_us = util_wall_us();
  in->disk = util_strdupf("%s/disks/%s.qcow2", is->state_dir, in->id);
  r = prepare(in, req, err);
  const char *qemu_img = is->env->qemu ? is->env->qemu->path[QEMU_IMG] : NULL;
  if (r == 0 && !qemu_img)
    r = bad(err, "qemu_not_found", NULL,
            "qemu-img is not installed in the QEMU directory (--qemu-dir)");
  char **argv = r == 0
                    ? disk_create_argv(qemu_img, in->disk,
                                       (int)json_integer_value(json_object_get(in->doc, "disk_mb")))
                    : NULL;
  if (r == 0 && !argv)
    r = -ENOMEM;
  if (r < 0) {
    jobs_release(is->jobs, in->reserved);
    disk_argv_free(argv);
    free_install(in);
    return r;
  }
  save(in);
  in->next = is->active;
  is->active = in;
  is->n_active++;
  memcpy(id, in->id, UTIL_ID_LEN + 1);
  r = tool_run(is->loop, argv, on_disk_created, in);
  disk_argv_free(argv);
  if (r < 0)
    on_disk_created(in, r, strerror(-r));
  return 0;
}

bool installs_use(const struct installs *is, const char *real_target) {
  for (const struct install *in = is ? is->active : NULL; in; in = in->next)
    if (path_policy_within(in->disk, real_target) ||
        bootspec_json_uses(in->install, in->cdrom, real_target) ||
        (in->verify && bootspec_json_uses(in->verify, NULL, real_target)))
      return true;
  return false;
}

int installs_cancel(struct installs *is, const char *id) {
  for (struct install *in = is->active; in; in = in->next) {
    if (strcmp(in->id, id) != 0)
      continue;
    in->cancelled = true;
    jobs_release(is->jobs, in->reserved); /* nothing is submitted after a cancel */
    in->reserved = 0;
    if (in->sub)
      jobs_cancel(is->jobs, in->run_id);
    return 0;
  }
  return -ENOENT;
}
