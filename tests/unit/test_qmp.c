/* QMP message parsing and framing. */
#include <errno.h>
#include <string.h>

#include "lib/info_mem.h"
#include "lib/qmp.h"
#include "test_util.h"

static int parse(const char *s, struct qmp_msg *m) { return qmp_parse(s, strlen(s), m); }

static void greeting(void **state) {
  (void)state;
  struct qmp_msg m;
  assert_int_equal(
      parse("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, "
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
  assert_int_equal(
      parse("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command foo has not been "
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
  assert_int_equal(
      parse("{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, \"event\": "
            "\"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}",
            &m),
      0);
  assert_int_equal(m.kind, QMP_EVENT);
  assert_string_equal(m.event, "SHUTDOWN");
  assert_int_equal(m.event_wall_us, 1700000000123456LL);
  qmp_msg_clear(&m);
  /* Found by fuzzing (tests/fuzz/corpus/qmp/regression-timestamp-overflow): absurd stamps
   * overflowed. */
  assert_int_equal(
      parse("{\"timestamp\": {\"seconds\": 27777777777777777, \"microseconds\": 2}, \"event\": "
            "\"STOP\"}",
            &m),
      0);
  assert_int_equal(m.event_wall_us, 0);
  qmp_msg_clear(&m);
}

static void garbage_is_refused(void **state) {
  (void)state;
  struct qmp_msg m;
  const char *bad[] = {
      "", "{", "[]", "42", "{\"something\": 1}", "{\"error\": \"str\"}", "{\"event\": 3}"};
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
  char text[4][128];
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

static void on_text(void *userdata, const char *escaped, size_t len) {
  info_mem_scan_feed(userdata, escaped, len);
}

/* A reply as QEMU 7.2 sends "info mem" of Debian's generic kernel with 512 MB
 * (QEMU-NOTES.md): a few ordinary ranges, then 65,536 single pages one every
 * 64 KiB, escaped line ends; 3.8 MB in all. *kb gets the total it lists. */
static char *long_info_mem_reply(size_t *len, int64_t *kb) {
  struct util_buf b = {0};
  util_buf_printf(&b, "{\"return\": \"");
  util_buf_printf(&b, "0000000000400000-00000000004f0000 00000000000f0000 ur-\\r\\n");
  util_buf_printf(&b, "ffff8c4080000000-ffff8c4080098000 0000000000098000 -rw\\r\\n");
  *kb = (0xf0000 + 0x98000) / 1024;
  for (uint64_t i = 0; i < 65536; i++) {
    uint64_t start = 0xffffff7b00007000ull + (i << 16);
    util_buf_printf(&b, "%016llx-%016llx 0000000000001000 -r-\\r\\n", (unsigned long long)start,
                    (unsigned long long)(start + 0x1000));
    *kb += 4;
  }
  util_buf_printf(&b, "\", \"id\": \"infomem\"}\r\n");
  *len = b.len;
  return b.data;
}

/* Fed in reads of `step` bytes, the way libuv hands them over. */
static int feed_in_steps(struct qmp_framer *f, const char *data, size_t len, size_t step,
                         struct lines *l) {
  for (size_t i = 0; i < len; i += step) {
    int r = qmp_framer_feed(f, data + i, len - i < step ? len - i : step, on_line, l);
    if (r < 0)
      return r;
  }
  return 0;
}

static void framer_streams_a_long_info_mem_reply(void **state) {
  (void)state;
  size_t len;
  int64_t kb;
  char *reply = long_info_mem_reply(&len, &kb);
  assert_true(len > 3 * QMP_MAX_MESSAGE);
  static const size_t steps[] = {65536, 4093, 7, 1};
  for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
    struct qmp_framer f = {0};
    struct lines l = {0};
    struct info_mem_scan scan;
    info_mem_scan_reset(&scan);
    qmp_framer_stream_text(&f, on_text, &scan);
    /* An event may come first: framed as usual, and the framer stays armed for the reply. */
    const char *event =
        "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RTC_CHANGE\"}\r\n";
    assert_int_equal(feed_in_steps(&f, event, strlen(event), steps[k], &l), 0);
    assert_int_equal(feed_in_steps(&f, reply, len, steps[k], &l), 0);
    assert_int_equal(l.n, 2);
    assert_non_null(strstr(l.text[0], "RTC_CHANGE"));
    /* The reply with its string emptied: a QMP return with the id, parsed as any other. */
    assert_string_equal(l.text[1], "{\"return\": \"\", \"id\": \"infomem\"}\r");
    struct qmp_msg m;
    assert_int_equal(parse(l.text[1], &m), 0);
    assert_int_equal(m.kind, QMP_RETURN);
    assert_string_equal(m.id, "infomem");
    assert_string_equal(json_string_value(m.ret), "");
    qmp_msg_clear(&m);
    assert_int_equal(info_mem_scan_kb(&scan), kb);
    assert_int_equal(scan.ranges, 65538);
    assert_true(f.buf.cap < 65536 + 1024); /* never held whole */
    /* One reply only: the next long string is refused like any long message. */
    assert_int_equal(feed_in_steps(&f, reply, len, 65536, &l), -E2BIG);
    qmp_framer_clear(&f);
  }
  free(reply);
}

static void framer_keeps_its_limit_for_other_long_messages(void **state) {
  (void)state;
  size_t len;
  int64_t kb;
  char *reply = long_info_mem_reply(&len, &kb);
  struct lines l = {0};
  struct info_mem_scan scan;
  /* Not armed: the same reply is an oversized message. */
  struct qmp_framer f = {0};
  assert_int_equal(feed_in_steps(&f, reply, len, 65536, &l), -E2BIG);
  qmp_framer_clear(&f);
  /* Armed, but an event or a reply whose value is not a string: the limit holds. */
  static const char *const heads[] = {"{\"event\": \"X\", \"data\": \"", "{\"return\": {\"x\": \"",
                                      "{\"id\": \"a\", \"return\": \""};
  for (size_t k = 0; k < sizeof heads / sizeof heads[0]; k++) {
    info_mem_scan_reset(&scan);
    qmp_framer_stream_text(&f, on_text, &scan);
    assert_int_equal(qmp_framer_feed(&f, heads[k], strlen(heads[k]), on_line, &l), 0);
    assert_int_equal(feed_in_steps(&f, reply + 12, len - 12, 65536, &l), -E2BIG);
    assert_int_equal(scan.bytes, 0);
    char head[16];
    assert_int_equal(qmp_framer_peek(&f, head, sizeof head), 15);
    assert_memory_equal(head, heads[k], 15);
    qmp_framer_clear(&f);
  }
  assert_int_equal(l.n, 0);
  free(reply);
}

static void framer_streams_with_any_json_spacing(void **state) {
  (void)state;
  struct qmp_framer f = {0};
  struct lines l = {0};
  struct info_mem_scan scan;
  info_mem_scan_reset(&scan);
  qmp_framer_stream_text(&f, on_text, &scan);
  const char *msg = "\t{ \"return\" :\r\"a\\\"b\\\\\" ,\"id\":\"infomem\"}\n";
  assert_int_equal(qmp_framer_feed(&f, msg, strlen(msg), on_line, &l), 0);
  assert_int_equal(l.n, 1);
  assert_string_equal(l.text[0], "\t{ \"return\" :\r\"\" ,\"id\":\"infomem\"}");
  assert_int_equal(scan.bytes, 6); /* a\"b\\ still escaped */
  qmp_framer_clear(&f);
}

static void framer_refuses_a_raw_newline_in_a_streamed_string(void **state) {
  (void)state;
  struct qmp_framer f = {0};
  struct lines l = {0};
  struct info_mem_scan scan;
  info_mem_scan_reset(&scan);
  qmp_framer_stream_text(&f, on_text, &scan);
  const char *msg = "{\"return\": \"abc\ndef\"}\n";
  assert_int_equal(qmp_framer_feed(&f, msg, strlen(msg), on_line, &l), -EPROTO);
  assert_int_equal(l.n, 0);
  qmp_framer_clear(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(greeting),
      cmocka_unit_test(return_with_id),
      cmocka_unit_test(error_reply),
      cmocka_unit_test(event_with_timestamp),
      cmocka_unit_test(garbage_is_refused),
      cmocka_unit_test(command_line),
      cmocka_unit_test(framer_splits_and_joins),
      cmocka_unit_test(framer_refuses_endless_message),
      cmocka_unit_test(framer_streams_a_long_info_mem_reply),
      cmocka_unit_test(framer_keeps_its_limit_for_other_long_messages),
      cmocka_unit_test(framer_streams_with_any_json_spacing),
      cmocka_unit_test(framer_refuses_a_raw_newline_in_a_streamed_string),
  };
  return cmocka_run_group_tests_name("qmp", tests, NULL, NULL);
}
