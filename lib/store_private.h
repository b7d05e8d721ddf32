/* For the store's own files (lib/store*.c) only: the SQLite handle, its error mapping and the
 * registry of prepared statements. The rest of the code reaches the database through lib/store.h,
 * so that SQL lives in one place. A store file defines STORE_PRIVATE_ALLOWED before including this
 * header; any other file fails to compile.
 *
 * The registry: every statement the store runs has an id below. Its SQL sits in the file that runs
 * it, in a sparse table indexed by id (store_docs_sql, ...); store_open merges the tables, prepares
 * each statement once, and store_close finalizes them all, so that sqlite3_close finds none left. A
 * function takes its statement with store_stmt() into a _cleanup_stmt_ local, which resets it on
 * every way out:
 *
 *     _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_TOKEN_SCOPE);
 *     sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
 *     int rc = sqlite3_step(st);
 *     ...                                        (any return resets st and clears its bindings)
 */
#pragma once
#ifndef STORE_PRIVATE_ALLOWED
#error "lib/store_private.h is the store's own header: only lib/store*.c include it (lib/store.h)"
#endif
#include <sqlite3.h>

#include "lib/store.h"
#include "lib/util.h"

enum store_stmt {
  /* lib/store.c: transactions, the schema version, runs, markers, matrices, images, memory samples,
     recovery */
  ST_BEGIN,
  ST_COMMIT,
  ST_ROLLBACK,
  ST_SCHEMA_VERSION,
  ST_RUN_INSERT,
  ST_RUN_UPDATE,
  ST_MARKERS_DELETE,
  ST_MARKER_INSERT,
  ST_MARKER_INSTRUCTIONS,
  ST_RUN_GET,
  ST_MARKERS,
  ST_RUNS_LIST,
  ST_RUNS_INTERRUPT,
  ST_MATRIX_INSERT,
  ST_MATRIX_FINISH,
  ST_MATRIX_GET,
  ST_MATRIX_RUNS,
  ST_MATRICES_INTERRUPT,
  ST_MATRICES_LIST,
  ST_IMAGE_PUT,
  ST_IMAGE_GET,
  ST_IMAGE_LIST,
  ST_IMAGE_DELETE,
  ST_MEMORY_INSERT,
  ST_MEMORY_LIST,
  /* lib/store_docs.c: one statement per table, installs then traces (see doc_stmt there) */
  ST_INSTALL_PUT,
  ST_TRACE_PUT,
  ST_INSTALL_GET,
  ST_TRACE_GET,
  ST_INSTALLS_LIST,
  ST_TRACES_LIST,
  ST_INSTALLS_INTERRUPT,
  ST_TRACES_INTERRUPT,
  /* lib/store_guest.c */
  ST_GUEST_MEMORY_INSERT,
  ST_GUEST_MEMORY_LIST,
  /* lib/store_metrics.c */
  ST_RUNS_BY_STATUS,
  ST_INSTALLS_BY_STATUS,
  ST_TRACES_BY_STATUS,
  ST_BOOT_TIMES,
  /* lib/store_tokens.c */
  ST_TOKEN_INSERT,
  ST_TOKEN_SCOPE,
  ST_TOKENS_LIST,
  ST_TOKEN_REVOKE,
  /* lib/store_traps.c */
  ST_TRAP_PUT,
  ST_TRAPS_PER_SECOND,
  ST_TRAP_TOTALS,
  ST_COUNT
};

/* The SQL of the statements a file runs, by id; the other entries are NULL. Every id is in exactly
 * one. */
typedef const char *const store_sql_table[ST_COUNT];
extern store_sql_table store_runs_sql, store_docs_sql, store_guest_sql, store_metrics_sql,
    store_tokens_sql, store_traps_sql;

sqlite3 *store_db(struct store *s);
/* SQLite result code to -errno. */
int sqlite_errno(int rc);
/* Statement id of the registry, ready to bind: take it into a _cleanup_stmt_ local. */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt id);
/* For _cleanup_stmt_: resets the statement and clears its bindings. A statement left mid-step keeps
 * a read transaction open (and the WAL from being checkpointed) until its next use, which may never
 * come. */
void store_stmt_resetp(sqlite3_stmt **st);
#define _cleanup_stmt_ _cleanup_(store_stmt_resetp)
/* Steps a statement that returns no row: 0 when done, else -errno. */
int store_step_done(sqlite3_stmt *st);
/* BEGIN IMMEDIATE: the write lock is taken now, so the COMMIT cannot fail for a reader's lock. */
int store_begin(struct store *s);
/* Ends the transaction store_begin opened: COMMIT when r >= 0 (returning r, or COMMIT's error after
 * a ROLLBACK), else ROLLBACK (returning r). */
int store_end(struct store *s, int r);
/* Marks installs and traces left unfinished by a previous process as interrupted; returns how many
 * or -errno. Runs inside store_mark_interrupted's transaction. */
int store_docs_interrupt(struct store *s);
