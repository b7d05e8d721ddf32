/* libFuzzer: the boot request validator (REST, MCP and CLI share it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/bootspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct bootspec_env env;
  if (!env.profiles) {
    char *err = NULL;
    env.profiles = profile_set_new(&err);
    env.kvm_reason = "fuzzing";
    free(err);
  }
  struct boot_spec *spec = NULL;
  struct ma_error err;
  if (bootspec_parse((const char *)data, size, &env, &spec, &err) == 0)
    bootspec_free(spec);
  return 0;
}
