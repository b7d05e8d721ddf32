#include "lib/claims.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/embedded.h"
#include "lib/json_field.h"
#include "lib/stats.h"
#include "lib/util.h"

#define SPAN_TERMINAL "qemu_cont_to_terminal"
#define SPAN_MARKER "qemu_cont_to_marker"

static const char *str(json_t *o, const char *k) { return jfield_str(o, k, NULL); }

json_t *claims_builtin(const char *name) {
  for (const struct embedded_file *f = embedded_claims; f->name; f++) {
    json_t *doc = json_loadb(f->text, f->len, 0, NULL);
    if (doc && name && strcmp(str(doc, "name") ? str(doc, "name") : "", name) == 0)
      return doc;
    json_decref(doc);
  }
  return NULL;
}

const char *claims_status(double error_pct) {
  double e = fabs(error_pct);
  return e < 10 ? "VERIFIED" : e < 20 ? "PLAUSIBLE" : "NEEDS_VALIDATION";
}

static json_t *result(json_t *claim, const char *status, const char *explanation) {
  json_t *estimate = json_object_get(claim, "estimate");
  return json_pack("{s:s?, s:s?, s:s, s:O, s:n, s:n, s:s}", "id", str(claim, "id"), "description",
                   str(claim, "description"), "status", status, "estimate",
                   estimate ? estimate : json_null(), "measured", "error_pct", "explanation",
                   explanation);
}

/* Why the claims do not apply to this guest at all, or NULL. */
static char *guest_mismatch(json_t *doc, json_t *report, json_t *runs) {
  const char *profile = str(json_object_get(report, "request"), "profile");
  if (str(doc, "profile") && profile && strcmp(str(doc, "profile"), profile) != 0)
    return util_strdupf("the claims are about guests of profile %s; this matrix used profile %s",
                        str(doc, "profile"), profile);
  const char *exclude = str(doc, "exclude_banner");
  size_t i;
  json_t *run;
  json_array_foreach(runs, i, run) {
    const char *banner = str(json_array_get(json_object_get(run, "markers"), 0), "text");
    if (exclude && banner && strstr(banner, exclude))
      return util_strdupf(
          "the guest printed \"%s\": it is a test fixture, not the system the claims are about",
          banner);
  }
  return NULL;
}

/* The configs a claim is about: arch must match, cpus (when given) selects one. */
static bool applies(json_t *claim, json_t *report, json_t *config) {
  json_t *a = json_object_get(claim, "applies");
  const char *arch = str(json_object_get(report, "request"), "arch");
  if (str(a, "arch") && strcmp(str(a, "arch"), arch ? arch : "x86_64") != 0)
    return false;
  json_t *cpus = json_object_get(a, "cpus");
  return !cpus || json_integer_value(cpus) == json_integer_value(json_object_get(config, "cpus"));
}

static json_t *measured_stats(json_t *claim, json_t *config, const char **span) {
  const char *metric = jfield_str(claim, "metric", "");
  if (strcmp(metric, "boot_time_ms") == 0) {
    *span = SPAN_TERMINAL;
    return json_object_get(config, "boot_time_ms");
  }
  *span = SPAN_MARKER;
  size_t i;
  json_t *m;
  if (strncmp(metric, "marker:", 7) != 0)
    return NULL;
  json_array_foreach(json_object_get(config, "markers"), i, m) {
    if (strcmp(jfield_str(m, "name", ""), metric + 7) == 0)
      return json_object_get(m, "t_ms");
  }
  return NULL;
}

static json_t *measured(json_t *config, json_t *s) {
  return json_pack("{s:O?, s:O?, s:O?}", "cpus", json_object_get(config, "cpus"), "mean",
                   json_object_get(s, "mean"), "ci95", json_object_get(s, "ci95"));
}

/* The marker a kernel_entry_to_* span ends at (NULL: the terminal marker), or "" for other spans.
 */
