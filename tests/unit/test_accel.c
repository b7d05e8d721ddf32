/* The KVM probe guests and the accelerator decision, for each kind of host
 * without needing one: no /dev/kvm, a KVM that runs every mode, and a nested
 * KVM that runs 32-bit guests but stops 64-bit ones after protected mode. */
#include <string.h>

#include "lib/accel.h"
#include "lib/probe_image.h"
#include "test_util.h"

static uint32_t get32(const uint8_t *p) {
  return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* QEMU loads a.out-kludge multiboot images by the addresses in their header: those must describe
 * the file. */
static void probe_images_are_flat_multiboot_kernels(void **state) {
  (void)state;
  for (int m = 0; m < PROBE_N_MODES; m++) {
    size_t len = 0;
    const uint8_t *img = probe_image((enum probe_mode)m, &len);
    if (!img) {
      printf("skipped: this build has no probe guests (built on a non-x86 host)\n");
      skip();
    }
    assert_int_equal(get32(img), 0x1BADB002u);
    assert_int_equal((uint32_t)(get32(img) + get32(img + 4) + get32(img + 8)), 0);
    assert_true(get32(img + 4) & 0x10000u);       /* addresses in the header */
    assert_int_equal(get32(img + 12), 0x100000u); /* header_addr: the file's start, at 1 MiB */
    assert_int_equal(get32(img + 16), 0x100000u); /* load_addr */
    assert_int_equal(get32(img + 20) - get32(img + 16), len); /* load_end_addr: the whole file */
    assert_true(get32(img + 24) > get32(img + 20)); /* bss_end_addr: tables and stack after it */
    assert_true(get32(img + 28) > 0x100000u &&
                get32(img + 28) < get32(img + 20)); /* entry inside */
  }
}

static char *failure(enum probe_mode m, const char *console, const struct probe_end *end) {
  struct probe_progress p;
  probe_progress_init(&p, m);
  /* A byte at a time: stages are lines, however the reads split them. */
  for (size_t i = 0; console[i]; i++)
    probe_progress_feed(&p, console + i, 1);
  assert_false(probe_progress_passed(&p));
  return probe_progress_failure(&p, end);
}

static void probe_progress_says_where_a_guest_stopped(void **state) {
  (void)state;
  struct probe_progress p;
  probe_progress_init(&p, PROBE_X86_64);
  const char *all = "pm\r\nlongmode\npaging64\nirq64\nok\n";
  probe_progress_feed(&p, all, 7);
  assert_false(probe_progress_passed(&p));
  probe_progress_feed(&p, all + 7, strlen(all) - 7);
  assert_true(probe_progress_passed(&p));
  char *stages = probe_progress_stages(&p);
  assert_string_equal(stages, "pm, longmode, paging64, irq64, ok");
  free(stages);

  struct probe_end timeout = {.started = true,
                              .timed_out = true,
                              .deadline_s = 5,
                              .exit_code = -1,
                              .detail = "",
                              .qemu_err = ""};
  struct {
    enum probe_mode mode;
    const char *console;
    struct probe_end end;
    const char *want;
  } cases[] = {
      {PROBE_X86_64, "pm\n", timeout,
       "stopped after \"pm\": no output after enabling long mode with paging, 5 s"},
      {PROBE_I386, "pm\n", timeout, "stopped after \"pm\": no output after enabling paging, 5 s"},
      {PROBE_I386, "", timeout, "printed nothing, 5 s"},
      {PROBE_X86_64, "pm\nlongmode\npaging64\n", timeout,
       "stopped after \"paging64\": no output after enabling timer interrupts in long mode, 5 s"},
      {PROBE_I386,
       "pm\npaging\nfault 0d\n",
       {.started = true, .exit_code = 1, .detail = "", .qemu_err = ""},
       "stopped after \"paging\": it printed \"fault 0d\" while enabling timer interrupts"},
      {PROBE_X86_64,
       "pm\n",
       {.started = true,
        .exit_code = 1,
        .detail = "",
        .qemu_err = "KVM internal error. Suberror: 1\nmore\n"},
       "stopped after \"pm\": QEMU exited with status 1 while enabling long mode with paging: "
       "KVM internal error. Suberror: 1"},
      {PROBE_X86_64,
       "",
       {.started = false,
        .exit_code = 1,
        .detail = "QEMU exited before the guest was started",
        .qemu_err = "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0\n"},
       "could not start: qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = failure(cases[i].mode, cases[i].console, &cases[i].end);
    if (strcmp(got, cases[i].want) != 0)
      fail_msg("case %zu: got '%s', wanted '%s'", i, got, cases[i].want);
    free(got);
  }
}

#define X64_STOPPED "stopped after \"pm\": no output after enabling long mode with paging, 5 s"

enum host_kind { NO_DEVICE, GOOD_KVM, HALF_KVM };

static void make_host(struct accel_host *h, enum host_kind kind) {
  accel_host_init(h);
  if (kind == NO_DEVICE) {
    accel_host_set_device(h, false, "cannot open /dev/kvm: No such file or directory");
    return;
  }
  accel_host_set_device(h, true, "/dev/kvm opens");
  accel_host_set_probe(h, PROBE_I386, ACCEL_PROBE_PASSED, "passed in 96 ms (pm, paging, irq, ok)",
                       96);
  if (kind == GOOD_KVM)
    accel_host_set_probe(h, PROBE_X86_64, ACCEL_PROBE_PASSED,
                         "passed in 101 ms (pm, longmode, paging64, irq64, ok)", 101);
  else
    accel_host_set_probe(h, PROBE_X86_64, ACCEL_PROBE_FAILED, X64_STOPPED, 5090);
}

/* One row of the decision table: host kind, arch, requested, trap_counts -> accel and note. */
static void expect(enum host_kind kind, const char *arch, const char *requested, bool traps,
                   const char *accel, const char *note) {
  struct accel_host h;
  make_host(&h, kind);
  char *got_note = NULL;
  const char *got = accel_choose(
      &h, arch, requested,
      traps ? "trap counts read QEMU's interrupt log, written only under TCG" : NULL, &got_note);
  if (strcmp(got, accel) != 0 || strcmp(got_note, note) != 0)
    fail_msg("host %d, %s, %s: got %s '%s', wanted %s '%s'", kind, arch, requested, got, got_note,
             accel, note);
  free(got_note);
  accel_host_clear(&h);
}

static void auto_uses_kvm_only_for_modes_whose_probe_passed(void **state) {
  (void)state;
  const char *no_dev = "auto: TCG because cannot open /dev/kvm: No such file or directory";
  expect(NO_DEVICE, "i386", "auto", false, "tcg", no_dev);
  expect(NO_DEVICE, "x86_64", "auto", false, "tcg", no_dev);
  expect(GOOD_KVM, "i386", "auto", false, "kvm",
         "auto: KVM because the KVM i386 probe passed in 96 ms (pm, paging, irq, ok)");
  expect(GOOD_KVM, "x86_64", "auto", false, "kvm",
         "auto: KVM because the KVM x86_64 probe passed in 101 ms (pm, longmode, paging64, irq64, "
         "ok)");
  expect(HALF_KVM, "i386", "auto", false, "kvm",
         "auto: KVM because the KVM i386 probe passed in 96 ms (pm, paging, irq, ok)");
  expect(HALF_KVM, "x86_64", "auto", false, "tcg",
         "auto: TCG because the KVM x86_64 probe " X64_STOPPED);
  /* Rules before probes: trap counts need TCG, KVM needs an x86 guest. */
  expect(GOOD_KVM, "x86_64", "auto", true, "tcg",
         "auto: TCG, because trap counts read QEMU's interrupt log, written only under TCG");
  expect(GOOD_KVM, "arm", "auto", false, "tcg",
         "auto: TCG because KVM needs a guest of the host's arch");
  /* Asked for: honoured, the probe named; a failed one warned about. */
  expect(HALF_KVM, "i386", "tcg", false, "tcg", "requested");
  expect(GOOD_KVM, "x86_64", "kvm", false, "kvm",
         "requested; the KVM x86_64 probe passed in 101 ms (pm, longmode, paging64, irq64, ok)");
  expect(HALF_KVM, "x86_64", "kvm", false, "kvm",
         "requested, although the KVM x86_64 probe " X64_STOPPED
         " (a console silent for accel_stall_s ends the run as accel_stalled)");
}

static void kvm_is_refused_only_when_it_cannot_start(void **state) {
  (void)state;
  struct accel_host h;
  make_host(&h, NO_DEVICE);
  char *why = accel_refusal(&h, "x86_64");
  assert_string_equal(why, "cannot open /dev/kvm: No such file or directory");
  free(why);
  accel_host_clear(&h);
  make_host(&h, HALF_KVM);
  assert_null(accel_refusal(&h, "x86_64")); /* runs; the stall watch ends it if KVM hangs it */
  why = accel_refusal(&h, "arm");
  assert_string_equal(why, "guest arch differs from the host");
  free(why);
  accel_host_clear(&h);
}

static void health_reports_each_mode(void **state) {
  (void)state;
  struct {
    enum host_kind kind;
    bool usable, i386, x86_64;
    const char *reason;
  } rows[] = {
      {NO_DEVICE, false, false, false, "cannot open /dev/kvm: No such file or directory"},
      {GOOD_KVM, true, true, true, "KVM passed the i386 and x86_64 probes"},
      {HALF_KVM, false, true, false,
       "KVM passed the i386 probe only: the KVM x86_64 probe " X64_STOPPED},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    struct accel_host h;
    make_host(&h, rows[i].kind);
    json_t *j = accel_host_json(&h);
    assert_int_equal(json_is_true(json_object_get(j, "usable")), rows[i].usable);
    assert_string_equal(json_string_value(json_object_get(j, "reason")), rows[i].reason);
    json_t *modes = json_object_get(j, "modes");
    assert_int_equal(json_is_true(json_object_get(json_object_get(modes, "i386"), "usable")),
                     rows[i].i386);
    assert_int_equal(json_is_true(json_object_get(json_object_get(modes, "x86_64"), "usable")),
                     rows[i].x86_64);
    json_t *x64 = json_object_get(modes, "x86_64");
    if (rows[i].kind == HALF_KVM) {
      assert_string_equal(json_string_value(json_object_get(x64, "reason")),
                          "the KVM x86_64 probe " X64_STOPPED);
      assert_int_equal(json_integer_value(json_object_get(x64, "probe_ms")), 5090);
    }
    if (rows[i].kind == NO_DEVICE)
      assert_true(json_is_null(json_object_get(x64, "probe_ms")));
    json_decref(j);
    accel_host_clear(&h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(probe_images_are_flat_multiboot_kernels),
      cmocka_unit_test(probe_progress_says_where_a_guest_stopped),
      cmocka_unit_test(auto_uses_kvm_only_for_modes_whose_probe_passed),
      cmocka_unit_test(kvm_is_refused_only_when_it_cannot_start),
      cmocka_unit_test(health_reports_each_mode),
  };
  return cmocka_run_group_tests_name("accel", tests, NULL, NULL);
}
