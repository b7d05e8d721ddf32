/* Helpers shared by the unit tests. */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/util.h"

/* Reads tests/data/NAME (MA_SOURCE_ROOT is set by meson). */
static inline char *test_read_data(const char *name, size_t *len) {
  const char *root = getenv("MA_SOURCE_ROOT");
  char *path = util_strdupf("%s/tests/data/%s", root ? root : ".", name);
  char *text = util_read_file(path, len);
  free(path);
  assert_non_null(text);
  return text;
}
