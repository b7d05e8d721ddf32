/* Matrix reports: statistics per vCPU config computed from the stored runs,
 * and their renderings. Every figure comes from the runs passed in. */
#pragma once
#include <jansson.h>

/* New report from a matrix row (store_matrix_get) and its runs (store_matrix_runs). */
json_t *matrix_report(json_t *matrix, json_t *runs);
struct store;
/* The report of stored matrix id, and its runs when runs is not NULL; -ENOENT when unknown. */
int matrix_report_load(struct store *s, const char *id, json_t **report, json_t **runs);
/* The report as text for people (malloc'd). */
char *matrix_report_text(json_t *report);
/* Every sample as CSV, one row per run, one column per marker (malloc'd). */
char *matrix_report_csv(json_t *runs);
