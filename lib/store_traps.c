/* Interrupt counts of a run (lib/int_log.h), stored per second, vector and kind. */
#define STORE_PRIVATE_ALLOWED /* a store file: see lib/store_private.h */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/int_log.h"
#include "lib/store_private.h"

store_sql_table store_traps_sql = {
    [ST_TRAP_PUT] = "INSERT OR REPLACE INTO trap_counts (run_id, second, vector, kind, count) "
                    "VALUES (?,?,?,?,?)",
    [ST_TRAPS_PER_SECOND] = "SELECT second, vector, kind, count FROM trap_counts WHERE run_id=?"
                            " ORDER BY second, vector, kind",
    [ST_TRAP_TOTALS] = "SELECT vector, kind, SUM(count) AS n FROM trap_counts WHERE run_id=?"
                       " GROUP BY vector, kind ORDER BY n DESC, vector",
};

struct put {
  sqlite3_stmt *st;
  const char *run_id;
  int r; /* 0 until a row fails: then its -errno, and the rows after it are skipped */
};

static enum int_kind kind_of(const char *s) {
  return s[0] == 'e' ? INT_EXCEPTION : s[0] == 's' ? INT_SOFTWARE : INT_HARDWARE;
}

static void put_one(void *u, int second, int vector, enum int_kind kind, int64_t count) {
  struct put *p = u;
  if (p->r < 0)
    return;
  sqlite3_reset(p->st); /* the bindings stay: each is bound again below */
  sqlite3_bind_text(p->st, 1, p->run_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(p->st, 2, second);
  sqlite3_bind_int(p->st, 3, vector);
  sqlite3_bind_text(p->st, 4, int_kind_name(kind), -1, SQLITE_STATIC);
  sqlite3_bind_int64(p->st, 5, count);
  p->r = store_step_done(p->st);
}

/* One transaction: a run's counts are there in full or not at all. */
int store_traps_put(struct store *s, const char *run_id, const struct int_counter *c) {
  int r = store_begin(s);
  if (r < 0)
    return r;
  {
    _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_TRAP_PUT);
    struct put p = {st, run_id, 0};
    int_counter_each(c, put_one, &p);
    r = p.r;
  } /* st reset here, before the COMMIT */
  return store_end(s, r);
}

static json_t *vector_json(int vector, const char *kind, json_int_t count) {
  char hex[8];
  snprintf(hex, sizeof hex, "0x%02x", vector);
  const char *name = int_vector_name(vector, kind_of(kind));
  return json_pack("{s:i, s:s, s:s, s:o, s:I}", "vector", vector, "hex", hex, "kind", kind, "name",
                   name ? json_string(name) : json_null(), "count", count);
}

static int per_second(struct store *s, const char *run_id, json_t *out) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_TRAPS_PER_SECOND);
  sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  json_t *cur = NULL;
  int cur_second = -1, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int second = sqlite3_column_int(st, 0);
    if (second != cur_second) {
      cur = json_array();
      json_array_append_new(out, json_pack("{s:i, s:o}", "second", second, "counts", cur));
      cur_second = second;
    }
    json_array_append_new(cur, vector_json(sqlite3_column_int(st, 1),
                                           (const char *)sqlite3_column_text(st, 2),
                                           sqlite3_column_int64(st, 3)));
  }
  return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

static int totals(struct store *s, const char *run_id, json_t *out) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_TRAP_TOTALS);
  sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(out, vector_json(sqlite3_column_int(st, 0),
                                           (const char *)sqlite3_column_text(st, 1),
                                           sqlite3_column_int64(st, 2)));
  return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

int store_traps_get(struct store *s, const char *run_id, json_t **out) {
  json_auto_t *seconds = json_array(), *all = json_array();
  int r = per_second(s, run_id, seconds);
  if (r == 0)
    r = totals(s, run_id, all);
  if (r < 0)
    return r;
  *out = json_pack("{s:O, s:O}", "totals", all, "per_second", seconds);
  return *out ? 0 : -ENOMEM;
}
