/* Helpers shared by the unit tests. */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <stdio.h>

#include "lib/bootspec.h"
#include "lib/util.h"

/* Built-in profiles, no usable KVM, and a readable file standing in for a kernel. */
static inline int test_boot_env(struct bootspec_env *env, char *kernel, size_t size) {
  char *err = NULL;
  env->profiles = profile_set_new(&err);
  env->kvm_usable = false;
  env->kvm_reason = "probe failed";
  snprintf(kernel, size, "%s/tests/data/minix-3.4-synthetic.serial", getenv("MA_SOURCE_ROOT"));
  free(err);
  return env->profiles ? 0 : -1;
}

/* Reads tests/data/NAME (MA_SOURCE_ROOT is set by meson). */
static inline char *test_read_data(const char *name, size_t *len) {
  const char *root = getenv("MA_SOURCE_ROOT");
  char *path = util_strdupf("%s/tests/data/%s", root ? root : ".", name);
  char *text = util_read_file(path, len);
  free(path);
  assert_non_null(text);
  return text;
}
