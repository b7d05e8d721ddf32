/* SQLite store: runs and markers, WAL mode, numbered migrations from schema/. Functions return 0 or
 * -errno; a json_t **out is the caller's on success and left untouched on failure. */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "lib/procstat.h"
#include "lib/run.h"

struct store;

/* Opens (creating and migrating) the database at path; -errno style codes, *err malloc'd. */
int store_open(const char *path, struct store **out, char **err);
/* Closes the database (NULL is fine): 0, or -EBUSY when a statement outside the store's registry
 * was still alive (a bug; the connection is closed all the same). */
int store_close(struct store *s);
/* For the tests: each statement of the store is prepared once, at store_open, so prepared and live
 * stay at the registry's size however many calls are made, compiles at 0, and busy (left mid-step)
 * at 0 between calls. */
struct store_stmt_stats {
  int prepared; /* by the registry since store_open */
  int compiles; /* SQLite authorizer calls since then: only compiling a statement makes them */
  int live;     /* on the connection now */
  int busy;     /* stepped and neither done nor reset */
};
void store_stmt_stats(struct store *s, struct store_stmt_stats *out);
/* The schema version now in force (number of the last migration applied). */
int store_schema_version(struct store *s);
/* Inserts a new run (markers are inserted separately). */
int store_run_insert(struct store *s, const struct run *r);
/* A run measured elsewhere (lib/run_import.h), written whole in one transaction: its markers
 * replace any stored ones, then its row; so a result ingested twice is stored once. */
int store_run_import(struct store *s, const struct run *r);
/* Writes every mutable column of r. */
int store_run_update(struct store *s, const struct run *r);
/* Appends marker number ord of run_id. */
int store_marker_insert(struct store *s, const char *run_id, size_t ord,
                        const struct run_marker *m);
/* Sets the virtual-clock count of the run's marker number ord (RUN_NULL: not observed). */
int store_marker_set_instructions(struct store *s, const char *run_id, size_t ord,
                                  int64_t instructions);
/* Loads one run with its markers into out (run_init'ed by the call); -ENOENT when unknown. */
int store_run_get(struct store *s, const char *id, struct run *out);
/* Which runs a page holds: each field NULL (any) or the value the run must have. */
struct store_runs_filter {
  const char *status, *profile, *label;
};
/* Newest-first page of runs as JSON (no markers); cursor 0 = from the newest; filter may be NULL.
 * *next is 0 at the end. */
int store_runs_list(struct store *s, int limit, int64_t cursor,
                    const struct store_runs_filter *filter, json_t **out, int64_t *next);
/* Inserts a running matrix. */
int store_matrix_insert(struct store *s, const char *id, const char *request_json,
                        const char *isolation, int parallel, int total, int64_t created_us);
/* Sets a matrix's final status. */
int store_matrix_finish(struct store *s, const char *id, const char *status, int64_t finished_us);
/* The matrix row as JSON (id, status, request, isolation, parallel, total, created_at,
 * finished_at); -ENOENT. */
int store_matrix_get(struct store *s, const char *id, json_t **out);
/* The newest limit matrices, newest first: store_matrix_get's objects plus "done" (runs
 * finished). */
int store_matrices_list(struct store *s, int limit, json_t **out);
/* The matrix's runs (full run objects with markers) in interleaved order. */
int store_matrix_runs(struct store *s, const char *id, json_t **out);
/* Registers an image (or refreshes the row with the same SHA-256); out_id gets the id in force. */
int store_image_put(struct store *s, const char *id, const char *sha256, const char *path,
                    const char *kind, const char *info_json, int64_t created_us,
                    char out_id[UTIL_ID_LEN + 1]);
/* One image as JSON (its verification facts plus id, path, kind, registered_at); -ENOENT. */
int store_image_get(struct store *s, const char *id, json_t **out);
/* Every image, newest first. */
int store_images_list(struct store *s, json_t **out);
/* Forgets an image (its files are the caller's business); -ENOENT when there is none. */
int store_image_delete(struct store *s, const char *id);
/* One /proc/meminfo sample of the guest ({"MemTotal": kB, ...}) at t_us after t0. */
int store_guest_memory_insert(struct store *s, const char *run_id, int64_t t_us, json_t *values);
/* [{"t_ms","meminfo_kb":{...}}] in time order. */
int store_guest_memory_list(struct store *s, const char *run_id, json_t **out);
#define STORE_TOKEN_LEN 51 /* "ma_" and 48 hex digits */
/* A new token of scope "read" or "full": *token is shown once and only its SHA-256 is stored. */
int store_token_create(struct store *s, const char *name, const char *scope,
                       char token[STORE_TOKEN_LEN + 1], char id[UTIL_ID_LEN + 1]);
/* The scope of a valid, unrevoked token; -ENOENT otherwise. */
int store_token_scope(struct store *s, const char *token, char scope[8]);
/* [{"id","name","scope","created_at","revoked_at"}], oldest first; never the secrets. */
int store_tokens_list(struct store *s, json_t **out);
/* Revokes a token by id; -ENOENT when there is none or it is already revoked. */
int store_token_revoke(struct store *s, const char *id);
struct int_counter;
/* Stores the interrupt counts of a run (replacing any it had). */
int store_traps_put(struct store *s, const char *run_id, const struct int_counter *c);
/* {"totals":[{vector,hex,kind,name,count}] most first, "per_second":[{second,counts:[...]}]}. */
int store_traps_get(struct store *s, const char *run_id, json_t **out);
enum store_doc { STORE_INSTALLS, STORE_TRACES };
/* Creates or replaces an install's or a trace's document (its status is kept in a column too). */
int store_doc_put(struct store *s, enum store_doc kind, const char *id, const char *status,
                  json_t *doc, int64_t created_us);
/* One document, its status from the column; -ENOENT. */
int store_doc_get(struct store *s, enum store_doc kind, const char *id, json_t **out);
/* The newest limit documents, newest first. */
int store_docs_list(struct store *s, enum store_doc kind, int limit, json_t **out);
/* A number that changes whenever a run row changes (insert, update, recovery): cached pages of runs
 * are good while it stays the same. */
uint64_t store_runs_generation(const struct store *s);
/* Stores one memory sample of a run's QEMU (t_us relative to t0). */
int store_memory_insert(struct store *s, const char *run_id, int64_t t_us,
                        const struct procstat_sample *sample);
/* The run's memory samples in time order, as JSON objects. */
int store_memory_list(struct store *s, const char *run_id, json_t **out);
/* Marks runs (and matrices) left queued or running by a previous process as interrupted; returns
 * how many. */
int store_mark_interrupted(struct store *s, int64_t now_us);
/* Rows of table ("runs", "installs" or "traces"; else -EINVAL) by status: {"STATUS": count},
 * statuses absent when no row has them. */
int store_status_counts(struct store *s, const char *table, json_t **out);
/* Boot times of succeeded runs per profile, for a cumulative histogram with upper bounds le[0..n)
 * in seconds:
 * [{"profile","count","sum_us","buckets":[runs <= le[i], ...]}], profiles in name order. */
int store_boot_time_histogram(struct store *s, const double *le, size_t n, json_t **out);
