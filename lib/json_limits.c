#include "lib/json_limits.h"

#include <errno.h>
#include <stdbool.h>

int json_limits_check(const char *text, size_t len, const char **what) {
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t string_len = 0;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (in_string) {
      if (++string_len > JSON_MAX_STRING) {
        *what = "string";
        return -E2BIG;
      }
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
      string_len = 0;
    } else if (c == '[' || c == '{') {
      if (++depth > JSON_MAX_DEPTH) {
        *what = "depth";
        return -E2BIG;
      }
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return 0;
}
