/* The supervisor (core/supervisor.c) against a fake QEMU, no QEMU installed: the test re-runs its
 * own binary as the child ("fake-qemu MODE ..." in argv[1..2], the way libuv's test runner re-runs
 * itself as a helper). The fake listens on the sockets the supervisor names on its command line, as
 * QEMU does for -qmp unix:PATH,server=on and -chardev socket,path=PATH,server=on, speaks scripted
 * QMP and writes scripted console bytes. Every test ends by closing its loop with no handle left
 * open. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/supervisor.h"
#include "test_util.h"

#define FAKE_FLAG "fake-qemu"
#define CONSOLE_TEXT "fake console: hello\r\n"

static char self_exe[4096];

/* ---- the fake QEMU (runs in the child) ---- */

struct fake {
  const char *mode;
  int qmp, serial_server, serial;
};

/* The path in QEMU's "unix:PATH,server=on" or "socket,id=ser0,path=PATH,server=on" (no commas in
 * ours). */
static const char *socket_path(int argc, char **argv, const char *flag, const char *key, char *out,
                               size_t size) {
  for (int i = 0; i + 1 < argc; i++) {
    const char *at = strcmp(argv[i], flag) == 0 ? strstr(argv[i + 1], key) : NULL;
    if (at) {
      at += strlen(key);
      size_t n = strcspn(at, ",");
      snprintf(out, size, "%.*s", (int)n, at);
      return out;
    }
  }
  return NULL;
}

static int fake_listen(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 1) < 0)
    _exit(120);
  return fd;
}

static void fake_send(int fd, const char *text) {
  size_t len = strlen(text);
  if (write(fd, text, len) != (ssize_t)len)
    _exit(121);
}

static void fake_reply(struct fake *f, const char *id, const char *ret) {
  char line[512];
  snprintf(line, sizeof line, "{\"return\": %s, \"id\": \"%s\"}\r\n", ret, id);
  fake_send(f->qmp, line);
}

static void fake_refuse(struct fake *f, const char *id) {
  char line[512];
  snprintf(
      line, sizeof line,
      "{\"error\": {\"class\": \"GenericError\", \"desc\": \"fake refusal\"}, \"id\": \"%s\"}\r\n",
      id);
  fake_send(f->qmp, line);
}

/* As QEMU says it: "disconnected:" until the console's connection is accepted (here: at once). */
static void fake_chardevs(struct fake *f, const char *id) {
  if (f->serial < 0)
    f->serial = accept(f->serial_server, NULL, NULL);
  fake_reply(
      f, id,
      "[{\"label\": \"ser0\", \"filename\": \"unix:fake,server=on\", \"frontend-open\": true}]");
}

static void fake_cont(struct fake *f, const char *id) {
  if (strcmp(f->mode, "refuse-cont") == 0) {
    fake_refuse(f, id);
    return;
  }
  if (strcmp(f->mode, "console-first") == 0) {
    /* The guest's first bytes reach the daemon before the acknowledgement of `cont`, as when both
     * sockets are read in one loop turn. */
    fake_send(f->serial, CONSOLE_TEXT);
    usleep(100 * 1000);
    fake_reply(f, id, "{}");
  } else {
    fake_reply(f, id, "{}");
    fake_send(f->serial, CONSOLE_TEXT);
  }
  if (strcmp(f->mode, "shutdown") == 0) {
    fake_send(
        f->qmp,
        "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"SHUTDOWN\"}\r\n");
    _exit(0); /* as QEMU with -no-reboot when the guest powers off */
  }
  fake_send(f->qmp,
            "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESET\"}\r\n");
}

/* Answers one command; returns false when the fake is to exit. */
static bool fake_command(struct fake *f, const char *execute, const char *id) {
  if (strcmp(execute, "query-chardev") == 0) {
    fake_chardevs(f, id);
  } else if (strcmp(execute, "cont") == 0) {
    fake_cont(f, id);
  } else if (strcmp(execute, "quit") == 0) {
    if (strcmp(f->mode, "deaf-quit") == 0)
      return true; /* never answers, never goes: the supervisor's grace runs out */
    if (strcmp(f->mode, "refuse-quit") == 0) {
      fake_refuse(f, id);
      return true;
    }
    fake_reply(f, id, "{}");
    return false;
  } else {
    fake_reply(f, id, strcmp(execute, "query-cpus-fast") == 0 ? "[]" : "{}");
  }
  return true;
}