static const char *entry_span_end(const char *span) {
  if (!span || strncmp(span, "kernel_entry_to_", 16) != 0)
    return "";
  return strcmp(span, "kernel_entry_to_userspace") == 0 ? "scheduler_ready" : NULL;
}

/* The t_ms of the run's marker name (from source, when given), or NAN. */
static double run_marker_ms(json_t *run, const char *name, const char *source) {
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(run, "markers"), i, m) {
    if (strcmp(jfield_str(m, "name", ""), name) == 0 &&
        (!source || strcmp(jfield_str(m, "source", ""), source) == 0))
      return jfield_num(m, "t_ms");
  }
  return NAN;
}

/* A kernel_entry_to_* span from the runs of config that carry symbol markers: from the breakpoint
 * on the kernel's entry (multiboot_detected) to end (the terminal marker when NULL); *accel is the
 * runs' accelerator ("mixed" when they differ). False when no run has it. */
static bool symbol_span(json_t *config, json_t *runs, const char *end, struct stats *st,
                        const char **accel) {
  size_t n = 0, i;
  double *x = calloc(json_array_size(runs) + 1, sizeof *x);
  json_t *run;
  *accel = NULL;
  json_array_foreach(runs, i, run) {
    if (!x || strcmp(jfield_str(run, "status", ""), "succeeded") != 0 ||
        json_integer_value(json_object_get(run, "cpus")) !=
            json_integer_value(json_object_get(config, "cpus")))
      continue;
    double from = run_marker_ms(run, "multiboot_detected", "symbol");
    double to = end ? run_marker_ms(run, end, NULL) : jfield_num(run, "boot_time_ms");
    if (!isfinite(from) || !isfinite(to))
      continue;
    x[n++] = to - from;
    const char *a = jfield_str(run, "accel", "unknown");
    *accel = !*accel || strcmp(*accel, a) == 0 ? a : "mixed";
  }
  bool ok = n > 0 && stats_compute(x, n, st) == 0;
  free(x);
  return ok;
}

/* A claim about a span from the kernel's entry, measured from symbol markers. TCG emulates the CPU,
 * so a TCG time against an estimate for hardware is judged as asked but says so in its explanation.
 */
static json_t *compare_symbol_span(json_t *claim, json_t *config, const struct stats *st,
                                   const char *accel) {
  double estimate = jfield_num(claim, "estimate");
  if (!isfinite(estimate) || estimate == 0)
    return result(claim, "NOT_COMPARABLE", "the claim states no estimate to compare with");
  double error = (st->mean - estimate) / estimate * 100;
  const char *end = entry_span_end(str(claim, "span"));
  _cleanup_(util_freep) char *why = util_strdupf(
      "%smeasured from the breakpoint on the kernel's entry to %s (symbol markers, the stops "
      "included), %zu run(s): "
      "mean %.3f ms vs estimate %.3f ms",
      strcmp(accel, "kvm") == 0   ? ""
      : strcmp(accel, "tcg") == 0 ? "under TCG, which emulates the CPU, against an estimate for "
                                    "hardware: not a hardware measurement; "
                                  : "accelerator not uniform: ",
      end ? end : "the terminal marker", st->n, st->mean, estimate);
  json_t *r = result(claim, claims_status(error), why);
  json_t *ci =
      json_pack("[o, o]", jfield_real_or_null(st->ci_low), jfield_real_or_null(st->ci_high));
  json_object_set_new(r, "measured",
                      json_pack("{s:O?, s:f, s:o, s:I, s:s?, s:s}", "cpus",
                                json_object_get(config, "cpus"), "mean", st->mean, "ci95", ci, "n",
                                (json_int_t)st->n, "span", str(claim, "span"), "accel", accel));
  json_object_set_new(r, "error_pct", jfield_real_or_null(error));
  return r;
}

