/* HMP "info mem" summed from the JSON-escaped text of its QMP reply, in pieces. */
#include <string.h>

#include "lib/info_mem.h"
#include "test_util.h"

/* The shape of HMP "info mem" on x86_64 (QEMU 7.2), as escaped inside the QMP string. */
static const char two_ranges[] = "0000000000400000-0000000000401000 0000000000001000 ur-\\r\\n"
                                 "ffff888000000000-ffff888000200000 0000000000200000 -rw\\r\\n";

static int64_t sum(const char *escaped, size_t step) {
  struct info_mem_scan s;
  info_mem_scan_reset(&s);
  size_t len = strlen(escaped);
  for (size_t i = 0; i < len; i += step)
    info_mem_scan_feed(&s, escaped + i, len - i < step ? len - i : step);
  return info_mem_scan_kb(&s);
}

static void sums_ranges_split_anywhere(void **state) {
  (void)state;
  /* Every split, down to one byte a piece: an escape or a line may straddle two reads. */
  for (size_t step = 1; step <= sizeof two_ranges; step++)
    assert_int_equal(sum(two_ranges, step), 4 + 2048);
}

static void nothing_listed_is_minus_one(void **state) {
  (void)state;
  assert_int_equal(sum("PG disabled\\r\\n", 4), -1);
  assert_int_equal(sum("", 1), -1);
  /* A range whose end is not past its start is not a range. */
  assert_int_equal(sum("0000000000401000-0000000000400000 0000000000001000 ur-\\r\\n", 8), -1);
}

static void last_line_without_newline_counts(void **state) {
  (void)state;
  assert_int_equal(sum("0000000000400000-0000000000401000 0000000000001000 ur-\\r\\n"
                       "0000000000500000-0000000000502000 0000000000002000 ur-",
                       5),
                   4 + 8);
}

static void odd_escapes_and_long_lines_count_nothing(void **state) {
  (void)state;
  struct info_mem_scan s;
  info_mem_scan_reset(&s);
  /* \uXXXX stands for one character (no hex digit); \" and \\ are characters; a line too long to be
   * a range is skipped whole, even when it starts like one. */
  const char *odd = "\\u0030000000000400000-0000000000401000 0000000000001000 ur-\\r\\n"
                    "\\\"\\\\\\/\\t\\b\\f\\n";
  info_mem_scan_feed(&s, odd, strlen(odd));
  char longline[3 * INFO_MEM_LINE_MAX];
  memset(longline, ' ', sizeof longline);
  memcpy(longline, "0000000000400000-0000000000401000 0000000000001000 ur-", 54);
  memcpy(longline + sizeof longline - 2, "\\n", 2);
  info_mem_scan_feed(&s, longline, sizeof longline);
  info_mem_scan_feed(&s, two_ranges, strlen(two_ranges));
  assert_int_equal(info_mem_scan_kb(&s), 4 + 2048);
  assert_int_equal(s.ranges, 2);
  assert_int_equal(s.bytes, strlen(odd) + sizeof longline + strlen(two_ranges));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sums_ranges_split_anywhere),
      cmocka_unit_test(nothing_listed_is_minus_one),
      cmocka_unit_test(last_line_without_newline_counts),
      cmocka_unit_test(odd_escapes_and_long_lines_count_nothing),
  };
  return cmocka_run_group_tests_name("info_mem", tests, NULL, NULL);
}
