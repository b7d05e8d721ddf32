/* Boot request validation: every user-facing 400 and the defaults. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/bootspec.h"
#include "test_util.h"

static struct bootspec_env env;
static char kernel[128];

static int setup(void **state) {
  (void)state;
  return test_boot_env(&env, kernel, sizeof kernel);
}

static int teardown(void **state) {
  (void)state;
  profile_set_free((struct profile_set *)env.profiles);
  return 0;
}

static void expect_error(const char *body, const char *code, const char *field) {
  struct boot_spec *spec = NULL;
  struct ma_error err;
  char *full = strstr(body, "KERNEL") ? NULL : strdup(body);
  if (!full) { /* substitute a readable file for KERNEL */
    const char *at = strstr(body, "KERNEL");
    full = util_strdupf("%.*s%s%s", (int)(at - body), body, kernel, at + 6);
  }
  int r = bootspec_parse(full, strlen(full), &env, &spec, &err);
  if (r != -22 || strcmp(err.code, code) != 0 || strcmp(err.field, field) != 0)
    fail_msg("%s: got %d %s/%s (%s), wanted %s/%s", full, r, r ? err.code : "-",
             r ? err.field : "-", r ? err.message : "", code, field);
  assert_int_equal(err.errnum, EINVAL);
  assert_null(spec);
  free(full);
}

static void rejects_bad_requests(void **state) {
  (void)state;
  expect_error("{bad", "invalid_json", "");
  expect_error("[1]", "invalid_body", "");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"colour\":1}", "unknown_field",
               "colour");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"cpus\":0}", "out_of_range", "cpus");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"cpus\":65}", "out_of_range", "cpus");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"cpus\":\"2\"}", "wrong_type",
               "cpus");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"memory_mb\":8}", "out_of_range",
               "memory_mb");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"timeout_s\":86401}", "out_of_range",
               "timeout_s");
  expect_error("{\"kernel\":\"/nonexistent/vmlinuz\",\"profile\":\"linux\"}", "file_not_found",
               "kernel");
  expect_error("{\"kernel\":\"relative/vmlinuz\",\"profile\":\"linux\"}", "path_not_absolute",
               "kernel");
  expect_error("{\"kernel\":\"/tmp\",\"profile\":\"linux\"}", "not_a_file", "kernel");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"beos\"}", "unknown_profile", "profile");
  expect_error("{\"kernel\":\"KERNEL\"}", "missing_field", "profile");
  expect_error("{\"profile\":\"linux\"}", "missing_field", "kernel");
  expect_error("{\"kernel\":\"KERNEL\",\"iso\":\"KERNEL\",\"profile\":\"linux\"}",
               "conflicting_fields", "image");
  expect_error("{\"iso\":\"KERNEL\",\"append\":\"x\",\"profile\":\"linux\"}", "conflicting_fields",
               "append");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"until\":\"([\"}", "invalid_regex",
               "until");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"arch\":\"sparc\"}", "invalid_value",
               "arch");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"accel\":\"hvf\"}", "invalid_value",
               "accel");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"accel\":\"kvm\"}",
               "accel_unavailable", "accel");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"initrd\":\"/x\"}", "wrong_type",
               "initrd");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"initrd\":[\"/a,b\"]}",
               "invalid_path", "initrd");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"initrd\":[\"/a b\"]}",
               "invalid_path", "initrd");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"kernel\":\"KERNEL\"}",
               "invalid_json", "");
  expect_error("{\"image\":\"abc\",\"profile\":\"linux\"}", "unknown_image", "image");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"accel_stall_s\":0}", "out_of_range",
               "accel_stall_s");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"accel_stall_s\":3601}",
               "out_of_range", "accel_stall_s");
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\",\"accel_stall_s\":\"20\"}",
               "wrong_type", "accel_stall_s");
}

/* QEMU comes from --qemu-dir only: an emulator missing there is refused, whatever $PATH holds. */
static void takes_qemu_from_its_directory(void **state) {
  (void)state;
  char dir[] = "/tmp/ma-qemu-XXXXXX";
  assert_non_null(mkdtemp(dir));
  struct qemu_bins empty;
  assert_int_equal(qemu_bins_resolve(&empty, dir), 0);
  const struct qemu_bins *usual = env.qemu;
  env.qemu = &empty;
  expect_error("{\"kernel\":\"KERNEL\",\"profile\":\"linux\"}", "qemu_not_found", "arch");
  env.qemu = usual;
  qemu_bins_clear(&empty);
  rmdir(dir);
  if (!usual->path[QEMU_X86_64]) {
    printf("skipped the rest: no qemu-system-x86_64 in /usr/bin\n");
    skip();
  }
  char *body = util_strdupf("{\"kernel\":\"%s\",\"profile\":\"linux\"}", kernel);
  struct boot_spec *spec;
  struct ma_error err;
  assert_int_equal(bootspec_parse(body, strlen(body), &env, &spec, &err), 0);
  assert_string_equal(spec->qemu, "/usr/bin/qemu-system-x86_64");
  bootspec_free(spec);
  free(body);
}

