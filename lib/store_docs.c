/* Installs and traces, kept as one JSON document each: they are few, and their
 * shape (phases, the runs they made, what they produced) grows with the feature. */
#define STORE_PRIVATE_ALLOWED /* a store file: see lib/store_private.h */
#include <errno.h>
#include <stdlib.h>

#include "lib/store_private.h"

/* Table names cannot be bound as parameters: each statement exists once per table. */
#define DOC_PUT(table)                                                                             \
  "INSERT INTO " table " (id, status, doc_json, created_us) VALUES (?,?,?,?)"                      \
  " ON CONFLICT(id) DO UPDATE SET status=excluded.status, doc_json=excluded.doc_json"
#define DOC_GET(table) "SELECT status, doc_json FROM " table " WHERE id=?"
#define DOC_LIST(table) "SELECT status, doc_json FROM " table " ORDER BY seq DESC LIMIT ?"
#define DOC_INTERRUPT(table)                                                                       \
  "UPDATE " table                                                                                  \
  " SET status='interrupted' WHERE status NOT IN ('succeeded','failed','cancelled','interrupted')"

store_sql_table store_docs_sql = {
    [ST_INSTALL_PUT] = DOC_PUT("installs"),
    [ST_TRACE_PUT] = DOC_PUT("traces"),
    [ST_INSTALL_GET] = DOC_GET("installs"),
    [ST_TRACE_GET] = DOC_GET("traces"),
    [ST_INSTALLS_LIST] = DOC_LIST("installs"),
    [ST_TRACES_LIST] = DOC_LIST("traces"),
    [ST_INSTALLS_INTERRUPT] = DOC_INTERRUPT("installs"),
    [ST_TRACES_INTERRUPT] = DOC_INTERRUPT("traces"),
};

/* The ids come in pairs, installs then traces (lib/store_private.h), so that kind picks one of the
 * pair. */
_Static_assert(STORE_INSTALLS == 0 && STORE_TRACES == 1,
               "enum store_doc indexes the pairs of statements");
_Static_assert(ST_TRACE_PUT == ST_INSTALL_PUT + 1 && ST_TRACE_GET == ST_INSTALL_GET + 1 &&
                   ST_TRACES_LIST == ST_INSTALLS_LIST + 1 &&
                   ST_TRACES_INTERRUPT == ST_INSTALLS_INTERRUPT + 1,
               "a trace's statement follows the install's");

static sqlite3_stmt *doc_stmt(struct store *s, enum store_stmt install_id, enum store_doc kind) {
  return store_stmt(s, install_id + (kind == STORE_TRACES));
}

int store_doc_put(struct store *s, enum store_doc kind, const char *id, const char *status,
                  json_t *doc, int64_t created_us) {
  char *text = json_dumps(doc, JSON_COMPACT);
  if (!text)
    return -ENOMEM;
  _cleanup_stmt_ sqlite3_stmt *st = doc_stmt(s, ST_INSTALL_PUT, kind);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, text, -1, free); /* SQLite frees text, also when the bind fails */
  sqlite3_bind_int64(st, 4, created_us);
  return store_step_done(st);
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
  _cleanup_stmt_ sqlite3_stmt *st = doc_stmt(s, ST_INSTALL_GET, kind);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? -ENOENT : sqlite_errno(rc);
  *out = row_doc(st);
  return 0;
}

int store_docs_list(struct store *s, enum store_doc kind, int limit, json_t **out) {
  _cleanup_stmt_ sqlite3_stmt *st = doc_stmt(s, ST_INSTALLS_LIST, kind);
  sqlite3_bind_int(st, 1, limit);
  json_auto_t *docs = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(docs, row_doc(st));
  if (rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(docs);
  return 0;
}

static int interrupt_one(struct store *s, enum store_doc kind) {
  _cleanup_stmt_ sqlite3_stmt *st = doc_stmt(s, ST_INSTALLS_INTERRUPT, kind);
  int r = store_step_done(st);
  return r < 0 ? r : sqlite3_changes(store_db(s));
}

int store_docs_interrupt(struct store *s) {
  int installs = interrupt_one(s, STORE_INSTALLS);
  if (installs < 0)
    return installs;
  int traces = interrupt_one(s, STORE_TRACES);
  return traces < 0 ? traces : installs + traces;
}
