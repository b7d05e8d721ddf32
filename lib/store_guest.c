/* /proc/meminfo samples a guest printed during a run (lib/guest_memory.h). */
#define STORE_PRIVATE_ALLOWED /* a store file: see lib/store_private.h */
#include <stdlib.h>

#include "lib/store_private.h"

int store_guest_memory_insert(struct store *s, const char *run_id, int64_t t_us, json_t *values) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(store_db(s), "INSERT OR REPLACE INTO guest_memory (run_id, t_us, values_json)"
                                           " VALUES (?,?,?)", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return sqlite_errno(rc);
  sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, t_us);
  sqlite3_bind_text(st, 3, json_dumps(values, JSON_COMPACT | JSON_SORT_KEYS), -1, free);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}

int store_guest_memory_list(struct store *s, const char *run_id, json_t **out) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(store_db(s), "SELECT t_us, values_json FROM guest_memory WHERE run_id=? ORDER BY t_us",
                              -1, &st, NULL);
  if (rc != SQLITE_OK)
    return sqlite_errno(rc);
  sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  *out = json_array();
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *v = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
    json_array_append_new(*out, json_pack("{s:f, s:o}", "t_ms", (double)sqlite3_column_int64(st, 0) / 1000.0,
                                          "meminfo_kb", v ? v : json_object()));
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : sqlite_errno(rc);
}
