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

/* What Welch's test with p says of a difference diff (after - before). */
static const char *welch_verdict(double p, double diff) {
  return p >= ALPHA ? "no significant change" : diff > 0 ? "regression" : "improvement";
}

/* Both sides ran each of their boots with the same instructions (two or more runs, no spread). */
static bool exact(const struct stats *a, const struct stats *b) {
  return a->n >= 2 && b->n >= 2 && a->stdev == 0 && b->stdev == 0;
}

/* Every successful run of the config was counted: a count missing on one run could hide a run
 * that executed something else. */
static bool all_counted(json_t *config, const struct stats *s) {
  return (json_int_t)s->n == json_integer_value(json_object_get(config, "succeeded"));
}

/* Phase by phase, in instructions: where a change is, and that the phases before it did not
 * move. */
static json_t *compare_phases(json_t *ca, json_t *cb, bool can_be_exact) {
  json_t *out = json_array(), *pa, *pb;
  size_t i, k;
  json_array_foreach(json_object_get(ca, "phases"), i, pa) {
    struct stats a, b;
    if (!stats_from_json(json_object_get(pa, "instructions"), &a))
      continue;
    json_array_foreach(json_object_get(cb, "phases"), k, pb) {
      if (!json_equal(json_object_get(pa, "phase"), json_object_get(pb, "phase")) ||
          !stats_from_json(json_object_get(pb, "instructions"), &b))
        continue;
      json_array_append_new(out, json_pack("{s:O, s:f, s:f, s:f, s:b}", "phase",
                                           json_object_get(pa, "phase"), "before", a.mean, "after",
                                           b.mean, "difference", b.mean - a.mean, "exact",
                                           can_be_exact && exact(&a, &b)));
    }
  }
  return out;
}

/* The virtual clock's side of a config's comparison, in instructions: where both sides' runs
 * executed the same instructions every time, a difference of one instruction is real. */
static json_t *compare_virtual(json_t *ca, json_t *cb, bool one_qemu) {
  struct stats a, b;
  if (!stats_from_json(json_object_get(ca, "boot_instructions"), &a) ||
      !stats_from_json(json_object_get(cb, "boot_instructions"), &b))
    return json_pack("{s:s}", "verdict", "not counted on one side");
  double diff = b.mean - a.mean;
  bool comparable = one_qemu && all_counted(ca, &a) && all_counted(cb, &b);
  bool is_exact = comparable && exact(&a, &b);
  json_t *out = json_pack("{s:f, s:f, s:f, s:o, s:b}", "mean_before", a.mean, "mean_after", b.mean,
                          "difference", diff, "difference_pct",
                          jfield_real_or_null(diff / a.mean * 100), "exact", is_exact);
  const char *verdict;
  double t, df, p;
  if (is_exact)
    verdict = diff == 0 ? "identical" : diff > 0 ? "more instructions" : "fewer instructions";
  else if (stats_welch(&b, &a, &t, &df, &p) < 0 || !isfinite(p))
    verdict = "not testable: needs two samples per side";
  else {
    json_object_set_new(
        out, "test",
        json_pack("{s:s, s:f, s:f, s:f}", "name", "welch_t", "t", t, "df", df, "p", p));
    verdict = welch_verdict(p, diff);
  }
  json_object_set_new(out, "verdict", json_string(verdict));
  json_object_set_new(out, "phases", compare_phases(ca, cb, comparable));
  return out;
}

static size_t qemu_versions(json_t *a, json_t *b) {
  json_auto_t *seen = json_object();
  json_t *reports[] = {a, b}, *h;
  size_t i;
  for (size_t k = 0; k < 2; k++)
    json_array_foreach(json_object_get(reports[k], "hosts"), i, h) {
      const char *v = jfield_str(h, "qemu_version", NULL);
      if (v)
        json_object_set_new(seen, v, json_true());
    }
  return json_object_size(seen);
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
  const char *verdict = welch_verdict(p, diff);
  json_object_set_new(out, "verdict", json_string(verdict));
  json_object_set_new(out, "regression", json_boolean(p < ALPHA && diff > 0));
  return out;
}

json_t *matrix_compare(json_t *a, json_t *b) {
  json_t *configs = json_array();
  size_t i;
  json_t *ca;
  /* Instruction counts compare only under one rate: the shift changes how many instructions a
   * guest runs while it waits for time to pass. */
  bool a_virtual = strcmp(jfield_str(a, "clock", "host"), "virtual") == 0,
       b_virtual = strcmp(jfield_str(b, "clock", "host"), "virtual") == 0;
  bool both_virtual = a_virtual && b_virtual;
  bool same_clock = both_virtual && json_equal(json_object_get(a, "icount_shift"),
                                               json_object_get(b, "icount_shift"));
  /* The plugin's counts follow QEMU 7.2's order of plugin callbacks; another version may count the
   * OUT itself: runs of different QEMU versions are never called exactly equal. */
  bool one_qemu = qemu_versions(a, b) <= 1;
  json_array_foreach(json_object_get(a, "configs"), i, ca) {
    json_int_t cpus = json_integer_value(json_object_get(ca, "cpus"));
    json_t *cb = config_of(b, cpus);
    if (!cb)
      continue;
    json_t *c = compare_config(cpus, ca, cb);
    json_t *v = same_clock ? compare_virtual(ca, cb, one_qemu) : NULL;
    if (v)
      json_object_set_new(c, "virtual", v);
    json_array_append_new(configs, c);
  }
  json_t *out = json_pack("{s:O?, s:O?, s:f, s:o}", "before", json_object_get(a, "id"), "after",
                          json_object_get(b, "id"), "alpha", ALPHA, "configs", configs);
  if (!same_clock && (a_virtual || b_virtual))
    json_object_set_new(
        out, "virtual_note",
        json_string("the two matrices did not both use the virtual clock at the "
                    "same icount shift: their instruction counts are not compared"));
  return out;
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
  json_array_foreach(json_object_get(cmp, "configs"), i, c) {
    json_t *v = json_object_get(c, "virtual"), *ph;
    if (!v)
      continue;
    util_buf_printf(&b, "Virtual clock, %lld vCPU: %.0f -> %.0f instructions, %+.0f (%s%s)\n",
                    (long long)json_integer_value(json_object_get(c, "cpus")),
                    num(v, "mean_before"), num(v, "mean_after"), num(v, "difference"),
                    jfield_str(v, "verdict", "-"),
                    json_is_true(json_object_get(v, "exact")) ? ", exact" : "");
    size_t k;
    json_array_foreach(json_object_get(v, "phases"), k, ph) {
      if (num(ph, "difference") != 0)
        util_buf_printf(&b, "  %-44s %+.0f instructions%s\n", jfield_str(ph, "phase", "-"),
                        num(ph, "difference"),
                        json_is_true(json_object_get(ph, "exact")) ? " (exact)" : "");
    }
  }
  if (json_object_get(cmp, "virtual_note"))
    util_buf_printf(&b, "%s.\n", jfield_str(cmp, "virtual_note", ""));
  return b.data ? b.data : strdup("");
}
