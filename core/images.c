#include "core/images.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/iso_helper.h"
#include "lib/bootspec.h"
#include "lib/matrix.h"
#include "lib/util.h"

static int bad(struct ma_error *err, const char *code, const char *field, const char *msg) {
  ma_error_set(err, EINVAL, code, field, "%s", msg);
  return -EINVAL;
}

static int check_request(json_t *req, path_policy dirs, const char **iso, const char **sha256,
                         struct ma_error *err) {
  if (!json_is_object(req))
    return bad(err, "invalid_body", NULL, "the request body must be a JSON object");
  const char *key;
  json_t *v;
  json_object_foreach(req, key, v) {
    if (strcmp(key, "iso") && strcmp(key, "sha256")) {
      ma_error_set(err, EINVAL, "unknown_field", key, "unknown field \"%s\"", key);
      return -EINVAL;
    }
  }
  *iso = json_string_value(json_object_get(req, "iso"));
  *sha256 = json_string_value(json_object_get(req, "sha256"));
  if (!*iso)
    return bad(err, "missing_field", "iso", "iso (an absolute path) is required");
  /* Judged by stat: the reader child would block opening a FIFO, and the request and a later
   * SIGTERM with it. */
  if (path_policy_check_file(dirs, *iso, "iso", err) < 0)
    return -EINVAL;
  if (json_object_get(req, "sha256") &&
      (!*sha256 || strlen(*sha256) != 64 || strspn(*sha256, "0123456789abcdefABCDEF") != 64))
    return bad(err, "invalid_value", "sha256", "sha256 must be 64 hex digits");
  return 0;
}

/* info: the reader's description of the image (lib/iso.h, iso_image_json). */
static int store_registration(struct store *s, const char *iso, json_t *info, json_t **image,
                              struct ma_error *err) {
  char id[UTIL_ID_LEN + 1], stored[UTIL_ID_LEN + 1];
  _cleanup_(util_freep) char *text = json_dumps(info, JSON_COMPACT);
  const char *sha256 = json_string_value(json_object_get(info, "sha256"));
  int r = sha256 && text ? util_new_id(id) : -EINVAL;
  if (r == 0)
    r = store_image_put(s, id, sha256, iso, "iso", text, util_wall_us(), stored);
  if (r == 0)
    r = store_image_get(s, stored, image);
  if (r < 0)
    ma_error_set(err, EIO, "store_error", NULL, "cannot register the image: %s", strerror(-r));
  return r;
}

int images_register(struct store *s, path_policy dirs, json_t *req, json_t **image,
                    struct ma_error *err) {
  const char *iso, *sha256;
  int r = check_request(req, dirs, &iso, &sha256, err);
  json_t *info = NULL;
  if (r == 0)
    r = iso_helper_inspect(iso, sha256, &info, err);
  if (r == 0)
    r = store_registration(s, iso, info, image, err);
  json_decref(info);
  return r;
}

struct registration {
  uv_work_t work;
  struct store *store;
  char *iso, *sha256;
  json_t *info;
  struct ma_error err;
  int r;
  images_done_cb done;
  void *userdata;
};

/* In the thread pool: reading and hashing a 600 MB image takes seconds the
 * loop must not lose, or concurrent boots would be stamped late. */
static void inspect_work(uv_work_t *w) {
  struct registration *g = w->data;
  g->r = iso_helper_inspect(g->iso, g->sha256, &g->info, &g->err);
}

static void inspect_done(uv_work_t *w, int status) {
  struct registration *g = w->data;
  json_t *image = NULL;
  if (status < 0 && g->r == 0) {
    g->r = status;
    ma_error_set(&g->err, EIO, "internal_error", NULL, "the verification was cancelled");
  }
  if (g->r == 0)
    g->r = store_registration(g->store, g->iso, g->info, &image, &g->err);
  g->done(g->userdata, g->r == 0 ? image : NULL, &g->err);
  json_decref(g->info);
  free(g->iso);
  free(g->sha256);
  free(g);
}