static int fake_qemu(int argc, char **argv) {
  char qmp_path[108], serial_path[108];
  struct fake f = {.mode = argv[2], .serial = -1};
  if (!socket_path(argc, argv, "-qmp", "unix:", qmp_path, sizeof qmp_path) ||
      !socket_path(argc, argv, "-chardev", "path=", serial_path, sizeof serial_path))
    return 122;
  int qmp_server = fake_listen(qmp_path);
  f.serial_server = fake_listen(serial_path);
  f.qmp = accept(qmp_server, NULL, NULL);
  if (strcmp(f.mode, "exit-early") == 0) {
    fprintf(stderr, "fake: exits before its greeting\n");
    return 3;
  }
  fake_send(f.qmp, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": "
                   "7}}, \"capabilities\": []}}\r\n");
  FILE *in = fdopen(dup(f.qmp), "r");
  char *line = NULL;
  size_t cap = 0;
  bool go_on = true;
  while (go_on && in && getline(&line, &cap, in) > 0) {
    json_auto_t *cmd = json_loads(line, 0, NULL);
    const char *execute = json_string_value(json_object_get(cmd, "execute"));
    const char *id = json_string_value(json_object_get(cmd, "id"));
    go_on = execute && id ? fake_command(&f, execute, id) : false;
  }
  free(line);
  return 0;
}

/* ---- the supervising side ---- */

struct observed {
  const char *mode;
  struct supervisor *sup;
  bool started, ended, quit_sent;
  int64_t t0_us, qemu_start_us, first_stamp_us, quit_us, end_us;
  char serial[256];
  size_t serial_len;
  char events[256];
  struct supervisor_end end;
  char detail[512], qemu_err[512];
};

/* The normal run quits once the console line and the RESET after it have both arrived. */
static void maybe_quit(struct observed *o) {
  if (o->quit_sent || strcmp(o->mode, "shutdown") == 0 || !strstr(o->events, "RESET") ||
      o->serial_len < strlen(CONSOLE_TEXT))
    return;
  o->quit_sent = true;
  o->quit_us = util_mono_us();
  supervisor_quit(o->sup);
}

static void on_started(void *ud, int64_t t0_us, int64_t qemu_start_us) {
  struct observed *o = ud;
  assert_false(o->started);
  o->started = true;
  o->t0_us = t0_us;
  o->qemu_start_us = qemu_start_us;
}

static void on_serial(void *ud, const char *buf, size_t len, int64_t stamp_us) {
  struct observed *o = ud;
  assert_true(o->started); /* nothing reaches the console before `cont` */
  if (!o->first_stamp_us)
    o->first_stamp_us = stamp_us;
  size_t room = sizeof o->serial - 1 - o->serial_len;
  memcpy(o->serial + o->serial_len, buf, len < room ? len : room);
  o->serial_len += len < room ? len : room;
  maybe_quit(o);
}

static void on_event(void *ud, const char *name) {
  struct observed *o = ud;
  snprintf(o->events + strlen(o->events), sizeof o->events - strlen(o->events), "%s ", name);
  maybe_quit(o);
}

static void on_ended(void *ud, const struct supervisor_end *end) {
  struct observed *o = ud;
  o->ended = true;
  o->end_us = util_mono_us();
  o->end = *end;
  snprintf(o->detail, sizeof o->detail, "%s", end->detail);
  snprintf(o->qemu_err, sizeof o->qemu_err, "%s", end->qemu_err);
  o->end.detail = o->detail;
  o->end.qemu_err = o->qemu_err;
  o->sup = NULL;
}

/* Supervises the fake in mode until the supervisor ends; the loop must then close with nothing
 * open. */
