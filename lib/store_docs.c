/* Installs and traces, kept as one JSON document each: they are few, and their
 * shape (phases, the runs they made, what they produced) grows with the feature. */
#define STORE_PRIVATE_ALLOWED /* a store file: see lib/store_private.h */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/store_private.h"

static const char *const tables[] = {[STORE_INSTALLS] = "installs", [STORE_TRACES] = "traces"};

static int exec_stmt(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

static int prepare(struct store *s, const char *fmt, enum store_doc kind, sqlite3_stmt **st) {
  char sql[256];
  snprintf(sql, sizeof sql, fmt, tables[kind]);
  return sqlite3_prepare_v2(store_db(s), sql, -1, st, NULL);
}

int store_doc_put(struct store *s, enum store_doc kind, const char *id, const char *status, json_t *doc,
                  int64_t created_us) {
  sqlite3_stmt *st;
  int rc = prepare(s,
                   "INSERT INTO %s (id, status, doc_json, created_us) VALUES (?,?,?,?)"
                   " ON CONFLICT(id) DO UPDATE SET status=excluded.status, doc_json=excluded.doc_json",
                   kind, &st);
  if (rc != SQLITE_OK)
    return sqlite_errno(rc);
  char *text = json_dumps(doc, JSON_COMPACT);
  if (!text) {
    sqlite3_finalize(st);
    return -ENOMEM;
  }
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, text, -1, free);
  sqlite3_bind_int64(st, 4, created_us);
  return exec_stmt(st);
}

static json_t *row_doc(sqlite3_stmt *st) {
  json_t *doc = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
  if (!json_is_object(doc)) {
    json_decref(doc);
    doc = json_object();
  }
  /* The status column wins: recovery after a crash changes it without rewriting the document. */
  json_object_set_new(doc, "status", json_string((const char *)sqlite3_column_text(st, 0)));
  return doc;
}

int store_doc_get(struct store *s, enum store_doc kind, const char *id, json_t **out) {
  sqlite3_stmt *st;
  int rc = prepare(s, "SELECT status, doc_json FROM %s WHERE id=?", kind, &st);
  if (rc != SQLITE_OK)
    return sqlite_errno(rc);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *out = row_doc(st);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
}

int store_docs_list(struct store *s, enum store_doc kind, int limit, json_t **out) {
  sqlite3_stmt *st;
  int rc = prepare(s, "SELECT status, doc_json FROM %s ORDER BY seq DESC LIMIT ?", kind, &st);
  if (rc != SQLITE_OK)
    return sqlite_errno(rc);
  sqlite3_bind_int(st, 1, limit);
  *out = json_array();
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(*out, row_doc(st));
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

int store_docs_interrupt(struct store *s) {
  int n = 0;
  for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++) {
    sqlite3_stmt *st;
    int rc = prepare(s,
                     "UPDATE %s SET status='interrupted'"
                     " WHERE status NOT IN ('succeeded','failed','cancelled','interrupted')",
                     (enum store_doc)k, &st);
    if (rc != SQLITE_OK)
      return sqlite_errno(rc);
    rc = exec_stmt(st);
    if (rc < 0)
      return rc;
    n += sqlite3_changes(store_db(s));
  }
  return n;
}