static json_t *compare_time(json_t *claim, json_t *config, json_t *runs) {
  const char *end = entry_span_end(str(claim, "span")), *accel;
  struct stats st;
  if ((!end || *end) && symbol_span(config, runs, end, &st, &accel))
    return compare_symbol_span(claim, config, &st, accel);
  const char *span;
  json_t *s = measured_stats(claim, config, &span);
  /* A mean that is not there (too few runs yet, say) is not a measurement of 0 ms. */
  if (!json_is_object(s) || !json_is_number(json_object_get(s, "mean")))
    return result(claim, "NOT_COMPARABLE",
                  "this matrix has no successful measurement of the claimed metric");
  if (!str(claim, "span") || strcmp(str(claim, "span"), span) != 0) {
    _cleanup_(util_freep) char *why = util_strdupf(
        "the claim counts %s but the measurement counts %s: it starts at QMP cont and so includes "
        "the firmware and "
        "the boot loader (symbol markers, \"symbols\": true, measure from the kernel's entry)",
        str(claim, "span") ? str(claim, "span") : "an unstated span", span);
    json_t *r = result(claim, "NOT_COMPARABLE", why);
    json_object_set_new(r, "measured", measured(config, s));
    return r;
  }
  double estimate = jfield_num(claim, "estimate"), mean = jfield_num(s, "mean");
  if (!isfinite(estimate) || estimate == 0)
    return result(claim, "NOT_COMPARABLE", "the claim states no estimate to compare with");
  double error = (mean - estimate) / estimate * 100;
  _cleanup_(util_freep) char *why =
      util_strdupf("measured mean %.3f ms vs estimate %.3f ms", mean, estimate);
  json_t *r = result(claim, claims_status(error), why);
  json_object_set_new(r, "measured", measured(config, s));
  json_object_set_new(r, "error_pct", jfield_real_or_null(error));
  return r;
}

/* Repeatability: the largest coefficient of variation over configs with n >= 2. */
static json_t *compare_cv(json_t *claim, json_t *report) {
  double worst = NAN, threshold = jfield_num(claim, "threshold");
  json_int_t worst_cpus = 0;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(report, "configs"), i, c) {
    json_t *cv = json_object_get(json_object_get(c, "boot_time_ms"), "cv");
    if (json_is_number(cv) && !(json_number_value(cv) <= worst)) {
      worst = json_number_value(cv);
      worst_cpus = json_integer_value(json_object_get(c, "cpus"));
    }
  }
  if (isnan(threshold))
    return result(claim, "NOT_COMPARABLE", "the claim states no threshold to compare with");
  if (isnan(worst))
    return result(claim, "NOT_COMPARABLE",
                  "no config has two successful samples to measure variation");
  _cleanup_(util_freep) char *why =
      util_strdupf("largest coefficient of variation %.2f%% (%lld vCPU) vs at most %.2f%%",
                   worst * 100, (long long)worst_cpus, threshold * 100);
  json_t *r = result(claim, worst < threshold ? "VERIFIED" : "NEEDS_VALIDATION", why);
  json_object_set_new(r, "measured", json_pack("{s:f, s:I}", "cv", worst, "cpus", worst_cpus));
  return r;
}

static json_t *compare_one(json_t *claim, json_t *report, json_t *runs) {
  if (strcmp(jfield_str(claim, "metric", ""), "cv") == 0)
    return compare_cv(claim, report);
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(report, "configs"), i,
                     c) if (applies(claim, report, c)) return compare_time(claim, c, runs);
  return result(claim, "NOT_APPLICABLE",
                "no config of this matrix has the arch and vCPU count the claim is about");
}

json_t *claims_compare(json_t *doc, json_t *report, json_t *runs) {
  json_t *out = json_array();
  _cleanup_(util_freep) char *mismatch = guest_mismatch(doc, report, runs);
  size_t i;
  json_t *claim;
  json_array_foreach(json_object_get(doc, "claims"), i, claim) {
    bool any_guest = json_is_true(json_object_get(claim, "any_guest"));
    json_array_append_new(out, mismatch && !any_guest ? result(claim, "NOT_APPLICABLE", mismatch)
                                                      : compare_one(claim, report, runs));
  }
  return out;
}
