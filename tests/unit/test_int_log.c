/* Interrupt counts from a real QEMU interrupt log (-d int of the Linux test
 * guest booting under TCG, the first 2000 lines, tests/data/qemu-int-linux.log):
 * the counts match what grep finds in the same file; register dumps, SMM
 * lines and split reads do not disturb them. */
#include <string.h>

#include "lib/int_log.h"
#include "test_util.h"

struct sum {
  int64_t by_vector[256][3];
  int max_second;
};

static void add(void *u, int second, int vector, enum int_kind kind, int64_t count) {
  struct sum *s = u;
  s->by_vector[vector][kind] += count;
  if (second > s->max_second)
    s->max_second = second;
}

static void real_log_counts(void **state) {
  (void)state;
  size_t len;
  char *text = test_read_data("qemu-int-linux.log", &len);
  assert_non_null(text);
  struct int_counter *c = int_counter_new();
  /* In 1000-byte reads, a second apart: lines split across reads still count once. */
  for (size_t off = 0, k = 0; off < len; off += 1000, k++)
    int_counter_feed(c, text + off, len - off < 1000 ? len - off : 1000,
                     (int64_t)(k / 50) * 1000000);
  struct sum s = {0};
  int_counter_each(c, add, &s);
  /* grep -oE '^ *[0-9]+: v=[0-9a-f]+ e=[0-9a-f]+ i=[01]' | sort | uniq -c on the same file */
  assert_int_equal(s.by_vector[0x30][INT_HARDWARE], 85);
  assert_int_equal(s.by_vector[0x0e][INT_EXCEPTION], 4);
  assert_int_equal(s.by_vector[0x03][INT_SOFTWARE], 1); /* int3, an INT instruction: i=1 */
  int64_t total = 0;
  for (int v = 0; v < 256; v++)
    for (int k = 0; k < 3; k++)
      total += s.by_vector[v][k];
  assert_int_equal(total, 90);
  assert_true(s.max_second >= 2);
  int_counter_free(c);
  free(text);
}

static void names(void **state) {
  (void)state;
  assert_string_equal(int_vector_name(14, INT_EXCEPTION), "page fault (#PF)");
  assert_string_equal(int_vector_name(0x80, INT_SOFTWARE), "int 0x80 (Linux i386 system call)");
  assert_null(int_vector_name(0x80, INT_HARDWARE));
  assert_null(int_vector_name(14, INT_HARDWARE)); /* an IRQ on vector 14 is no page fault */
  assert_string_equal(int_kind_name(INT_SOFTWARE), "software");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(real_log_counts), cmocka_unit_test(names)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
