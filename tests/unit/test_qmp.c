/* QMP message parsing and framing. */
#include <string.h>

#include "lib/qmp.h"
#include "test_util.h"

static int parse(const char *s, struct qmp_msg *m) { return qmp_parse(s, strlen(s), m); }

static void greeting(void **state) {
  (void)state;
  struct qmp_msg m;
  assert_int_equal(parse("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, "
                         "\"capabilities\": [\"oob\"]}}",
                         &m),
                   0);
  assert_int_equal(m.kind, QMP_GREETING);
  qmp_msg_clear(&m);
}

static void return_with_id(void **state) {
  (void)state;
  struct qmp_msg m;
  assert_int_equal(parse("{\"return\": {}, \"id\": \"cont\"}", &m), 0);
  assert_int_equal(m.kind, QMP_RETURN);
  assert_string_equal(m.id, "cont");
  assert_true(json_is_object(m.ret));
  qmp_msg_clear(&m);
}

static void error_reply(void **state) {
  (void)state;
  struct qmp_msg m;
  assert_int_equal(parse("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command foo has not been "
                         "found\"}, \"id\": \"x\"}",
                         &m),
                   0);
  assert_int_equal(m.kind, QMP_ERROR);
  assert_string_equal(m.error_class, "CommandNotFound");
  assert_string_equal(m.id, "x");
  qmp_msg_clear(&m);
}

static void event_with_timestamp(void **state) {
  (void)state;
  struct qmp_msg m;
  assert_int_equal(parse("{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, \"event\": "
                         "\"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}",
                         &m),
                   0);
  assert_int_equal(m.kind, QMP_EVENT);
  assert_string_equal(m.event, "SHUTDOWN");
  assert_int_equal(m.event_wall_us, 1700000000123456LL);
  qmp_msg_clear(&m);
  /* Found by fuzzing (tests/fuzz/corpus/qmp/regression-timestamp-overflow): absurd stamps overflowed. */
  assert_int_equal(parse("{\"timestamp\": {\"seconds\": 27777777777777777, \"microseconds\": 2}, \"event\": "
                         "\"STOP\"}",
                         &m),
                   0);
  assert_int_equal(m.event_wall_us, 0);
  qmp_msg_clear(&m);
}

static void garbage_is_refused(void **state) {
  (void)state;
  struct qmp_msg m;
  const char *bad[] = {"", "{", "[]", "42", "{\"something\": 1}", "{\"error\": \"str\"}", "{\"event\": 3}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(parse(bad[i], &m), -22);
    assert_null(m.root);
  }
}

static void command_line(void **state) {
  (void)state;
  char *line = qmp_command("qmp_capabilities", NULL, "caps");
  assert_string_equal(line, "{\"execute\":\"qmp_capabilities\",\"id\":\"caps\"}\n");
  free(line);
  line = qmp_command("human-monitor-command", json_pack("{s:s}", "command-line", "info mem"), NULL);
  assert_non_null(strstr(line, "\"arguments\":{\"command-line\":\"info mem\"}"));
  free(line);
}

struct lines {
  int n;
  char text[4][64];
};

static void on_line(void *userdata, const char *line, size_t len) {
  struct lines *l = userdata;
  snprintf(l->text[l->n++], sizeof l->text[0], "%.*s", (int)len, line);
}

static void framer_splits_and_joins(void **state) {
  (void)state;
  struct qmp_framer f = {0};
  struct lines l = {0};
  assert_int_equal(qmp_framer_feed(&f, "{\"a\":1}\r\n{\"b\"", 13, on_line, &l), 0);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.text[0], "{\"a\":1}\r");
  assert_int_equal(qmp_framer_feed(&f, ":2}\n\n", 5, on_line, &l), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.text[1], "{\"b\":2}");
  qmp_framer_clear(&f);
}

static void framer_refuses_endless_message(void **state) {
  (void)state;
  struct qmp_framer f = {0};
  struct lines l = {0};
  char *big = malloc(1 << 20);
  memset(big, 'x', 1 << 20);
  assert_int_equal(qmp_framer_feed(&f, big, 1 << 20, on_line, &l), 0);
  assert_int_equal(qmp_framer_feed(&f, "x", 1, on_line, &l), -7); /* -E2BIG */
  free(big);
  qmp_framer_clear(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(greeting),           cmocka_unit_test(return_with_id),
      cmocka_unit_test(error_reply),        cmocka_unit_test(event_with_timestamp),
      cmocka_unit_test(garbage_is_refused), cmocka_unit_test(command_line),
      cmocka_unit_test(framer_splits_and_joins), cmocka_unit_test(framer_refuses_endless_message),
  };
  return cmocka_run_group_tests_name("qmp", tests, NULL, NULL);
}
