/* SQLite store: runs and markers, WAL mode, numbered migrations from schema/. */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "lib/run.h"

struct store;

/* Opens (creating and migrating) the database at path; -errno style codes, *err malloc'd. */
int store_open(const char *path, struct store **out, char **err);
/* Closes the database (NULL is fine). */
void store_close(struct store *s);
/* The schema version now in force (number of the last migration applied). */
int store_schema_version(struct store *s);
/* Inserts a new run (markers are inserted separately). */
int store_run_insert(struct store *s, const struct run *r);
/* Writes every mutable column of r. */
int store_run_update(struct store *s, const struct run *r);
/* Appends marker number ord of run_id. */
int store_marker_insert(struct store *s, const char *run_id, size_t ord, const struct run_marker *m);
/* Loads one run with its markers into out (run_init'ed by the call); -ENOENT when unknown. */
int store_run_get(struct store *s, const char *id, struct run *out);
/* Newest-first page of runs as JSON (no markers); cursor 0 = from the newest. *next is 0 at the end. */
int store_runs_list(struct store *s, int limit, int64_t cursor, const char *status, json_t **out, int64_t *next);
/* Marks runs left queued or running by a previous process as interrupted; returns how many. */
int store_mark_interrupted(struct store *s, int64_t now_us);
