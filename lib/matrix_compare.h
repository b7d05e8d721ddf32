/* Before/after comparison of two matrices, config by config (Welch's t test). */
#pragma once
#include <jansson.h>

/* New comparison of report b against report a (a = before, b = after). */
json_t *matrix_compare(json_t *a, json_t *b);
/* The comparison as text (malloc'd). */
char *matrix_compare_text(json_t *comparison);