int images_register_async(uv_loop_t *loop, struct store *s, path_policy dirs, json_t *req,
                          images_done_cb done, void *userdata, struct ma_error *err) {
  const char *iso, *sha256;
  int r = check_request(req, dirs, &iso, &sha256, err);
  if (r < 0)
    return r;
  struct registration *g = calloc(1, sizeof *g);
  if (!g)
    return -ENOMEM;
  *g = (struct registration){.store = s,
                             .iso = strdup(iso),
                             .sha256 = sha256 ? strdup(sha256) : NULL,
                             .done = done,
                             .userdata = userdata};
  g->work.data = g;
  r = uv_queue_work(loop, &g->work, inspect_work, inspect_done);
  if (r < 0) {
    ma_error_set(err, EIO, "internal_error", NULL, "cannot start the verification: %s",
                 uv_strerror(r));
    free(g->iso);
    free(g->sha256);
    free(g);
  }
  return r;
}

/* STATE/images/SHA256: where an image's kernel and modules are extracted; NULL unless the image's
 * sha256 is 64 lowercase hex digits (a store edited by hand must not name another directory). */
static char *cache_dir(const char *state_dir, json_t *image) {
  const char *sha = json_string_value(json_object_get(image, "sha256"));
  return sha && strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64
             ? util_strdupf("%s/images/%s", state_dir, sha)
             : NULL;
}

/* The kernel and modules, extracted once per image into the state dir. */
static int cached_files(const char *state_dir, json_t *image, json_t **files,
                        struct ma_error *err) {
  _cleanup_(util_freep) char *dir = cache_dir(state_dir, image);
  const char *kernel = json_string_value(json_object_get(image, "kernel"));
  json_t *modules = json_object_get(image, "modules");
  if (!dir || !kernel || !json_is_array(modules))
    return bad(err, "unknown_image", "image",
               "the registered image has no kernel; register it again");
  json_t *cached = json_array();
  bool all = true;
  for (size_t i = 0; i <= json_array_size(modules); i++) {
    const char *p = i ? json_string_value(json_array_get(modules, i - 1)) : kernel;
    char *dest = util_strdupf("%s/%s", dir, strrchr(p, '/') ? strrchr(p, '/') + 1 : p);
    all &= access(dest, R_OK) == 0;
    json_array_append_new(cached, json_string(dest));
    free(dest);
  }
  if (all) {
    *files = cached;
    return 0;
  }
  json_decref(cached);
  return iso_helper_extract(json_string_value(json_object_get(image, "path")), kernel, modules, dir,
                            files, err);
}

static json_t *kernel_request(json_t *req, json_t *image, json_t *files) {
  json_t *boot = json_deep_copy(req);
  json_object_del(boot, "image");
  json_object_set_new(boot, "kernel", json_incref(json_array_get(files, 0)));
  json_t *initrd = json_array();
  for (size_t i = 1; i < json_array_size(files); i++)
    json_array_append(initrd, json_array_get(files, i));
  json_object_set_new(boot, "initrd", initrd);
  /* The ISO's own arguments, the serial console, then whatever the user adds. */
  const char *user = json_string_value(json_object_get(req, "append"));
  json_object_set_new(boot, "append",
                      json_sprintf("%s console=tty00%s%s",
                                   json_string_value(json_object_get(image, "kernel_args")),
                                   user ? " " : "", user ? user : ""));
  if (!json_object_get(boot, "arch"))
    json_object_set_new(boot, "arch", json_string("i386"));
  return boot;
}

/* A disk made by an install: booted by the BIOS, or by the live CD's kernel and modules on the
 * installed root. */
