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

/* Built-in profiles, QEMU from /usr/bin (the daemon's default --qemu-dir), no KVM device, and a
 * readable file standing in for a kernel. */
static inline int test_boot_env(struct bootspec_env *env, char *kernel, size_t size) {
  static struct qemu_bins qemu;
  static struct accel_host kvm;
  char *err = NULL;
  env->profiles = profile_set_new(&err);
  qemu_bins_clear(&qemu);
  qemu_bins_resolve(&qemu, "/usr/bin");
  accel_host_clear(&kvm);
  accel_host_set_device(&kvm, false, "cannot open /dev/kvm: No such file or directory");
  env->qemu = &qemu;
  env->kvm = &kvm;
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
