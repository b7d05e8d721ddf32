#include "api/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read-only aggregate queries straight on the store's connection: counting is all they do. */
#include "lib/store.h"
#include "api/rate_limit.h"
#include "api/stream_limits.h"
#include "core/disk_guard.h"
#include "lib/util.h"

struct count {
  const char *route; /* static: a pattern of api_routes */
  unsigned code;
  unsigned long long n;
};

struct metrics {
  struct count *c;
  size_t n, cap;
};

struct metrics *metrics_new(void) {
  return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m) {
  if (m)
    free(m->c);
  free(m);
}

void metrics_count(struct metrics *m, const char *route, unsigned code) {
  if (!m || !code)
    return;
  for (size_t i = 0; i < m->n; i++) {
    if (m->c[i].code == code && strcmp(m->c[i].route, route) == 0) {
      m->c[i].n++;
      return;
    }
  }
  if (m->n == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 32;
    struct count *c = realloc(m->c, cap * sizeof *c);
    if (!c)
      return;
    m->c = c;
    m->cap = cap;
  }
  m->c[m->n++] = (struct count){route, code, 1};
}

static void header(struct util_buf *b, const char *name, const char *type, const char *help) {
  util_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values are our own route patterns, statuses and profile names: escaped anyway. */
static void label(struct util_buf *b, const char *v) {
  for (; *v; v++) {
    if (*v == '\\' || *v == '"')
      util_buf_printf(b, "\\%c", *v);
    else if (*v == '\n')
      util_buf_printf(b, "\\n");
    else
      util_buf_append(b, v, 1);
  }
}

static void status_gauge(struct util_buf *b, const char *name, const char *status, json_int_t n) {
  util_buf_printf(b, "%s{status=\"", name);
  label(b, status);
  util_buf_printf(b, "\"} %lld\n", (long long)n);
}

/* Rows of a store table by status. With all (NULL-terminated) each of those is written, 0 when
 * absent, in that order; without, the statuses found. A store that cannot answer leaves the family
 * without samples. */
static void by_status(struct util_buf *b, struct store *store, const char *table, const char *name,
                      const char *help, const char *const *all) {
  header(b, name, "gauge", help);
  json_auto_t *counts = NULL;
  if (store_status_counts(store, table, &counts) < 0)
    return;
  if (all) {
    for (size_t i = 0; all[i]; i++) /* json_integer_value of an absent count is 0 */
      status_gauge(b, name, all[i], json_integer_value(json_object_get(counts, all[i])));
    return;
  }
  const char *status;
  json_t *n;
  json_object_foreach(counts, status, n) status_gauge(b, name, status, json_integer_value(n));
}

static void histogram_sample(struct util_buf *b, const char *suffix, const char *profile,
                             const char *le) {
  util_buf_printf(b, "minix_analysis_boot_time_seconds_%s{profile=\"", suffix);
  label(b, profile);
  if (le)
    util_buf_printf(b, "\",le=\"%s", le);
  util_buf_printf(b, "\"} ");
}

/* Boot times of succeeded runs, seconds, cumulative buckets per profile. */
static void boot_histogram(struct util_buf *b, struct store *store) {
  static const double le[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
  const size_t nb = sizeof le / sizeof le[0];
  header(b, "minix_analysis_boot_time_seconds", "histogram",
         "Boot time (QMP cont to the terminal marker) of succeeded runs, per profile.");
  json_auto_t *rows = NULL;
  if (store_boot_time_histogram(store, le, nb, &rows) < 0)
    return;
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    const char *profile = json_string_value(json_object_get(row, "profile"));
    long long count = (long long)json_integer_value(json_object_get(row, "count"));
    for (size_t k = 0; k < nb; k++) {
      char bound[32];
      snprintf(bound, sizeof bound, "%g", le[k]);
      histogram_sample(b, "bucket", profile, bound);
      util_buf_printf(
          b, "%lld\n",
          (long long)json_integer_value(json_array_get(json_object_get(row, "buckets"), k)));
    }
    histogram_sample(b, "bucket", profile, "+Inf");
    util_buf_printf(b, "%lld\n", count);
    histogram_sample(b, "sum", profile, NULL);
    util_buf_printf(b, "%.6f\n", (double)json_integer_value(json_object_get(row, "sum_us")) / 1e6);
    histogram_sample(b, "count", profile, NULL);
    util_buf_printf(b, "%lld\n", count);
  }
}

/* The state dir's disk, as /api/v1/health reports it. */
static void disk_gauges(struct util_buf *b, struct disk_guard *g) {
  if (!g)
    return;
  struct disk_usage u;
  disk_guard_usage(g, &u);
  header(b, "minix_analysis_state_dir_bytes", "gauge",
         "Bytes the state dir uses on disk, reserve excluded (last measure; renewed in the "
         "background past 10 s).");
  util_buf_printf(b, "minix_analysis_state_dir_bytes %lld\n", (long long)u.state_dir_bytes);
  if (u.quota_bytes) {
    header(b, "minix_analysis_state_dir_quota_bytes", "gauge", "--max-state-mb in bytes.");
    util_buf_printf(b, "minix_analysis_state_dir_quota_bytes %lld\n", (long long)u.quota_bytes);
  }
  if (u.free_bytes >= 0) {
    header(b, "minix_analysis_state_fs_free_bytes", "gauge",
           "Bytes free for the daemon on the state dir's filesystem.");
    util_buf_printf(b, "minix_analysis_state_fs_free_bytes %lld\n", (long long)u.free_bytes);
  }
}

char *metrics_render(struct api_ctx *ctx) {
  struct util_buf b = {0};
  by_status(&b, ctx->core->store, "runs", "minix_analysis_runs", "Runs in the store by status.",
            run_statuses);
  int queued, running;
  jobs_counts(ctx->core->jobs, &queued, &running);
  header(&b, "minix_analysis_queue_length", "gauge", "Boots waiting to start.");
  util_buf_printf(&b, "minix_analysis_queue_length %d\n", queued);
  header(&b, "minix_analysis_qemu_running", "gauge", "QEMU processes the daemon supervises now.");
  util_buf_printf(&b, "minix_analysis_qemu_running %d\n", running);
  boot_histogram(&b, ctx->core->store);
  disk_gauges(&b, ctx->core->disk);
  by_status(&b, ctx->core->store, "installs", "minix_analysis_installs",
            "Unattended installs by status.", NULL);
  by_status(&b, ctx->core->store, "traces", "minix_analysis_traces", "Syscall traces by status.",
            NULL);
  header(&b, "minix_analysis_event_streams", "gauge",
         "Event streams open now (--max-streams caps them).");
  util_buf_printf(&b, "minix_analysis_event_streams %d\n", stream_limits_open(ctx->streams));
  header(&b, "minix_analysis_rate_limited_total", "counter",
         "Requests refused with 429 by --rate-limit.");
  util_buf_printf(&b, "minix_analysis_rate_limited_total %llu\n",
                  (unsigned long long)rate_limit_rejected(ctx->rate_limit));
  header(&b, "minix_analysis_http_responses_total", "counter",
         "HTTP responses by route pattern and status code since the daemon started (503: queue "
         "full or stopping).");
  for (size_t i = 0; ctx->metrics && i < ctx->metrics->n; i++) {
    util_buf_printf(&b, "minix_analysis_http_responses_total{route=\"");
    label(&b, ctx->metrics->c[i].route);
    util_buf_printf(&b, "\",code=\"%u\"} %llu\n", ctx->metrics->c[i].code, ctx->metrics->c[i].n);
  }
  return b.data;
}
