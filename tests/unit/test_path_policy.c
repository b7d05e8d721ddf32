/* The daemon's --image-dir policy on a real directory tree: symlinks, "..", missing files, FIFOs,
 * and the names QEMU reads differently from the policy (a space in an initrd), judged again at
 * launch. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/bootspec.h"
#include "lib/path_policy.h"
#include "test_util.h"

struct tree {
  char root[64], allowed[PATH_MAX + 16], outside[PATH_MAX + 16];
};

static void touch(const char *path) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fclose(f);
}

static int make_tree(void **state) {
  static struct tree t;
  snprintf(t.root, sizeof t.root, "/tmp/ma-policy-XXXXXX");
  if (!mkdtemp(t.root))
    return -1;
  char real[PATH_MAX];
  if (!realpath(t.root, real))
    return -1;
  snprintf(t.allowed, sizeof t.allowed, "%s/images", real);
  snprintf(t.outside, sizeof t.outside, "%s/elsewhere", real);
  mkdir(t.allowed, 0700);
  mkdir(t.outside, 0700);
  char p[PATH_MAX + 32];
  snprintf(p, sizeof p, "%s/kernel", t.allowed);
  touch(p);
  snprintf(p, sizeof p, "%s/secret", t.outside);
  touch(p);
  char link[PATH_MAX + 32];
  snprintf(link, sizeof link, "%s/escape", t.allowed);
  if (symlink(p, link) < 0)
    return -1;
  *state = &t;
  return 0;
}

static int remove_tree(void **state) {
  struct tree *t = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", t->root);
  return system(cmd) == 0 ? 0 : -1;
}

static void judges_real_paths(void **state) {
  struct tree *t = *state;
  const char *dirs[] = {t->allowed, NULL};
  char p[PATH_MAX + 64];
  snprintf(p, sizeof p, "%s/kernel", t->allowed);
  assert_true(path_policy_allows(dirs, p));
  snprintf(p, sizeof p, "%s/escape", t->allowed); /* a symlink out */
  assert_false(path_policy_allows(dirs, p));
  snprintf(p, sizeof p, "%s/../elsewhere/secret", t->allowed);
  assert_false(path_policy_allows(dirs, p));
  snprintf(p, sizeof p, "%s/secret", t->outside);
  assert_false(path_policy_allows(dirs, p));
  snprintf(p, sizeof p, "%s/not-yet",
           t->allowed); /* missing, inside: the caller says "not found" */
  assert_true(path_policy_allows(dirs, p));
  snprintf(p, sizeof p, "%s/not-yet", t->outside); /* missing, outside */
  assert_false(path_policy_allows(dirs, p));
  snprintf(p, sizeof p, "%s/escape/..", t->allowed);
  assert_false(path_policy_allows(dirs, p));
  snprintf(p, sizeof p, "%s/no-dir/kernel", t->allowed); /* a missing directory is not resolved */
  assert_false(path_policy_allows(dirs, p));
  snprintf(p, sizeof p, "%s/images-not/kernel", t->root); /* a prefix of the name is not inside */
  assert_false(path_policy_allows(dirs, p));
  assert_true(path_policy_allows(NULL, "/anything")); /* no policy: the CLI */
  const char *root[] = {"/", NULL};
  snprintf(p, sizeof p, "%s/secret", t->outside);
  assert_true(path_policy_allows(root, p));
}

static void expect_refusal(int r, const struct ma_error *err, int status, const char *code,
                           const char *field) {
  assert_int_equal(r, -EINVAL);
  if (err->errnum != status || strcmp(err->code, code) != 0 || strcmp(err->field, field) != 0)
    fail_msg("got %d %s/%s (%s), wanted %d %s/%s", err->errnum, err->code, err->field, err->message,
             status, code, field);
}

/* A FIFO, a directory, a missing file: each refused from its stat, never opened (opening the FIFO
 * would block this test for ever). */
static void checks_files_without_opening_them(void **state) {
  struct tree *t = *state;
  const char *dirs[] = {t->allowed, NULL};
  char p[PATH_MAX + 64];
  struct ma_error err;
  snprintf(p, sizeof p, "%s/fifo", t->allowed);
  assert_int_equal(mkfifo(p, 0600), 0);
  expect_refusal(path_policy_check_file(dirs, p, "iso", &err), &err, EINVAL, "not_a_file", "iso");
  expect_refusal(path_policy_check_file(NULL, p, "iso", &err), &err, EINVAL, "not_a_file", "iso");
  expect_refusal(path_policy_check_file(NULL, t->allowed, "disk", &err), &err, EINVAL, "not_a_file",
                 "disk");
  snprintf(p, sizeof p, "%s/escape", t->allowed);
  expect_refusal(path_policy_check_file(dirs, p, "kernel", &err), &err, EACCES, "path_not_allowed",
                 "kernel");
  snprintf(p, sizeof p, "%s/not-yet", t->allowed);
  expect_refusal(path_policy_check_file(dirs, p, "kernel", &err), &err, EINVAL, "file_not_found",
                 "kernel");
  expect_refusal(path_policy_check_file(dirs, "images/kernel", "kernel", &err), &err, EINVAL,
                 "path_not_absolute", "kernel");
  snprintf(p, sizeof p, "%s/kernel", t->allowed);
  assert_int_equal(path_policy_check_file(dirs, p, "kernel", &err), 0);
  assert_true(path_policy_within(p, t->allowed));
  assert_true(path_policy_within(p, p));
  assert_false(path_policy_within(p, t->outside));
}

