/* The outcome decision: every row of lib/run_outcome.h's table, the verdicts, and the runs that end
 * before QEMU starts; the codes are the ones tests/integration asserts. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "lib/run_outcome.h"
#include "test_util.h"

struct row {
  const char *name;
  struct run_facts facts;
  const char *status, *code, *message; /* code NULL: no error */
};

static const struct run_verdict won = {"succeeded", NULL, NULL};
static const struct run_verdict panicked = {"failed", (char *)"guest_failure",
                                            (char *)"failure pattern panic matched"};
static const struct run_verdict no_copy = {"failed", NULL,
                                           NULL}; /* a failure whose code could not be copied */
static const struct run_verdict undecided = {NULL, NULL, NULL};

#define END(r, code, sig, k, d, e)                                                                 \
  .reason = (r), .exit_code = (code), .term_signal = (sig), .killed = (k), .detail = (d),          \
  .qemu_err = (e)

static const struct row rows[] = {
    {"terminal marker",
     {.verdict = &won, END(RUN_END_STOPPED, 0, 0, false, "", "")},
     "succeeded",
     NULL,
     NULL},
    {"failure pattern",
     {.verdict = &panicked, END(RUN_END_STOPPED, 0, 0, false, "", "")},
     "failed",
     "guest_failure",
     "failure pattern panic matched"},
    {"verdict before a cancel",
     {.verdict = &won, .cancelled = true, END(RUN_END_STOPPED, -1, SIGKILL, true, "", "")},
     "succeeded",
     NULL,
     NULL},
    {"verdict without its code",
     {.verdict = &no_copy, END(RUN_END_EXITED, 0, 0, false, "", "")},
     "failed",
     NULL,
     NULL},
    {"cancel",
     {.verdict = &undecided, .cancelled = true, END(RUN_END_STOPPED, -1, SIGKILL, true, "", "")},
     "cancelled",
     "cancelled",
     "cancelled on request; QEMU was killed"},
    {"daemon stopping",
     {.cancelled = true, .daemon_stopping = true, END(RUN_END_STOPPED, -1, SIGKILL, true, "", "")},
     "cancelled",
     "daemon_stopping",
     "the daemon stopped; QEMU was killed"},
    {"stopping without a cancel",
     {.daemon_stopping = true, END(RUN_END_EXITED, 0, 0, false, "", "")},
     "failed",
     "qemu_exited",
     "QEMU exited with status 0 before the terminal marker"},
    {"monitoring's deadline",
     {.monitoring = true, END(RUN_END_TIMEOUT, -1, SIGKILL, true, "deadline", "")},
     "succeeded",
     NULL,
     NULL},
    {"monitoring, QEMU exits",
     {.monitoring = true, END(RUN_END_EXITED, 0, 0, false, "", "")},
     "failed",
     "qemu_exited",
     "QEMU exited with status 0 before the terminal marker"},
    {"timeout",
     {END(RUN_END_TIMEOUT, -1, SIGKILL, true, "no terminal marker within 5 s", "")},
     "timeout",
     "boot_timeout",
     "no terminal marker within 5 s"},
    {"silence",
     {END(RUN_END_SILENT, -1, SIGKILL, true, "the console was silent for 3 s", "")},
     "timeout",
     "guest_silent",
     "the console was silent for 3 s"},
    {"QMP protocol error",
     {END(RUN_END_PROTOCOL_ERROR, -1, SIGKILL, true, "a QMP message over 1 MiB", "")},
     "failed",
     "qmp_protocol_error",
     "a QMP message over 1 MiB"},
    {"KVM stall",
     {.accel_stall_s = 30, END(RUN_END_STALLED, -1, SIGKILL, true, "", "")},
     "failed",
     "accel_stalled",
     "the guest printed nothing on its console for 30 s under KVM (accel_stall_s) before its "
     "terminal marker; KVM "
     "may be hanging it (a nested KVM can): boot it with \"accel\": \"tcg\""},
    {"spawn failed",
     {END(RUN_END_SPAWN_FAILED, -1, 0, false, "cannot start /q: no such file or directory", "")},
     "failed",
     "qemu_start_failed",
     "cannot start /q: no such file or directory"},
    {"start failed, QEMU said why",
     {END(RUN_END_START_FAILED, 1, 0, false, "QEMU exited before t0",
          "qemu: could not load kernel")},
     "failed",
     "qemu_start_failed",
     "QEMU exited before t0: qemu: could not load kernel"},
    {"start failed, NULL stderr",
     {END(RUN_END_START_FAILED, 1, 0, false, "QEMU exited before t0", NULL)},
     "failed",
     "qemu_start_failed",
     "QEMU exited before t0"},
    {"start failed, our kill",
     {END(RUN_END_START_FAILED, -1, SIGKILL, true, "no QMP greeting", "")},
     "failed",
     "qemu_start_failed",
     "no QMP greeting"},
    {"start failed, killed from outside",
     {END(RUN_END_START_FAILED, -1, SIGKILL, false, "QEMU died", "")},
     "failed",
     "qemu_crashed",
     "QEMU was killed by signal 9 (Killed) before the terminal marker"},
    {"crash after t0",
     {END(RUN_END_EXITED, -1, SIGSEGV, false, "", "")},
     "failed",
     "qemu_crashed",
     "QEMU was killed by signal 11 (Segmentation fault) before the terminal marker"},
    {"QEMU exits with an error",
     {END(RUN_END_EXITED, 1, 0, false, "", "qemu: fatal: bad ram")},
     "failed",
     "qemu_exited",
     "QEMU exited with status 1 before the terminal marker: qemu: fatal: bad ram"},
    /* -no-reboot: a guest that resets or powers off makes QEMU exit 0 before the terminal marker.
     */
    {"guest reset or power-off",
     {END(RUN_END_EXITED, 0, 0, false, "", "")},
     "failed",
     "qemu_exited",
     "QEMU exited with status 0 before the terminal marker"},
    {"stopped without a verdict",
     {END(RUN_END_STOPPED, 0, 0, false, "", "")},
     "failed",
     "qemu_exited",
     "QEMU exited with status 0 before the terminal marker"},
};

