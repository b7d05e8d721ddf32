/* The launch plan: file names, accelerator, supervisor limits and QEMU's argv, from the spec and
 * the host. */
#include <string.h>

#include "lib/launch_plan.h"
#include "test_util.h"

static int index_of(const struct qemu_cmd *c, const char *arg) {
  for (size_t i = 0; i < c->argc; i++)
    if (strcmp(c->argv[i], arg) == 0)
      return (int)i;
  return -1;
}

static const char *after(const struct qemu_cmd *c, const char *flag) {
  int i = index_of(c, flag);
  assert_true(i >= 0 && (size_t)i + 1 < c->argc);
  return c->argv[i + 1];
}

/* A host whose KVM device opens and whose i386 probe passed, x86_64's failed. */
static void kvm_host(struct accel_host *h) {
  accel_host_init(h);
  accel_host_set_device(h, true, "/dev/kvm");
  accel_host_set_probe(h, PROBE_I386, ACCEL_PROBE_PASSED, "passed in 96 ms", 96);
  accel_host_set_probe(h, PROBE_X86_64, ACCEL_PROBE_FAILED, "stopped after \"pm\"", 120);
}

static void paths_by_spec(void **state) {
  (void)state;
  struct {
    struct boot_spec spec;
    bool overlay, fifo;
  } rows[] = {
      {{.arch = (char *)"i386", .kernel = (char *)"/k"}, false, false},
      {{.arch = (char *)"i386", .kernel = (char *)"/k", .disk = (char *)"/d.qcow2"}, true, false},
      {{.arch = (char *)"x86_64", .disk = (char *)"/d.qcow2", .disk_direct = true},
       false,
       false}, /* an install */
      {{.arch = (char *)"i386", .kernel = (char *)"/k", .trap_counts = true}, false, true},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    struct launch_paths p;
    assert_int_equal(launch_paths_init(&p, "/var/lib/ma", "r1", &rows[i].spec), 0);
    assert_string_equal(p.serial_log, "/var/lib/ma/runs/r1.serial");
    assert_string_equal(p.qmp, "/var/lib/ma/sock/r1.qmp");
    assert_string_equal(p.serial, "/var/lib/ma/sock/r1.ser");
    assert_string_equal(p.gdb, "/var/lib/ma/sock/r1.gdb");
    if (rows[i].overlay)
      assert_string_equal(p.overlay, "/var/lib/ma/overlays/r1.qcow2");
    else
      assert_null(p.overlay);
    if (rows[i].fifo)
      assert_string_equal(p.int_fifo, "/var/lib/ma/sock/r1.int");
    else
      assert_null(p.int_fifo);
    launch_paths_clear(&p);
    assert_null(p.qmp);
  }
  launch_paths_clear(NULL);
}

struct plan_row {
  const char *name;
  struct boot_spec spec;
  const char *accel, *note_prefix;
  unsigned timeout_ms, silence_ms, stall_ms, sample_ms;
  bool info_mem, gdb;
};

static const struct plan_row plan_rows[] = {
    {"auto i386: probe passed",
     {.arch = (char *)"i386", .accel = (char *)"auto", .timeout_s = 120, .accel_stall_s = 30},
     "kvm",
     "auto: KVM because",
     120000,
     0,
     30000,
     0,
     false,
     false},
    {"auto x86_64: probe failed",
     {.arch = (char *)"x86_64", .accel = (char *)"auto", .timeout_s = 60, .accel_stall_s = 30},
     "tcg",
     "auto: TCG because",
     60000,
     0,
     0,
     0,
     false,
     false},
    {"auto arm",
     {.arch = (char *)"aarch64", .accel = (char *)"auto", .timeout_s = 10},
     "tcg",
     "auto: TCG because KVM needs a guest of the host's arch",
     10000,
     0,
     0,
     0,
     false,
     false},
    {"trap counts",
     {.arch = (char *)"i386", .accel = (char *)"auto", .timeout_s = 10, .trap_counts = true},
     "tcg",
     "auto: TCG, because trap counts",
     10000,
     0,
     0,
     0,
     false,
     false},
    {"requested tcg",
     {.arch = (char *)"i386", .accel = (char *)"tcg", .timeout_s = 10},
     "tcg",
     "requested",
     10000,
     0,
     0,
     0,
     false,
     false},
    {"requested kvm whose probe failed",
     {.arch = (char *)"x86_64", .accel = (char *)"kvm", .timeout_s = 10, .accel_stall_s = 20},
     "kvm",
     "requested",
     10000,
     0,
     20000,
     0,
     false,
     false},
    {"monitoring: the duration is the deadline",
     {.arch = (char *)"i386",
      .accel = (char *)"tcg",
      .timeout_s = 120,
      .duration_s = 15,
      .silence_timeout_s = 5},
     "tcg",
     "requested",
     15000,
     5000,
     0,
     0,
     false,
     false},
    {"samples under TCG on x86: info mem",
     {.arch = (char *)"x86_64", .accel = (char *)"tcg", .timeout_s = 10, .memory_sample_ms = 250},
     "tcg",
     "requested",
     10000,
     0,
     0,
     250,
     true,
     false},
    {"samples under KVM: no info mem",
     {.arch = (char *)"i386", .accel = (char *)"kvm", .timeout_s = 10, .memory_sample_ms = 250},
     "kvm",
     "requested",
     10000,
     0,
     0,
     250,
     false,
     false},
    {"samples on ARM: no info mem",
     {.arch = (char *)"arm", .accel = (char *)"tcg", .timeout_s = 10, .memory_sample_ms = 100},
     "tcg",
     "requested",
     10000,
     0,
     0,
     100,
     false,
     false},
    {"breakpoints: the gdbstub",
     {.arch = (char *)"i386", .accel = (char *)"tcg", .timeout_s = 10, .symbols = true},
     "tcg",
     "requested",
     10000,
     0,
     0,
     0,
     false,
     true},
};