static void run_fake(const char *mode, struct observed *o) {
  *o = (struct observed){.mode = mode};
  char dir[] = "/tmp/ma-sup-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char qmp[64], ser[64], qmp_arg[96], ser_arg[128];
  snprintf(qmp, sizeof qmp, "%s/qmp", dir);
  snprintf(ser, sizeof ser, "%s/ser", dir);
  snprintf(qmp_arg, sizeof qmp_arg, "unix:%s,server=on,wait=off", qmp);
  snprintf(ser_arg, sizeof ser_arg, "socket,id=ser0,path=%s,server=on,wait=off", ser);
  char *argv[] = {self_exe, FAKE_FLAG,  (char *)mode, "-S", "-qmp",
                  qmp_arg,  "-chardev", ser_arg,      NULL};
  /* The deadline only keeps a broken test from hanging. */
  struct supervisor_config cfg = {
      .argv = argv, .qmp_path = qmp, .serial_path = ser, .timeout_ms = 20000};
  struct supervisor_callbacks cb = {
      .started = on_started, .serial = on_serial, .event = on_event, .ended = on_ended};
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(supervisor_start(&loop, &cfg, &cb, o, &o->sup), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_true(o->ended);
  assert_int_equal(uv_loop_close(&loop), 0);
  unlink(qmp);
  unlink(ser);
  assert_int_equal(rmdir(dir), 0);
}

static void normal_start_to_cont(void **state) {
  (void)state;
  struct observed o;
  run_fake("normal", &o);
  assert_true(o.started);
  assert_true(o.qemu_start_us > 0 && o.qemu_start_us < 15000000);
  assert_string_equal(o.serial, CONSOLE_TEXT);
  assert_true(o.first_stamp_us >= o.t0_us);
  assert_string_equal(o.events, "RESET ");
  assert_int_equal(o.end.reason, SUP_STOPPED);
  assert_true(o.end.started);
  assert_int_equal(o.end.exit_code, 0);
  assert_int_equal(o.end.term_signal, 0);
  assert_false(o.end.killed);
}

/* A console byte read before the acknowledgement of `cont` starts the clock: it is stamped after
 * t0, never from nothing (the old supervisor gave such bytes the raw monotonic clock as their time,
 * so the ARM fixture's first markers sorted last). */
static void console_before_the_cont_reply(void **state) {
  (void)state;
  struct observed o;
  run_fake("console-first", &o);
  assert_true(o.started);
  assert_string_equal(o.serial, CONSOLE_TEXT);
  assert_true(o.first_stamp_us >= o.t0_us);
  assert_true(o.first_stamp_us - o.t0_us <
              50000); /* the clock started at that byte, not 100 ms on */
  assert_int_equal(o.end.reason, SUP_STOPPED);
}

static void guest_shuts_down(void **state) {
  (void)state;
  struct observed o;
  run_fake("shutdown", &o);
  assert_string_equal(o.serial, CONSOLE_TEXT);
  assert_string_equal(o.events, "SHUTDOWN ");
  assert_int_equal(o.end.reason, SUP_EXITED);
  assert_true(o.end.started);
  assert_int_equal(o.end.exit_code, 0);
  assert_false(o.end.killed);
}

static void exits_before_greeting(void **state) {
  (void)state;
  struct observed o;
  run_fake("exit-early", &o);
  assert_false(o.started);
  assert_int_equal(o.end.reason, SUP_START_FAILED);
  assert_false(o.end.started);
  assert_int_equal(o.end.exit_code, 3);
  assert_false(o.end.killed);
  assert_string_equal(o.end.detail, "QEMU exited before the guest was started");
  assert_non_null(strstr(o.end.qemu_err, "fake: exits before its greeting"));
}

static void cont_refused(void **state) {
  (void)state;
  struct observed o;
  run_fake("refuse-cont", &o);
  assert_false(o.started);
  assert_int_equal(o.serial_len, 0);
  assert_int_equal(o.end.reason, SUP_START_FAILED);
  assert_string_equal(o.end.detail, "QMP refused cont: fake refusal");
  assert_true(o.end.killed);
  assert_int_equal(o.end.term_signal, SIGKILL);
}

/* QEMU that never answers `quit` is killed once the grace (1 s) has passed, not before. */
static void quit_never_answered(void **state) {
  (void)state;
  struct observed o;
  run_fake("deaf-quit", &o);
  assert_true(o.quit_sent);
  assert_int_equal(o.end.reason, SUP_STOPPED);
  assert_true(o.end.started);
  assert_true(o.end.killed);
  assert_int_equal(o.end.term_signal, SIGKILL);
  assert_true(o.end_us - o.quit_us >= 1000000);
}

/* A refused `quit` kills at once and says so, rather than waiting out the grace. */
static void quit_refused(void **state) {
  (void)state;
  struct observed o;
  run_fake("refuse-quit", &o);
  assert_int_equal(o.end.reason, SUP_STOPPED);
  assert_true(o.end.killed);
  assert_string_equal(o.end.detail, "QMP refused quit: fake refusal; the daemon killed QEMU");
  assert_true(o.end_us - o.quit_us < 1000000);
}

int main(int argc, char **argv) {
  supervisor_exec_helper(argc, argv);
  if (argc >= 3 && strcmp(argv[1], FAKE_FLAG) == 0)
    return fake_qemu(argc, argv);
  signal(SIGPIPE, SIG_IGN); /* as the daemon: a write to a gone QEMU is an error, not a death */
  ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
  if (n < 0)
    return 1;
  self_exe[n] = '\0';
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(normal_start_to_cont), cmocka_unit_test(console_before_the_cont_reply),
      cmocka_unit_test(guest_shuts_down),     cmocka_unit_test(exits_before_greeting),
      cmocka_unit_test(cont_refused),         cmocka_unit_test(quit_never_answered),
      cmocka_unit_test(quit_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
