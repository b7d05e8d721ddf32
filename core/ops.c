#include "core/ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/images.h"
#include "core/context.h"
#include "core/installs.h"
#include "lib/matrix.h"
#include "lib/matrix_report.h"

int ops_internal(struct ma_error *err, const char *what, int r) {
  ma_error_set(err, EIO, "internal_error", NULL, "%s: %s", what, strerror(-r));
  return r;
}

/* "executor": "slurm" on a boot: a matrix of one run (its cpus, one sample) on Slurm; the boot's id
 * is that run's. */
static int slurm_boot(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1],
                      struct ma_error *err) {
  json_auto_t *m = json_deep_copy(req);
  json_t *cpus = json_object_get(req, "cpus");
  json_object_set_new(m, "cpus", cpus ? json_pack("[O]", cpus) : json_pack("[i]", 1));
  json_object_set_new(m, "samples", json_integer(1));
  char mid[UTIL_ID_LEN + 1];
  int total;
  int r = ops_matrix_start(ctx, m, mid, &total, err);
  json_auto_t *runs = NULL;
  if (r == 0 && store_matrix_runs(ctx->store, mid, &runs) == 0 && json_array_size(runs) == 1) {
    snprintf(id, UTIL_ID_LEN + 1, "%s",
             json_string_value(json_object_get(json_array_get(runs, 0), "id")));
    return 0;
  }
  return r < 0 ? r : ops_internal(err, "cannot read the Slurm boot's run", -EIO);
}

int ops_boot_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1],
                   struct ma_error *err) {
  json_t *executor = json_object_get(req, "executor");
  const char *e = json_string_value(executor);
  if (executor && (!e || (strcmp(e, "local") && strcmp(e, "slurm")))) {
    ma_error_set(err, EINVAL, "invalid_value", "executor",
                 "executor must be \"local\" or \"slurm\"");
    return -EINVAL;
  }
  if (e && strcmp(e, "slurm") == 0)
    return slurm_boot(ctx, req, id, err);
  json_auto_t *local = json_deep_copy(req);
  json_object_del(local, "executor");
  struct boot_spec *spec;
  int r = images_boot_spec(ctx->store, ctx->state_dir, &ctx->env, local, &spec, err);
  if (r < 0)
    return r;
  r = jobs_submit(ctx->jobs, spec, id);
  if (r < 0)
    jobs_refusal(r, err);
  return r;
}

int ops_matrix_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1], int *total,
                     struct ma_error *err) {
  struct matrix_spec *spec;
  int r =
      images_matrix_spec(ctx->store, ctx->state_dir, &ctx->env, ctx->host_cores, req, &spec, err);
  if (r < 0)
    return r;
  *total = matrix_total(spec);
  return matrices_start(ctx->matrices, spec, NULL, id, err);
}

int ops_matrix_report(struct ma_context *ctx, const char *id, json_t **report, json_t **runs,
                      struct ma_error *err) {
  int r = matrix_report_load(ctx->store, id, report, runs);
  if (r == -ENOENT)
    ma_error_set(err, ENOENT, "matrix_not_found", "id", "no matrix with this id");
  else if (r < 0)
    ops_internal(err, "cannot read the matrix", r);
  return r;
}

int ops_matrices_list(struct ma_context *ctx, const json_t *limit, json_t **out,
                      struct ma_error *err) {
  json_auto_t *args = json_object();
  if (limit)
    json_object_set(args, "limit", (json_t *)limit);
  struct runs_query q;
  if (ops_runs_query(args, &q, err) < 0)
    return -EINVAL;
  json_t *list;
  int r = store_matrices_list(ctx->store, q.limit, &list);
  if (r < 0)
    return ops_internal(err, "cannot list matrices", r);
  *out = json_pack("{s:o}", "matrices", list);
  return 0;
}

