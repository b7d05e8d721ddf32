/* Interrupt counts of a run (lib/int_log.h), stored per second, vector and kind. */
#define STORE_PRIVATE_ALLOWED /* a store file: see lib/store_private.h */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/int_log.h"
#include "lib/store_private.h"

struct put {
  sqlite3_stmt *st;
  const char *run_id;
  int rc;
};

static enum int_kind kind_of(const char *s) {
  return s[0] == 'e' ? INT_EXCEPTION : s[0] == 's' ? INT_SOFTWARE : INT_HARDWARE;
}

static void put_one(void *u, int second, int vector, enum int_kind kind, int64_t count) {
  struct put *p = u;
  if (p->rc != SQLITE_DONE)
    return;
  sqlite3_reset(p->st);
  sqlite3_bind_text(p->st, 1, p->run_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(p->st, 2, second);
  sqlite3_bind_int(p->st, 3, vector);
  sqlite3_bind_text(p->st, 4, int_kind_name(kind), -1, SQLITE_STATIC);
  sqlite3_bind_int64(p->st, 5, count);
  p->rc = sqlite3_step(p->st);
}

int store_traps_put(struct store *s, const char *run_id, const struct int_counter *c) {
  sqlite3 *db = store_db(s);
  struct put p = {NULL, run_id, SQLITE_DONE};
  int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db,
                            "INSERT OR REPLACE INTO trap_counts (run_id, second, vector, kind, count) VALUES (?,?,?,?,?)",
                            -1, &p.st, NULL);
  if (rc == SQLITE_OK)
    int_counter_each(c, put_one, &p);
  sqlite3_finalize(p.st);
  bool ok = rc == SQLITE_OK && p.rc == SQLITE_DONE;
  sqlite3_exec(db, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
  return ok ? 0 : sqlite_errno(rc != SQLITE_OK ? rc : p.rc);
}

static json_t *vector_json(int vector, const char *kind, json_int_t count) {
  char hex[8];
  snprintf(hex, sizeof hex, "0x%02x", vector);
  const char *name = int_vector_name(vector, kind_of(kind));
  return json_pack("{s:i, s:s, s:s, s:o, s:I}", "vector", vector, "hex", hex, "kind", kind, "name",
                   name ? json_string(name) : json_null(), "count", count);
}

int store_traps_get(struct store *s, const char *run_id, json_t **out) {
  sqlite3 *db = store_db(s);
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, "SELECT second, vector, kind, count FROM trap_counts WHERE run_id=?"
                                  " ORDER BY second, vector, kind", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return sqlite_errno(rc);
  sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  json_t *per_second = json_array(), *cur = NULL;
  int cur_second = -1;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int second = sqlite3_column_int(st, 0);
    if (second != cur_second) {
      cur = json_array();
      json_array_append_new(per_second, json_pack("{s:i, s:o}", "second", second, "counts", cur));
      cur_second = second;
    }
    json_array_append_new(cur, vector_json(sqlite3_column_int(st, 1), (const char *)sqlite3_column_text(st, 2),
                                           sqlite3_column_int64(st, 3)));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    json_decref(per_second);
    return sqlite_errno(rc);
  }
  rc = sqlite3_prepare_v2(db, "SELECT vector, kind, SUM(count) AS n FROM trap_counts WHERE run_id=?"
                              " GROUP BY vector, kind ORDER BY n DESC, vector", -1, &st, NULL);
  json_t *totals = json_array();
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      json_array_append_new(totals, vector_json(sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1),
                                                sqlite3_column_int64(st, 2)));
    sqlite3_finalize(st);
  }
  *out = json_pack("{s:o, s:o}", "totals", totals, "per_second", per_second);
  return 0;
}
