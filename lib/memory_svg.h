/* The memory time series of a run as an SVG chart. */
#pragma once
#include <jansson.h>

/* RSS and CPU time of QEMU over time, boot markers as vertical lines (malloc'd). */
char *memory_svg(const char *run_id, json_t *samples, json_t *markers);