static void every_row(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const struct row *w = &rows[i];
    struct run_outcome o;
    assert_int_equal(run_outcome_decide(&w->facts, &o), 0);
    if (strcmp(o.status, w->status) != 0 || (w->code == NULL) != (o.code == NULL) ||
        (w->code && strcmp(o.code, w->code) != 0) || (w->message == NULL) != (o.message == NULL) ||
        (w->message && strcmp(o.message, w->message) != 0))
      fail_msg("%s: got %s %s \"%s\", want %s %s \"%s\"", w->name, o.status, o.code ? o.code : "-",
               o.message ? o.message : "-", w->status, w->code ? w->code : "-",
               w->message ? w->message : "-");
    run_outcome_clear(&o);
  }
}

/* The first verdict wins: later ones neither replace it nor ask QEMU to quit again. */
static void verdicts(void **state) {
  (void)state;
  struct run_verdict v = {0};
  assert_true(run_verdict_failure_pattern(&v, "panic", 1234567, "panic: out of memory"));
  assert_string_equal(v.status, "failed");
  assert_string_equal(v.code, "guest_failure");
  assert_string_equal(v.message,
                      "failure pattern panic matched at 1234.567 ms: panic: out of memory");
  assert_false(run_verdict_succeeded(&v));
  assert_false(run_verdict_log_lost(&v, ENOSPC));
  assert_false(run_verdict_scenario(&v, true, NULL, NULL));
  assert_string_equal(v.code, "guest_failure");
  run_verdict_clear(&v);
  assert_null(v.status);

  assert_true(run_verdict_succeeded(&v));
  assert_string_equal(v.status, "succeeded");
  assert_null(v.code);
  assert_false(run_verdict_failure_pattern(&v, "panic", 1, "x"));
  run_verdict_clear(&v);

  static const struct {
    int errnum;
    const char *code;
  } logs[] = {{ENOSPC, "disk_full"},
              {EDQUOT, "disk_full"},
              {EIO, "log_write_failed"},
              {EBADF, "log_write_failed"}};
  for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
    assert_true(run_verdict_log_lost(&v, logs[i].errnum));
    assert_string_equal(v.status, "failed");
    assert_string_equal(v.code, logs[i].code);
    _cleanup_(util_freep) char *want =
        util_strdupf("cannot write the console log: %s", strerror(logs[i].errnum));
    assert_string_equal(v.message, want);
    run_verdict_clear(&v);
  }

  assert_true(run_verdict_scenario(&v, false, "prompt_timeout", "no login prompt within 60 s"));
  assert_string_equal(v.status, "failed");
  assert_string_equal(v.code, "prompt_timeout");
  assert_string_equal(v.message, "no login prompt within 60 s");
  run_verdict_clear(&v);
  assert_true(run_verdict_scenario(&v, true, NULL, NULL));
  assert_string_equal(v.status, "succeeded");
  assert_null(v.code);
  run_verdict_clear(&v);
  run_verdict_clear(NULL);
}

static void expect(struct run_outcome *o, const char *status, const char *code,
                   const char *message) {
  assert_string_equal(o->status, status);
  assert_string_equal(o->code, code);
  assert_string_equal(o->message, message);
  run_outcome_clear(o);
}

/* Runs that end before QEMU starts. */
static void before_the_start(void **state) {
  (void)state;
  struct run_outcome o;
  assert_int_equal(run_outcome_not_started(false, &o), 0);
  expect(&o, "cancelled", "cancelled", "cancelled before the guest started");
  assert_int_equal(run_outcome_not_started(true, &o), 0);
  expect(&o, "cancelled", "daemon_stopping", "the daemon stopped before this run's guest started");
  assert_int_equal(run_outcome_check_failed("outside_image_dirs",
                                            "checked again when the run started",
                                            "kernel: /tmp/k is outside --image-dir", &o),
                   0);
  expect(&o, "failed", "outside_image_dirs",
         "checked again when the run started: kernel: /tmp/k is outside --image-dir");
  assert_int_equal(run_outcome_overlay_failed("/d/a.qcow2", "qemu-img: no space", &o), 0);
  expect(&o, "failed", "overlay_failed",
         "qemu-img could not create an overlay of /d/a.qcow2: qemu-img: no space");
  assert_int_equal(run_outcome_overlay_failed("/d/a.qcow2", "", &o), 0);
  expect(&o, "failed", "overlay_failed",
         "qemu-img could not create an overlay of /d/a.qcow2: no reason given");
  assert_int_equal(run_outcome_launch_failed(EIO, &o), 0);
  expect(&o, "failed", "qemu_start_failed", "cannot start the boot: Input/output error");
  assert_int_equal(run_outcome_launch_failed(ENAMETOOLONG, &o), 0);
  expect(&o, "failed", "qemu_start_failed", "cannot start the boot: File name too long");
  run_outcome_clear(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_row),
      cmocka_unit_test(verdicts),
      cmocka_unit_test(before_the_start),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