static void applies_defaults(void **state) {
  (void)state;
  char *body = util_strdupf("{\"kernel\":\"%s\",\"profile\":\"minix-3.4\",\"initrd\":[\"%s\"]}",
                            kernel, kernel);
  struct boot_spec *spec;
  struct ma_error err;
  assert_int_equal(bootspec_parse(body, strlen(body), &env, &spec, &err), 0);
  assert_string_equal(spec->arch, "x86_64");
  assert_int_equal(spec->cpus, 1);
  assert_int_equal(spec->memory_mb, 256);
  assert_int_equal(spec->timeout_s, 120);
  assert_string_equal(spec->accel, "auto");
  assert_int_equal(spec->accel_stall_s, 20);
  assert_int_equal(json_integer_value(json_object_get(spec->json, "accel_stall_s")), 20);
  assert_int_equal(spec->n_initrd, 1);
  assert_int_equal(json_integer_value(json_object_get(spec->json, "cpus")), 1);
  bootspec_free(spec);
  free(body);
}

/* The virtual clock: what it cannot serve is a 400 naming the field; what it takes is kept. */
static void the_virtual_clock(void **state) {
  (void)state;
  const char *k = "{\"kernel\":\"KERNEL\",\"profile\":\"minix-3.4\"";
  char *body[8];
  const char *extra[] = {",\"clock\":\"virtual\"}",
                         ",\"clock\":\"virtual\",\"accel\":\"kvm\"}",
                         ",\"clock\":\"virtual\",\"arch\":\"arm\"}",
                         ",\"clock\":\"wall\"}",
                         ",\"icount_shift\":2}",
                         ",\"clock\":\"virtual\",\"icount_shift\":11}",
                         ",\"clock\":[]}"};
  for (size_t i = 0; i < 7; i++)
    body[i] = util_strdupf("%s%s", k, extra[i]);
  expect_error(body[0], "virtual_clock_unavailable", "clock"); /* no plugin in this env */
  env.vclock_plugin = "/opt/ma/minix-analysis-vclock.so";
  expect_error(body[1], "conflicting_fields", "accel"); /* whatever KVM the host has */
  expect_error(body[2], "invalid_value", "arch");
  expect_error(body[3], "invalid_value", "clock");
  expect_error(body[4], "conflicting_fields", "icount_shift");
  expect_error(body[5], "out_of_range", "icount_shift");
  expect_error(body[6], "wrong_type", "clock");
  char *ok =
      util_strdupf("{\"kernel\":\"%s\",\"profile\":\"minix-3.4\",\"clock\":\"virtual\"}", kernel);
  struct boot_spec *spec;
  struct ma_error err;
  assert_int_equal(bootspec_parse(ok, strlen(ok), &env, &spec, &err), 0);
  assert_true(bootspec_virtual_clock(spec));
  assert_int_equal(spec->icount_shift, BOOTSPEC_ICOUNT_SHIFT_DEFAULT);
  assert_string_equal(spec->vclock_plugin, "/opt/ma/minix-analysis-vclock.so");
  assert_string_equal(json_string_value(json_object_get(spec->json, "clock")), "virtual");
  assert_int_equal(json_integer_value(json_object_get(spec->json, "icount_shift")), 4);
  bootspec_free(spec);
  free(ok);
  /* The host clock (the default) leaves no trace in the stored request. */
  ok = util_strdupf("{\"kernel\":\"%s\",\"profile\":\"minix-3.4\"}", kernel);
  assert_int_equal(bootspec_parse(ok, strlen(ok), &env, &spec, &err), 0);
  assert_false(bootspec_virtual_clock(spec));
  assert_null(json_object_get(spec->json, "clock"));
  assert_null(spec->vclock_plugin);
  bootspec_free(spec);
  free(ok);
  env.vclock_plugin = NULL;
  for (size_t i = 0; i < 7; i++)
    free(body[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rejects_bad_requests), cmocka_unit_test(the_virtual_clock),
      cmocka_unit_test(applies_defaults), cmocka_unit_test(takes_qemu_from_its_directory)};
  return cmocka_run_group_tests_name("bootspec", tests, setup, teardown);
}