static void plans(void **state) {
  (void)state;
  struct accel_host host;
  kvm_host(&host);
  for (size_t i = 0; i < sizeof plan_rows / sizeof plan_rows[0]; i++) {
    const struct plan_row *w = &plan_rows[i];
    struct launch_paths paths;
    struct launch_plan p;
    assert_int_equal(launch_paths_init(&paths, "/s", "r2", &w->spec), 0);
    assert_int_equal(launch_plan_init(&p, &w->spec, &host, &paths), 0);
    if (strcmp(p.accel, w->accel) != 0 || !p.accel_note ||
        strncmp(p.accel_note, w->note_prefix, strlen(w->note_prefix)) != 0)
      fail_msg("%s: accel %s (%s), want %s (%s...)", w->name, p.accel, p.accel_note, w->accel,
               w->note_prefix);
    if (p.timeout_ms != w->timeout_ms || p.silence_ms != w->silence_ms ||
        p.stall_ms != w->stall_ms || p.sample_ms != w->sample_ms || p.info_mem != w->info_mem)
      fail_msg("%s: limits %u %u %u %u %d", w->name, p.timeout_ms, p.silence_ms, p.stall_ms,
               p.sample_ms, p.info_mem);
    if (w->gdb)
      assert_string_equal(p.gdb_path, "/s/sock/r2.gdb");
    else
      assert_null(p.gdb_path);
    launch_plan_clear(&p);
    launch_paths_clear(&paths);
  }
  accel_host_clear(&host);
  launch_plan_clear(NULL);
}

/* The argv names the run's sockets, overlay and FIFO; the spec is left as the request made it. */
static void argv_carries_the_plan(void **state) {
  (void)state;
  struct accel_host host;
  kvm_host(&host);
  struct boot_spec s = {.arch = (char *)"i386",
                        .cpus = 2,
                        .memory_mb = 256,
                        .kernel = (char *)"/k",
                        .disk = (char *)"/d/a.qcow2",
                        .accel = (char *)"tcg",
                        .timeout_s = 10,
                        .trap_counts = true,
                        .symbols = true};
  struct launch_paths paths;
  struct launch_plan p;
  assert_int_equal(launch_paths_init(&paths, "/s", "r3", &s), 0);
  assert_int_equal(launch_plan_init(&p, &s, &host, &paths), 0);
  assert_int_equal(launch_plan_argv(&p, &s, &paths), 0);
  assert_int_equal(index_of(&p.cmd, "-S") > 0, 1);
  assert_string_equal(after(&p.cmd, "-accel"), "tcg");
  assert_string_equal(after(&p.cmd, "-qmp"), "unix:/s/sock/r3.qmp,server=on,wait=off");
  assert_string_equal(after(&p.cmd, "-drive"),
                      "file=/s/overlays/r3.qcow2,format=qcow2,if=ide,index=0,media=disk");
  assert_string_equal(after(&p.cmd, "-D"), "/s/sock/r3.int");
  assert_string_equal(after(&p.cmd, "-gdb"), "chardev:gdb0");
  assert_null(s.overlay);
  assert_null(s.int_log);
  /* Built twice (a retry), the old vector is freed, not leaked. */
  assert_int_equal(launch_plan_argv(&p, &s, &paths), 0);
  assert_string_equal(after(&p.cmd, "-accel"), "tcg");
  launch_plan_clear(&p);
  launch_paths_clear(&paths);
  /* No emulator for the arch: the argv is refused. */
  struct boot_spec bad = {.arch = (char *)"mips", .accel = (char *)"tcg", .kernel = (char *)"/k"};
  assert_int_equal(launch_paths_init(&paths, "/s", "r4", &bad), 0);
  assert_int_equal(launch_plan_init(&p, &bad, &host, &paths), 0);
  assert_true(launch_plan_argv(&p, &bad, &paths) < 0);
  launch_plan_clear(&p);
  launch_paths_clear(&paths);
  accel_host_clear(&host);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(paths_by_spec),
      cmocka_unit_test(plans),
      cmocka_unit_test(argv_carries_the_plan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
