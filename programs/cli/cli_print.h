/* Human output of the CLI: a run as a marker table, a list of runs. */
#pragma once
#include <jansson.h>
#include <stdio.h>

/* Prints one run object (the REST shape) as a readable report. */
void cli_print_run(FILE *f, json_t *run);
/* Prints a {"runs":[...]} page as one line per run. */
void cli_print_runs(FILE *f, json_t *page);
/* The matrices list: id, status, runs done of total, vCPU counts, profile, created_at. */
void cli_print_matrices(FILE *f, json_t *list);
