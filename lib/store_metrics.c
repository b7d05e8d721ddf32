/* The aggregates /metrics shows, read in SQL here so that no file outside the store talks to SQLite. */
#define STORE_PRIVATE_ALLOWED
#include "lib/store_private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

/* Table names cannot be bound as parameters: only these are ever put into the query text. */
static const char *const counted_tables[] = {"runs", "installs", "traces", NULL};

int store_status_counts(struct store *s, const char *table, json_t **out) {
  bool known = false;
  for (size_t i = 0; counted_tables[i]; i++)
    known |= table && strcmp(table, counted_tables[i]) == 0;
  if (!known)
    return -EINVAL;
  char sql[96];
  snprintf(sql, sizeof sql, "SELECT status, COUNT(*) FROM %s GROUP BY status ORDER BY status", table);
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return sqlite_errno(rc);
  json_auto_t *counts = json_object();
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_object_set_new(counts, (const char *)sqlite3_column_text(st, 0), json_integer(sqlite3_column_int64(st, 1)));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(counts);
  return 0;
}

/* SELECT profile, COUNT(*), SUM(boot_time_us), SUM(boot_time_us <= le_0), ... over the succeeded runs. */
static char *histogram_sql(const double *le, size_t n) {
  struct util_buf sql = {0};
  int r = util_buf_printf(&sql, "SELECT profile, COUNT(*), SUM(boot_time_us)");
  for (size_t i = 0; r == 0 && i < n; i++)
    r = util_buf_printf(&sql, ", SUM(boot_time_us <= %lld)", (long long)(le[i] * 1e6));
  if (r == 0)
    r = util_buf_printf(&sql, " FROM runs WHERE status='succeeded' AND boot_time_us IS NOT NULL GROUP BY profile"
                              " ORDER BY profile");
  if (r < 0)
    util_buf_clear(&sql);
  return sql.data;
}

int store_boot_time_histogram(struct store *s, const double *le, size_t n, json_t **out) {
  _cleanup_(util_freep) char *sql = histogram_sql(le, n);
  if (!sql)
    return -ENOMEM;
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return sqlite_errno(rc);
  json_auto_t *rows = json_array();
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    json_t *buckets = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(buckets, json_integer(sqlite3_column_int64(st, 3 + (int)i)));
    json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:o}", "profile", (const char *)sqlite3_column_text(st, 0),
                                          "count", (json_int_t)sqlite3_column_int64(st, 1), "sum_us",
                                          (json_int_t)sqlite3_column_int64(st, 2), "buckets", buckets));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(rows);
  return 0;
}
