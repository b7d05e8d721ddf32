/* The daemon's --image-dir policy on a real directory tree: symlinks, "..", missing files. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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
  snprintf(p, sizeof p, "%s/not-yet", t->allowed); /* missing, inside: the caller says "not found" */
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

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test_setup_teardown(judges_real_paths, make_tree, remove_tree)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
