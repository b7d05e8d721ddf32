/* loop_close: a handle only closing is let finish; one left open is named on the report stream. */
#include <string.h>
#include <uv.h>

#include "core/loop_close.h"
#include "test_util.h"

static char *closed_with(uv_loop_t *loop, int *r) {
  char *text = NULL;
  size_t len = 0;
  FILE *report = open_memstream(&text, &len);
  *r = loop_close(loop, report, "test");
  fclose(report);
  return text;
}

static void never(uv_timer_t *t) { (void)t; }

static void open_timer_is_reported(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t timer;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &timer);
  assert_int_equal(uv_timer_start(&timer, never, 1000, 0), 0);
  int r;
  char *text = closed_with(&loop, &r);
  assert_int_equal(r, UV_EBUSY);
  assert_string_equal(text, "test: loop left open: timer (active)\n");
  free(text);
  uv_close((uv_handle_t *)&timer, NULL);
  text = closed_with(&loop, &r);
  assert_int_equal(r, 0);
  assert_string_equal(text, "");
  free(text);
}

static void idle_loop_closes_silently(void **state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  int r;
  char *text = closed_with(&loop, &r);
  assert_int_equal(r, 0);
  assert_string_equal(text, "");
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(open_timer_is_reported),
                                     cmocka_unit_test(idle_loop_closes_silently)};
  return cmocka_run_group_tests_name("loop_close", tests, NULL, NULL);
}
