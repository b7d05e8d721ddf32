/* /proc/meminfo samples a guest printed during a run (lib/guest_memory.h). */
#define STORE_PRIVATE_ALLOWED /* a store file: see lib/store_private.h */
#include <errno.h>
#include <stdlib.h>

#include "lib/store_private.h"

store_sql_table store_guest_sql = {
    [ST_GUEST_MEMORY_INSERT] =
        "INSERT OR REPLACE INTO guest_memory (run_id, t_us, values_json) VALUES (?,?,?)",
    [ST_GUEST_MEMORY_LIST] =
        "SELECT t_us, values_json FROM guest_memory WHERE run_id=? ORDER BY t_us",
};

int store_guest_memory_insert(struct store *s, const char *run_id, int64_t t_us, json_t *values) {
  char *text = json_dumps(values, JSON_COMPACT | JSON_SORT_KEYS);
  if (!text)
    return -ENOMEM;
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_GUEST_MEMORY_INSERT);
  sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, t_us);
  sqlite3_bind_text(st, 3, text, -1, free); /* SQLite frees text, also when the bind fails */
  return store_step_done(st);
}

int store_guest_memory_list(struct store *s, const char *run_id, json_t **out) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_GUEST_MEMORY_LIST);
  sqlite3_bind_text(st, 1, run_id, -1, SQLITE_TRANSIENT);
  json_auto_t *samples = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *v = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
    json_array_append_new(samples, json_pack("{s:f, s:o}", "t_ms",
                                             (double)sqlite3_column_int64(st, 0) / 1000.0,
                                             "meminfo_kb", v ? v : json_object()));
  }
  if (rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(samples);
  return 0;
}
