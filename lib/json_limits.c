#include "lib/json_limits.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

int json_limits_check(const char *text, size_t len, const char **what) {
  int depth = 0;
  /* Per open container: its element count, or -1 for an object. */
  int elements[JSON_MAX_DEPTH + 1] = {0};
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
      elements[depth] = c == '[' ? 0 : -1;
    } else if (c == ']' || c == '}') {
      depth -= depth > 0;
    } else if (c == ',' && depth > 0 && elements[depth] >= 0 &&
               ++elements[depth] >= JSON_MAX_ARRAY) {
      *what = "array";
      return -E2BIG;
    }
  }
  return 0;
}

const char *json_limits_code(const char *what) {
  return strcmp(what, "depth") == 0   ? "too_deep"
         : strcmp(what, "array") == 0 ? "array_too_long"
                                      : "string_too_long";
}

const char *json_limits_message(const char *what) {
  return strcmp(what, "depth") == 0   ? "nested deeper than 32 levels"
         : strcmp(what, "array") == 0 ? "an array has more than 1024 elements"
                                      : "a string is longer than 64 KiB";
}
