#include "lib/matrix_compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_field.h"
#include "lib/stats.h"
#include "lib/util.h"

#define ALPHA 0.05

static double num(json_t *o, const char *k) { return jfield_num(o, k); }

/* Statistics of one side; a side without a count and a mean (no successful run yet) has none. */
static bool stats_from_json(json_t *j, struct stats *s) {
  json_int_t n = json_integer_value(json_object_get(j, "n"));
  if (n <= 0 || !isfinite(num(j, "mean")))
    return false;
  *s = (struct stats){.n = (size_t)n, .mean = num(j, "mean"), .stdev = num(j, "stdev")};
  return true;
}

static json_t *config_of(json_t *report, json_int_t cpus) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(report, "configs"), i,
                     c) if (json_integer_value(json_object_get(c, "cpus")) == cpus) return c;
  return NULL;
}

static json_t *compare_config(json_int_t cpus, json_t *ca, json_t *cb) {
  struct stats a, b;
  json_t *out = json_pack("{s:I}", "cpus", cpus);
  if (!stats_from_json(json_object_get(ca, "boot_time_ms"), &a) ||
      !stats_from_json(json_object_get(cb, "boot_time_ms"), &b)) {
    json_object_set_new(out, "verdict", json_string("no successful runs on one side"));
    return out;
  }
  double diff = b.mean - a.mean;
  json_object_set_new(out, "mean_before_ms", json_real(a.mean));
  json_object_set_new(out, "mean_after_ms", json_real(b.mean));
  json_object_set_new(out, "difference_ms", jfield_real_or_null(diff));
  json_object_set_new(out, "difference_pct", jfield_real_or_null(diff / a.mean * 100));
  double t, df, p;
  if (stats_welch(&b, &a, &t, &df, &p) < 0 || !isfinite(t) || !isfinite(df) || !isfinite(p)) {
    json_object_set_new(out, "verdict",
                        json_string("not testable: needs two samples per side and some variation"));
    return out;
  }
  double half =
      stats_t95(df) * sqrt(b.stdev * b.stdev / (double)b.n + a.stdev * a.stdev / (double)a.n);
  json_object_set_new(out, "difference_ci95", json_pack("[f, f]", diff - half, diff + half));
  json_object_set_new(
      out, "test", json_pack("{s:s, s:f, s:f, s:f}", "name", "welch_t", "t", t, "df", df, "p", p));
  const char *verdict = p >= ALPHA ? "no significant change"
                        : diff > 0 ? "regression"
                                   : "improvement";
  json_object_set_new(out, "verdict", json_string(verdict));
  json_object_set_new(out, "regression", json_boolean(p < ALPHA && diff > 0));
  return out;
}

json_t *matrix_compare(json_t *a, json_t *b) {
  json_t *configs = json_array();
  size_t i;
  json_t *ca;
  json_array_foreach(json_object_get(a, "configs"), i, ca) {
    json_int_t cpus = json_integer_value(json_object_get(ca, "cpus"));
    json_t *cb = config_of(b, cpus);
    if (cb)
      json_array_append_new(configs, compare_config(cpus, ca, cb));
  }
  return json_pack("{s:O?, s:O?, s:f, s:o}", "before", json_object_get(a, "id"), "after",
                   json_object_get(b, "id"), "alpha", ALPHA, "configs", configs);
}

char *matrix_compare_text(json_t *cmp) {
  struct util_buf b = {0};
  util_buf_printf(&b, "Matrix %s (after) against %s (before), Welch's t test at alpha %.2f:\n",
                  jfield_str(cmp, "after", "-"), jfield_str(cmp, "before", "-"), num(cmp, "alpha"));
  util_buf_printf(&b, "%6s %12s %12s %12s %8s %25s %9s  %s\n", "vCPUs", "before ms", "after ms",
                  "diff ms", "diff%", "95% CI of the difference", "p", "verdict");
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(cmp, "configs"), i, c) {
    util_buf_printf(&b, "%6lld", (long long)json_integer_value(json_object_get(c, "cpus")));
    if (json_is_number(json_object_get(c, "difference_ms")))
      util_buf_printf(&b, " %12.3f %12.3f %12.3f %+7.2f%%", num(c, "mean_before_ms"),
                      num(c, "mean_after_ms"), num(c, "difference_ms"), num(c, "difference_pct"));
    else
      util_buf_printf(&b, " %12s %12s %12s %8s", "-", "-", "-", "-");
    json_t *ci = json_object_get(c, "difference_ci95");
    if (json_is_array(ci))
      util_buf_printf(&b, "  [%10.3f, %10.3f] %9.4f", json_number_value(json_array_get(ci, 0)),
                      json_number_value(json_array_get(ci, 1)),
                      num(json_object_get(c, "test"), "p"));
    else
      util_buf_printf(&b, " %25s %9s", "-", "-");
    util_buf_printf(&b, "  %s\n", jfield_str(c, "verdict", "-"));
  }
  return b.data ? b.data : strdup("");
}