static int disk_request(struct store *s, const char *state_dir, json_t *req, json_t *image,
                        json_t **boot, struct ma_error *err) {
  const char *how = json_string_value(json_object_get(image, "boot"));
  *boot = json_deep_copy(req);
  json_object_del(*boot, "image");
  json_object_set(*boot, "disk", json_object_get(image, "path"));
  if (!json_object_get(*boot, "arch"))
    json_object_set_new(*boot, "arch", json_string("i386"));
  if (!how || strcmp(how, "kernel") != 0)
    return 0;
  json_t *iso = NULL, *files = NULL;
  const char *from = json_string_value(json_object_get(image, "installed_from"));
  int r = from && util_is_id(from) ? store_image_get(s, from, &iso) : -ENOENT;
  if (r < 0) {
    json_decref(*boot);
    *boot = NULL; /* callers free what they were given */
    return bad(err, "unknown_image", "image",
               "the ISO this disk was installed from is no longer registered");
  }
  r = cached_files(state_dir, iso, &files, err);
  if (r == 0) {
    json_t *kernel = kernel_request(req, iso, files);
    json_object_set(*boot, "kernel", json_object_get(kernel, "kernel"));
    json_object_set(*boot, "initrd", json_object_get(kernel, "initrd"));
    const char *user = json_string_value(json_object_get(req, "append"));
    json_object_set_new(
        *boot, "append",
        json_sprintf("rootdevname=c0d0p0s0%s%s", user ? " " : "", user ? user : ""));
    json_decref(kernel);
  } else {
    json_decref(*boot);
    *boot = NULL;
  }
  json_decref(files);
  json_decref(iso);
  return r;
}

int images_resolve_boot(struct store *s, const char *state_dir, json_t *req, json_t **boot,
                        char **cdrom, struct ma_error *err) {
  *cdrom = NULL;
  json_t *id = json_object_get(req, "image");
  if (!json_is_object(req) || !id) {
    *boot = json_incref(req);
    return 0;
  }
  if (!json_is_string(id))
    return bad(err, "wrong_type", "image", "image must be the id of a registered image");
  if (json_object_get(req, "kernel") || json_object_get(req, "initrd") ||
      json_object_get(req, "iso"))
    return bad(err, "conflicting_fields", "image",
               "exactly one of kernel, iso, disk or image is allowed");
  json_t *image = NULL, *files = NULL;
  int r = util_is_id(json_string_value(id)) ? store_image_get(s, json_string_value(id), &image)
                                            : -ENOENT;
  if (r < 0)
    return bad(err, "unknown_image", "image",
               "no registered image with this id (POST /api/v1/images first)");
  if (strcmp(json_string_value(json_object_get(image, "kind")), "disk") == 0) {
    r = json_object_get(req, "disk") ? bad(err, "conflicting_fields", "disk",
                                           "a disk image is the disk; do not give another")
                                     : disk_request(s, state_dir, req, image, boot, err);
    json_decref(image);
    return r;
  }
  r = cached_files(state_dir, image, &files, err);
  if (r == 0) {
    *boot = kernel_request(req, image, files);
    *cdrom = strdup(json_string_value(json_object_get(image, "path")));
  }
  json_decref(files);
  json_decref(image);
  return r;
}

/* The resolved request names the image's files, not the image: the stored request keeps the id,
 * whatever kind of image it is, so that a run or matrix says what it booted. */
static void record_image(json_t *spec_json, json_t *req) {
  json_t *image = json_object_get(req, "image");
  if (image)
    json_object_set(spec_json, "image", image);
}

int images_boot_spec(struct store *s, const char *state_dir, const struct bootspec_env *env,
                     json_t *req, struct boot_spec **out, struct ma_error *err) {
  json_auto_t *boot = NULL;
  char *cdrom = NULL;
  int r = images_resolve_boot(s, state_dir, req, &boot, &cdrom, err);
  if (r == 0)
    r = bootspec_from_json(boot, env, out, err);
  if (r < 0) {
    free(cdrom);
    return r;
  }
  (*out)->cdrom = cdrom;
  record_image((*out)->json, req);
  return 0;
}

