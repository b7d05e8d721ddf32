/* lib/run_import: a run object measured on another node, brought back into a run of ours. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>

#include "lib/host_facts.h"
#include "lib/run_import.h"
#include "lib/util.h"

static void finished_run(struct run *r) {
  run_init(r);
  strcpy(r->id, "00112233aabbccdd");
  run_set_str(&r->status, "failed");
  run_set_str(&r->arch, "i386");
  r->cpus = 2;
  r->memory_mb = 256;
  run_set_str(&r->accel, "tcg");
  run_set_str(&r->accel_requested, "auto");
  run_set_str(&r->accel_note, "auto: TCG because cannot open /dev/kvm");
  run_set_str(&r->profile, "minix-3.4");
  r->created_us = 1796038240123456;
  r->started_us = 1796038240223456;
  r->finished_us = 1796038241000001;
  r->qemu_start_us = 104055;
  r->boot_time_us = RUN_NULL;
  r->guest_cpus_online = 1;
  run_set_str(&r->error_code, "guest_failure");
  run_set_str(&r->error_message, "kernel panic");
  r->exit_code = RUN_NULL;
  r->exit_signal = 9;
  r->serial_bytes = 683;
  r->missing = json_pack("[s]", "shell_prompt");
  run_add_marker(r, "kernel_starts", 74349, "serial", "MINIX 3.4.0.");
  run_add_marker(r, "kmain_phase", 80000, "symbol", NULL);
}

static void round_trip(void **state) {
  (void)state;
  struct run there, here;
  finished_run(&there);
  json_t *j = run_to_json(&there, NULL);
  run_init(&here);
  strcpy(here.id, "ffeeddccbbaa9988");
  run_set_str(&here.status, "queued");
  const char *why = NULL;
  assert_int_equal(run_import_json(&here, j, &why), 0);
  assert_null(why);
  assert_string_equal(here.id, "ffeeddccbbaa9988"); /* identity stays ours */
  assert_string_equal(here.status, "failed");
  assert_string_equal(here.accel, "tcg");
  assert_string_equal(here.accel_note, there.accel_note);
  assert_int_equal(here.started_us, there.started_us);
  assert_int_equal(here.finished_us, there.finished_us);
  assert_int_equal(here.qemu_start_us, 104055);
  assert_int_equal(here.boot_time_us, RUN_NULL);
  assert_int_equal(here.guest_cpus_online, 1);
  assert_string_equal(here.error_code, "guest_failure");
  assert_string_equal(here.error_message, "kernel panic");
  assert_int_equal(here.exit_code, RUN_NULL);
  assert_int_equal(here.exit_signal, 9);
  assert_int_equal(here.serial_bytes, 683);
  assert_int_equal(here.n_markers, 2);
  assert_string_equal(here.markers[0].name, "kernel_starts");
  assert_int_equal(here.markers[0].t_us, 74349);
  assert_string_equal(here.markers[1].source, "symbol");
  assert_null(here.markers[1].text);
  assert_true(json_equal(here.missing, there.missing));
  json_decref(j);
  run_clear(&there);
  run_clear(&here);
}

static void malformed_results_change_nothing(void **state) {
  (void)state;
  struct run there;
  finished_run(&there);
  static const struct {
    const char *key, *json, *why;
  } cases[] = {
      {"status", "\"running\"", "status is not a final one"},
      {"started_at", "\"yesterday\"", "started_at"},
      {"boot_time_ms", "\"fast\"", "boot_time_ms"},
      {"markers", "[{\"name\":\"x\",\"t_ms\":null,\"source\":\"serial\"}]", "markers"},
      {"missing_markers", "{}", "missing_markers"},
      {"error", "{\"code\":7}", "error"},
      {"exit", "{\"code\":\"x\",\"signal\":null}", "exit"},
      {"serial_bytes", "1.5", "serial_bytes"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *j = run_to_json(&there, NULL);
    json_object_set_new(j, cases[i].key, json_loads(cases[i].json, JSON_DECODE_ANY, NULL));
    struct run here;
    run_init(&here);
    run_set_str(&here.status, "queued");
    const char *why = NULL;
    assert_int_equal(run_import_json(&here, j, &why), -EINVAL);
    assert_string_equal(why, cases[i].why);
    assert_string_equal(here.status, "queued");
    assert_int_equal(here.n_markers, 0);
    run_clear(&here);
    json_decref(j);
  }
  const char *why;
  struct run here;
  run_init(&here);
  json_t *not_object = json_string("x");
  assert_int_equal(run_import_json(&here, not_object, &why), -EINVAL);
  json_decref(not_object);
  run_clear(&here);
  run_clear(&there);
}

static void rfc3339_round_trip(void **state) {
  (void)state;
  char buf[40];
  int64_t back;
  util_rfc3339(1796038240123456, buf, sizeof buf);
  assert_int_equal(util_parse_rfc3339(buf, &back), 0);
  assert_int_equal(back, 1796038240123456);
  assert_int_equal(util_parse_rfc3339("2026-11-30T11:02:27Z", &back), -EINVAL);
  assert_int_equal(util_parse_rfc3339("2026-11-30T11:02:27.953115Zjunk", &back), -EINVAL);
  assert_int_equal(util_parse_rfc3339(NULL, &back), -EINVAL);
}

static void host_facts_name_the_cpu(void **state) {
  (void)state;
  char path[] = "/tmp/ma-cpuinfo-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  static const char text[] = "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
                             "model name\t: AMD EPYC 7B13 64-Core Processor\nflags\t: fpu\n";
  assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
  close(fd);
  json_t *j = host_facts_json(path, "QEMU emulator version 7.2.22");
  assert_string_equal(json_string_value(json_object_get(j, "cpu_model")),
                      "AMD EPYC 7B13 64-Core Processor");
  assert_string_equal(json_string_value(json_object_get(j, "qemu_version")),
                      "QEMU emulator version 7.2.22");
  assert_true(strlen(json_string_value(json_object_get(j, "name"))) > 0);
  json_decref(j);
  unlink(path);
  j = host_facts_json("/nonexistent/cpuinfo", NULL);
  assert_string_equal(json_string_value(json_object_get(j, "cpu_model")), "unknown");
  assert_string_equal(json_string_value(json_object_get(j, "qemu_version")), "unknown");
  json_decref(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(malformed_results_change_nothing),
      cmocka_unit_test(rfc3339_round_trip),
      cmocka_unit_test(host_facts_name_the_cpu),
  };
  return cmocka_run_group_tests_name("run_import", tests, NULL, NULL);
}
