/* /proc/PID/stat parsing, including command names with spaces and parentheses. */
#include <string.h>
#include <unistd.h>

#include "lib/procstat.h"
#include "test_util.h"

static void parses_a_real_line(void **state) {
  (void)state;
  /* Fields 1-17 of a real line; the name holds ") (" to trip naive parsers. */
  const char *line =
      "4242 (qemu-system) (x86) S 1 4242 4242 0 -1 4194624 1234 56 7 8 250 40 0 0 20 0 3";
  struct procstat ps = {0};
  assert_int_equal(procstat_parse_stat(line, &ps, 100), 0);
  assert_int_equal(ps.minflt, 1234);
  assert_int_equal(ps.majflt, 7);
  assert_int_equal(ps.utime_ms, 2500);
  assert_int_equal(ps.stime_ms, 400);
  assert_int_equal(procstat_parse_stat("garbage", &ps, 100), -22);
  assert_int_equal(procstat_parse_stat("1 (x) S 1", &ps, 100), -22);
}

static void reads_this_process(void **state) {
  (void)state;
  struct procstat ps;
  assert_int_equal(procstat_read(getpid(), &ps), 0);
  assert_true(ps.rss_kb > 0);
  assert_true(ps.minflt > 0);
  assert_true(procstat_read(-1, &ps) < 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(parses_a_real_line),
                                     cmocka_unit_test(reads_this_process)};
  return cmocka_run_group_tests_name("procstat", tests, NULL, NULL);
}