int images_matrix_spec(struct store *s, const char *state_dir, const struct bootspec_env *env,
                       int host_cores, json_t *req, struct matrix_spec **out,
                       struct ma_error *err) {
  json_auto_t *boot = NULL;
  char *cdrom = NULL;
  int r = images_resolve_boot(s, state_dir, req, &boot, &cdrom, err);
  if (r == 0)
    r = matrix_spec_from_json(boot, env, host_cores, out, err);
  if (r < 0) {
    free(cdrom);
    return r;
  }
  (*out)->cdrom = cdrom;
  record_image((*out)->json, req);
  return 0;
}

size_t images_files(const char *state_dir, json_t *image, char *files[2]) {
  size_t n = 0;
  files[0] = files[1] = NULL;
  char *path = realpath(json_string_value(json_object_get(image, "path")), NULL);
  if (path)
    files[n++] = path;
  _cleanup_(util_freep) char *cache = cache_dir(state_dir, image);
  char *real = cache ? realpath(cache, NULL) : NULL;
  if (real)
    files[n++] = real;
  return n;
}

/* Deletes a file, or a directory and the files in it (the extraction cache is flat: a subdirectory
 * or a symlink there is not the daemon's, and stays); returns the bytes the files took. */
static int64_t remove_owned(const char *id, const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0)
    return 0;
  int64_t freed = 0;
  DIR *dir = S_ISDIR(st.st_mode) ? opendir(path) : NULL;
  for (struct dirent *e; dir && (e = readdir(dir));) {
    _cleanup_(util_freep) char *file = util_strdupf("%s/%s", path, e->d_name);
    struct stat fst;
    if (file && lstat(file, &fst) == 0 && S_ISREG(fst.st_mode) && unlink(file) == 0)
      freed += (int64_t)fst.st_blocks * 512;
  }
  if (dir)
    closedir(dir);
  if (!S_ISDIR(st.st_mode) && unlink(path) == 0)
    freed += (int64_t)st.st_blocks * 512;
  else if (S_ISDIR(st.st_mode) && rmdir(path) < 0)
    fprintf(stderr, "image %s: cannot remove %s: %s\n", id, path, strerror(errno));
  return freed;
}

/* What of the image is the daemon's to delete: the kernel and modules it extracted, and a disk it
 * made. */
static json_t *owned_files(const char *state_dir, json_t *image) {
  json_t *owned = json_array();
  char *cache = cache_dir(state_dir, image);
  struct stat st;
  if (cache && lstat(cache, &st) == 0 && S_ISDIR(st.st_mode))
    json_array_append_new(owned, json_string(cache));
  free(cache);
  /* A disk's file goes only when it lies in the state dir's disks/ (installs make them there): a
   * file of the user's own is never deleted, whatever the store says. */
  _cleanup_(util_freep) char *disks = util_strdupf("%s/disks", state_dir);
  _cleanup_(util_freep) char *real_disks = disks ? realpath(disks, NULL) : NULL;
  const char *path = json_string_value(json_object_get(image, "path"));
  const char *kind = json_string_value(json_object_get(image, "kind"));
  if (real_disks && kind && strcmp(kind, "disk") == 0 &&
      path_policy_allows((const char *[]){real_disks, NULL}, path))
    json_array_append_new(owned, json_string(path));
  return owned;
}

int images_delete(struct store *s, const char *state_dir, json_t *image, json_t **out,
                  struct ma_error *err) {
  const char *id = json_string_value(json_object_get(image, "id"));
  json_auto_t *owned = owned_files(state_dir, image);
  int r = id ? store_image_delete(s, id) : -ENOENT;
  if (r == -ENOENT) {
    ma_error_set(err, ENOENT, "image_not_found", "id", "no image with this id");
    return r;
  }
  if (r < 0) {
    ma_error_set(err, EIO, "store_error", NULL, "cannot forget the image: %s", strerror(-r));
    return r;
  }
  int64_t freed = 0;
  size_t i;
  json_t *v;
  json_array_foreach(owned, i, v) { freed += remove_owned(id, json_string_value(v)); }
  *out = json_pack("{s:s, s:O, s:I}", "id", id, "removed", owned, "freed_bytes", (json_int_t)freed);
  return 0;
}