static struct boot_spec *parse(const struct bootspec_env *env, json_t *req, struct ma_error *err,
                               int *r) {
  struct boot_spec *spec = NULL;
  *r = bootspec_from_json(req, env, &spec, err);
  json_decref(req);
  return spec;
}

/* "/dir/secretlink x" is a regular file inside the dir, but QEMU's multiboot loader opens
 * /dir/secretlink (a symlink out) and passes "x" as the module's arguments: the name is refused
 * before any file is judged. */
static void refuses_an_initrd_that_qemu_would_split(void **state) {
  struct tree *t = *state;
  struct bootspec_env env;
  char stand_in[128], kernel[PATH_MAX + 32], spaced[PATH_MAX + 32], link[PATH_MAX + 32],
      secret[PATH_MAX + 32];
  assert_int_equal(test_boot_env(&env, stand_in, sizeof stand_in), 0);
  const char *dirs[] = {t->allowed, NULL};
  env.image_dirs = dirs;
  snprintf(kernel, sizeof kernel, "%s/kernel", t->allowed);
  snprintf(spaced, sizeof spaced, "%s/secretlink x", t->allowed);
  snprintf(link, sizeof link, "%s/secretlink", t->allowed);
  snprintf(secret, sizeof secret, "%s/secret", t->outside);
  touch(spaced);
  assert_int_equal(symlink(secret, link), 0);
  struct ma_error err;
  int r;
  struct boot_spec *spec = parse(&env,
                                 json_pack("{s:s, s:s, s:s, s:[s]}", "arch", "i386", "profile",
                                           "minix-3.4", "kernel", kernel, "initrd", spaced),
                                 &err, &r);
  assert_null(spec);
  expect_refusal(r, &err, EINVAL, "invalid_path", "initrd");
  profile_set_free((struct profile_set *)env.profiles);
}

/* A queued run's files may change after the request was accepted: judged again when it starts. */
static void judges_files_again_at_launch(void **state) {
  struct tree *t = *state;
  struct bootspec_env env;
  char stand_in[128], kernel[PATH_MAX + 32], initrd[PATH_MAX + 32], secret[PATH_MAX + 32];
  assert_int_equal(test_boot_env(&env, stand_in, sizeof stand_in), 0);
  const char *dirs[] = {t->allowed, NULL};
  env.image_dirs = dirs;
  snprintf(kernel, sizeof kernel, "%s/kernel", t->allowed);
  snprintf(initrd, sizeof initrd, "%s/initrd", t->allowed);
  snprintf(secret, sizeof secret, "%s/secret", t->outside);
  touch(initrd);
  struct ma_error err;
  int r;
  struct boot_spec *spec = parse(&env,
                                 json_pack("{s:s, s:s, s:s, s:[s]}", "arch", "i386", "profile",
                                           "minix-3.4", "kernel", kernel, "initrd", initrd),
                                 &err, &r);
  assert_int_equal(r, 0);
  assert_int_equal(bootspec_check_files(spec, dirs, &err), 0);
  assert_int_equal(unlink(initrd), 0); /* swapped for a symlink out of the image dirs */
  assert_int_equal(symlink(secret, initrd), 0);
  expect_refusal(bootspec_check_files(spec, dirs, &err), &err, EACCES, "path_not_allowed",
                 "initrd");
  assert_int_equal(unlink(initrd), 0); /* for a FIFO */
  assert_int_equal(mkfifo(initrd, 0600), 0);
  expect_refusal(bootspec_check_files(spec, dirs, &err), &err, EINVAL, "not_a_file", "initrd");
  unlink(initrd);
  touch(initrd);
  spec->cdrom = strdup(secret); /* an image's ISO is judged too */
  expect_refusal(bootspec_check_files(spec, dirs, &err), &err, EACCES, "path_not_allowed", "image");
  char real_kernel[PATH_MAX];
  assert_non_null(realpath(kernel, real_kernel));
  assert_true(bootspec_json_uses(spec->json, NULL, real_kernel));
  assert_true(bootspec_json_uses(spec->json, NULL, t->allowed));
  assert_false(bootspec_json_uses(spec->json, NULL, t->outside));
  bootspec_free(spec);
  profile_set_free((struct profile_set *)env.profiles);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(judges_real_paths, make_tree, remove_tree),
      cmocka_unit_test_setup_teardown(checks_files_without_opening_them, make_tree, remove_tree),
      cmocka_unit_test_setup_teardown(refuses_an_initrd_that_qemu_would_split, make_tree,
                                      remove_tree),
      cmocka_unit_test_setup_teardown(judges_files_again_at_launch, make_tree, remove_tree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
