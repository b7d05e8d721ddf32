/* The aggregates /metrics shows, read in SQL here so that no file outside the store talks to
 * SQLite. */
#define STORE_PRIVATE_ALLOWED /* a store file: see lib/store_private.h */
#include "lib/store_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Table names cannot be bound as parameters: one statement per table that may be counted. */
#define BY_STATUS(table) "SELECT status, COUNT(*) FROM " table " GROUP BY status ORDER BY status"

store_sql_table store_metrics_sql = {
    [ST_RUNS_BY_STATUS] = BY_STATUS("runs"),
    [ST_INSTALLS_BY_STATUS] = BY_STATUS("installs"),
    [ST_TRACES_BY_STATUS] = BY_STATUS("traces"),
    /* The buckets are counted in C: their bounds are the caller's, and a statement prepared once
     * cannot have a column per bound. */
    [ST_BOOT_TIMES] = "SELECT profile, boot_time_us FROM runs WHERE status='succeeded' AND "
                      "boot_time_us IS NOT NULL"
                      " ORDER BY profile",
};

static const struct {
  const char *table;
  enum store_stmt id;
} counted[] = {{"runs", ST_RUNS_BY_STATUS},
               {"installs", ST_INSTALLS_BY_STATUS},
               {"traces", ST_TRACES_BY_STATUS}};

int store_status_counts(struct store *s, const char *table, json_t **out) {
  size_t i = 0;
  while (i < sizeof counted / sizeof counted[0] && !(table && strcmp(table, counted[i].table) == 0))
    i++;
  if (i == sizeof counted / sizeof counted[0])
    return -EINVAL;
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, counted[i].id);
  json_auto_t *counts = json_object();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_object_set_new(counts, (const char *)sqlite3_column_text(st, 0),
                        json_integer(sqlite3_column_int64(st, 1)));
  if (rc != SQLITE_DONE)
    return sqlite_errno(rc);
  *out = json_incref(counts);
  return 0;
}

/* One profile's histogram while its rows are read. */
struct histogram {
  const double *le;
  size_t n;
  char *profile; /* NULL before the first row */
  json_int_t count, sum_us, *buckets;
};

static json_t *histogram_json(const struct histogram *h) {
  json_t *buckets = json_array();
  for (size_t i = 0; i < h->n; i++)
    json_array_append_new(buckets, json_integer(h->buckets[i]));
  return json_pack("{s:s, s:I, s:I, s:o}", "profile", h->profile, "count", h->count, "sum_us",
                   h->sum_us, "buckets", buckets);
}

/* Appends the profile read so far to rows, if any, and starts profile. */
static int histogram_next(struct histogram *h, json_t *rows, const char *profile) {
  if (h->profile && json_array_append_new(rows, histogram_json(h)) < 0)
    return -ENOMEM;
  free(h->profile);
  h->profile = profile ? strdup(profile) : NULL;
  h->count = h->sum_us = 0;
  memset(h->buckets, 0, h->n * sizeof *h->buckets);
  return profile && !h->profile ? -ENOMEM : 0;
}

static void histogram_add(struct histogram *h, int64_t boot_us) {
  h->count++;
  h->sum_us += boot_us;
  for (size_t i = 0; i < h->n; i++)
    h->buckets[i] += boot_us <= (int64_t)(h->le[i] * 1e6);
}

/* The rows come ordered by profile: a profile's histogram is complete when the next profile starts.
 */
static int histogram_rows(struct store *s, struct histogram *h, json_t *rows) {
  _cleanup_stmt_ sqlite3_stmt *st = store_stmt(s, ST_BOOT_TIMES);
  int rc = SQLITE_DONE, r = 0;
  while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *profile = (const char *)sqlite3_column_text(st, 0);
    if (!profile)
      continue; /* the column is NOT NULL; an old row without one has no label to show */
    if (!h->profile || strcmp(profile, h->profile) != 0)
      r = histogram_next(h, rows, profile);
    if (r == 0)
      histogram_add(h, sqlite3_column_int64(st, 1));
  }
  if (r < 0)
    return r;
  return rc == SQLITE_DONE ? histogram_next(h, rows, NULL) : sqlite_errno(rc);
}

int store_boot_time_histogram(struct store *s, const double *le, size_t n, json_t **out) {
  _cleanup_(util_freep) json_int_t *buckets = calloc(n ? n : 1, sizeof *buckets);
  if (!buckets)
    return -ENOMEM;
  struct histogram h = {.le = le, .n = n, .buckets = buckets};
  json_auto_t *rows = json_array();
  int r = histogram_rows(s, &h, rows);
  free(h.profile);
  if (r < 0)
    return r;
  *out = json_incref(rows);
  return 0;
}
