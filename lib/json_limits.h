/* Limits on request bodies before they are parsed: nesting depth and string
 * length (jansson accepts 2048 levels and strings as long as the body). */
#pragma once
#include <stddef.h>

#define JSON_MAX_DEPTH 32
#define JSON_MAX_STRING 65536

/* 0, or -E2BIG with *what = "depth" or "string" when text (JSON or not) goes past a limit. */
int json_limits_check(const char *text, size_t len, const char **what);
