/* Limits on request bodies before they are parsed: nesting depth, string
 * length and array length (jansson accepts 2048 levels, strings as long as the
 * body and arrays of any size, and checking a long array of paths holds the
 * loop: 28,000 initrd entries took 1.9 s). */
#pragma once
#include <stddef.h>

#define JSON_MAX_DEPTH 32
#define JSON_MAX_STRING 65536
#define JSON_MAX_ARRAY 1024

/* 0, or -E2BIG with *what = "depth", "string" or "array" when text (JSON or not) goes past a limit.
 */
int json_limits_check(const char *text, size_t len, const char **what);

/* For a *what of json_limits_check: the error code (too_deep, string_too_long,
 * array_too_long) and a sentence for people. */
const char *json_limits_code(const char *what);
const char *json_limits_message(const char *what);
