/* libFuzzer: the boot request validator (REST, MCP and CLI share it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/bootspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct bootspec_env env;
  static struct qemu_bins qemu;
  static struct accel_host kvm;
  if (!env.profiles) {
    char *err = NULL;
    env.profiles = profile_set_new(&err);
    qemu_bins_resolve(&qemu,
                      "/usr/bin"); /* past the installed check, into the rest of validation */
    accel_host_init(&kvm);
    accel_host_set_device(&kvm, false, "fuzzing");
    env.qemu = &qemu;
    env.kvm = &kvm;
    free(err);
  }
  struct boot_spec *spec = NULL;
  struct ma_error err;
  if (bootspec_parse((const char *)data, size, &env, &spec, &err) == 0)
    bootspec_free(spec);
  return 0;
}
