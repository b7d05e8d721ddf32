/* The memory time series of a run as an SVG chart. */
#pragma once
#include <jansson.h>

/* The samples as CSV, one row each (malloc'd). */
char *memory_csv(json_t *samples);
/* RSS and CPU time of QEMU over time, boot markers as vertical lines (malloc'd). */
char *memory_svg(const char *run_id, json_t *samples, json_t *markers);