int ops_image_register(struct ma_context *ctx, json_t *req, images_done_cb done, void *userdata,
                       struct ma_error *err) {
  return images_register_async(ctx->loop, ctx->store, ctx->env.image_dirs, req, done, userdata,
                               err);
}

int ops_image_get(struct ma_context *ctx, const char *id, json_t **image, struct ma_error *err) {
  int r = util_is_id(id) ? store_image_get(ctx->store, id, image) : -ENOENT;
  if (r == -ENOENT)
    ma_error_set(err, ENOENT, "image_not_found", "id", "no image with this id");
  else if (r < 0)
    ops_internal(err, "cannot read the image", r);
  return r;
}

int ops_images_list(struct ma_context *ctx, json_t **list, struct ma_error *err) {
  json_t *images;
  int r = store_images_list(ctx->store, &images);
  if (r < 0)
    return ops_internal(err, "cannot list images", r);
  *list = json_pack("{s:o}", "images", images);
  return 0;
}

/* Which of the image's files a queued or running boot, a matrix still to run or an install uses. */
static bool image_in_use(struct ma_context *ctx, json_t *image) {
  char *files[2];
  size_t n = images_files(ctx->state_dir, image, files);
  bool used = false;
  for (size_t i = 0; i < n; i++) {
    used = used || jobs_use(ctx->jobs, files[i]) || matrices_use(ctx->matrices, files[i]) ||
           installs_use(ctx->installs, files[i]);
    free(files[i]);
  }
  return used;
}

int ops_image_delete(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err) {
  json_auto_t *image = NULL;
  int r = ops_image_get(ctx, id, &image, err);
  if (r < 0)
    return r;
  if (image_in_use(ctx, image)) {
    ma_error_set(err, EBUSY, "image_in_use", "id",
                 "a queued or running boot, matrix or install uses this image; cancel it or wait, "
                 "then retry");
    return -EBUSY;
  }
  return images_delete(ctx->store, ctx->state_dir, image, out, err);
}

int ops_memory_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1],
                     struct ma_error *err) {
  if (!json_is_object(req) || !json_object_get(req, "duration_s")) {
    ma_error_set(err, EINVAL, "missing_field", "duration_s",
                 "duration_s (seconds to monitor the guest) is required");
    return -EINVAL;
  }
  json_t *boot = json_deep_copy(req);
  if (!json_object_get(boot, "memory_sample_ms"))
    json_object_set_new(boot, "memory_sample_ms", json_integer(100));
  int r = ops_boot_start(ctx, boot, id, err);
  json_decref(boot);
  return r;
}

int ops_install_start(struct ma_context *ctx, json_t *req, char id[UTIL_ID_LEN + 1],
                      struct ma_error *err) {
  return installs_start(ctx->installs, req, id, err);
}

/* The newest scenario step of the install's current run: which prompt, which set. */
static json_t *install_progress(struct ma_context *ctx, json_t *doc) {
  json_t *id = json_object_get(doc, "verify_run");
  id = id ? id : json_object_get(doc, "install_run");
  struct run run;
  run_init(&run);
  if (!id || store_run_get(ctx->store, json_string_value(id), &run) < 0) {
    run_clear(&run);
    return NULL;
  }
  json_t *p = json_pack("{s:O, s:s}", "run", id, "run_status", run.status);
  for (size_t i = run.n_markers; i-- > 0;) {
    struct run_marker *m = &run.markers[i];
    if (m->source && strcmp(m->source, "scenario") == 0) {
      json_object_set_new(p, "step", json_string(m->name));
      json_object_set_new(p, "text", json_string(m->text ? m->text : ""));
      json_object_set_new(p, "t_ms", json_real((double)m->t_us / 1000.0));
      break;
    }
  }
  run_clear(&run);
  return p;
}

int ops_install_get(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err) {
  int r = ops_install_doc(ctx, id, out, err);
  if (r == 0) {
    json_t *p = install_progress(ctx, *out);
    if (p)
      json_object_set_new(*out, "progress", p);
  }
  return r;
}
