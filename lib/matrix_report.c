#include "lib/matrix_report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bootspec.h"
#include "lib/claims.h"
#include "lib/json_field.h"
#include "lib/store.h"
#include "lib/stats.h"
#include "lib/util.h"

static const char *str(json_t *o, const char *k) { return jfield_str(o, k, NULL); }

static bool succeeded(json_t *run) {
  return str(run, "status") && strcmp(str(run, "status"), "succeeded") == 0 &&
         json_is_number(json_object_get(run, "boot_time_ms"));
}

static bool final_status(json_t *run) {
  const char *s = str(run, "status");
  return s && strcmp(s, "queued") && strcmp(s, "running");
}

/* Appends v to the array stored under key in obj (created on first use); a value JSON cannot hold
 * (a difference that overflowed) is left out, not averaged in as 0. */
static void push_value(json_t *obj, const char *key, double v) {
  json_t *arr = json_object_get(obj, key);
  if (!isfinite(v))
    return;
  /* json_object_set_new frees arr when it fails: then there is nothing to append to. */
  if (!arr && json_object_set_new(obj, key, arr = json_array()) < 0)
    return;
  json_array_append_new(arr, json_real(v));
}

static json_t *stats_of(json_t *values, struct stats *s) {
  size_t n = json_array_size(values);
  _cleanup_(util_freep) double *x = malloc((n ? n : 1) * sizeof *x);
  if (!x)
    return json_null();
  for (size_t i = 0; i < n; i++)
    x[i] = json_number_value(json_array_get(values, i));
  return stats_compute(x, n, s) == 0 ? stats_to_json(s) : json_null();
}

/* One entry per name: host-clock statistics, and the virtual clock's (in instructions) where
 * by_name_v has that name. */
static json_t *named_stats(json_t *by_name, json_t *by_name_v, const char *key) {
  json_t *out = json_array();
  const char *name;
  json_t *values;
  json_object_foreach(by_name, name, values) {
    struct stats s;
    json_t *entry = json_pack("{s:s, s:o}", key, name, "t_ms", stats_of(values, &s));
    if (strcmp(key, "phase") == 0) {
      json_object_set(entry, "duration_ms", json_object_get(entry, "t_ms"));
      json_object_del(entry, "t_ms");
    }
    json_t *counted = json_object_get(by_name_v, name);
    if (counted)
      json_object_set_new(entry, "instructions", stats_of(counted, &s));
    json_array_append_new(out, entry);
  }
  return out;
}

/* Markers and phases (each marker to the next one seen in the same run), on the clock field names
 * (t_ms, or instructions for the virtual clock). A marker without a name or a value there says
 * nothing that can be averaged: it is left out rather than counted as 0. */
static int by_count(const void *a, const void *b) {
  double x = jfield_num(*(json_t *const *)a, "instructions"),
         y = jfield_num(*(json_t *const *)b, "instructions");
  return x < y ? -1 : x > y;
}

/* The run's markers in the order of field: host times sort them as stored; instruction counts can
 * order a symbol and a console marker stamped close together the other way round. */
static json_t *in_order(json_t *run, const char *field) {
  json_t *list = json_object_get(run, "markers");
  if (strcmp(field, "instructions") != 0 || !json_is_array(list))
    return json_incref(list);
  size_t n = json_array_size(list);
  _cleanup_(util_freep) json_t **items = calloc(n ? n : 1, sizeof *items);
  if (!items)
    return json_incref(list);
  for (size_t i = 0; i < n; i++)
    items[i] = json_array_get(list, i);
  qsort(items, n, sizeof *items, by_count);
  json_t *sorted = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append(sorted, items[i]);
  return sorted;
}

static void collect_markers(json_t *run, json_t *markers, json_t *phases, const char *field) {
  json_auto_t *list = in_order(run, field);
  json_t *prev = NULL, *m;
  size_t i;
  json_array_foreach(list, i, m) {
    double t = jfield_num(m, field);
    if (!str(m, "name") || !isfinite(t))
      continue;
    push_value(markers, str(m, "name"), t);
    if (prev) {
      _cleanup_(util_freep) char *key = util_strdupf("%s -> %s", str(prev, "name"), str(m, "name"));
      if (key)
        push_value(phases, key, t - jfield_num(prev, field));
    }
    prev = m;
  }
}

struct config {
  int cpus;
  json_t *json;
  struct stats boot;
  bool has_boot;
  int cpus_min, cpus_max, cpus_unknown;
};

static void count_cpus(struct config *c, json_t *run) {
  json_t *online = json_object_get(run, "guest_cpus_online");
  if (!json_is_integer(online)) {
    c->cpus_unknown++;
    return;
  }
  int n = (int)json_integer_value(online);
  c->cpus_min = c->cpus_min < 0 || n < c->cpus_min ? n : c->cpus_min;
  c->cpus_max = n > c->cpus_max ? n : c->cpus_max;
}

/* The hardware a sample ran on, as far as it changes boot times: CPU model and accelerator ("" for
 * a run from before hosts were recorded). */
static void host_key(json_t *run, char *out, size_t cap) {
  json_t *host = json_object_get(run, "host");
  snprintf(out, cap, "%s|%s", jfield_str(host, "cpu_model", ""), jfield_str(run, "accel", ""));
}

/* Statistics per CPU model and accelerator, when the config's samples come from more than one. */
static json_t *host_groups(json_t *by_host) {
  if (json_object_size(by_host) < 2)
    return NULL;
  json_t *out = json_array();
  const char *key;
  json_t *values;
  json_object_foreach(by_host, key, values) {
    const char *bar = strrchr(key, '|');
    struct stats s;
    json_array_append_new(out, json_pack("{s:s%, s:s, s:o}", "cpu_model", key, (size_t)(bar - key),
                                         "accel", bar + 1, "boot_time_ms", stats_of(values, &s)));
  }
  return out;
}

static void build_config(struct config *c, json_t *runs) {
  json_t *boot = json_array(), *failures = json_object(), *markers = json_object(),
         *phases = json_object(), *by_host = json_object();
  json_t *boot_v = json_array(), *markers_v = json_object(), *phases_v = json_object();
  int n_runs = 0, n_ok = 0;
  c->cpus_min = -1;
  size_t i;
  json_t *run;
  json_array_foreach(runs, i, run) {
    if (json_integer_value(json_object_get(run, "cpus")) != c->cpus || !final_status(run))
      continue;
    n_runs++;
    if (!succeeded(run)) {
      json_t *err = json_object_get(run, "error");
      const char *code = str(err, "code") ? str(err, "code") : str(run, "status");
      json_object_set_new(failures, code,
                          json_integer(json_integer_value(json_object_get(failures, code)) + 1));
      continue;
    }
    n_ok++;
    json_array_append_new(boot, json_real(jfield_num(run, "boot_time_ms")));
    char key[512];
    host_key(run, key, sizeof key);
    push_value(by_host, key, jfield_num(run, "boot_time_ms"));
    count_cpus(c, run);
    collect_markers(run, markers, phases, "t_ms");
    json_t *counted = json_object_get(run, "boot_instructions");
    if (json_is_integer(counted))
      json_array_append_new(boot_v, json_real((double)json_integer_value(counted)));
    collect_markers(run, markers_v, phases_v, "instructions");
  }
  c->has_boot = n_ok > 0;
  json_t *boot_stats = c->has_boot ? stats_of(boot, &c->boot) : json_null();
  json_t *online = c->cpus_min < 0
                       ? json_null()
                       : json_pack("{s:i, s:i}", "min", c->cpus_min, "max", c->cpus_max);
  c->json = json_pack("{s:i, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o}", "cpus", c->cpus, "runs",
                      n_runs, "succeeded", n_ok, "failed", n_runs - n_ok, "failures", failures,
                      "boot_time_ms", boot_stats, "guest_cpus_online", online, "markers",
                      named_stats(markers, markers_v, "name"), "phases",
                      named_stats(phases, phases_v, "phase"));
  if (json_array_size(boot_v)) {
    struct stats s;
    json_object_set_new(c->json, "boot_instructions", stats_of(boot_v, &s));
  }
  json_decref(boot_v);
  json_decref(markers_v);
  json_decref(phases_v);
  json_t *groups = host_groups(by_host);
  /* Never pooled silently: a config whose samples ran on different hardware says so. */
  json_object_set_new(c->json, "mixed_hosts", json_boolean(groups != NULL));
  if (groups)
    json_object_set_new(c->json, "host_groups", groups);
  json_decref(by_host);
  json_decref(boot);
  json_decref(markers);
  json_decref(phases);
}

/* Whether differences between configs may be called scaling, and why (not). */
static json_t *scaling(struct config *cfg, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!cfg[i].has_boot)
      continue;
    if (cfg[i].cpus_unknown) {
      _cleanup_(util_freep) char *note =
          util_strdupf("the profile cannot tell how many CPUs the guest used with %d vCPUs: "
                       "differences between configs are "
                       "not called scaling",
                       cfg[i].cpus);
      return json_pack("{s:b, s:s}", "valid", 0, "note", note);
    }
    if (cfg[i].cpus_min < cfg[i].cpus) {
      _cleanup_(util_freep) char *note = util_strdupf(
          "the guest brought up %d CPU(s) when %d were requested: it ignored the extra vCPUs, so "
          "differences between configs are not multiprocessor scaling",
          cfg[i].cpus_min, cfg[i].cpus);
      return json_pack("{s:b, s:s}", "valid", 0, "note", note);
    }
  }
  return json_pack("{s:b, s:s}", "valid", 1, "note",
                   "every config ran with all its requested vCPUs online");
}

static void add_ratios(struct config *cfg, size_t n, bool valid) {
  struct config *one = NULL;
  for (size_t i = 0; i < n; i++)
    if (cfg[i].cpus == 1 && cfg[i].has_boot)
      one = &cfg[i];
  for (size_t i = 0; i < n; i++) {
    if (!one || !cfg[i].has_boot || &cfg[i] == one) {
      json_object_set_new(cfg[i].json, "relative_to_1_vcpu", json_null());
      continue;
    }
    double ratio, se;
    stats_ratio(&one->boot, &cfg[i].boot, &ratio, &se);
    json_t *rel = json_pack("{s:o, s:o}", "speedup", jfield_real_or_null(ratio), "speedup_se",
                            jfield_real_or_null(se));
    /* Efficiency per vCPU only means something when the vCPUs were used. */
    json_object_set_new(rel, "efficiency",
                        valid ? jfield_real_or_null(ratio / cfg[i].cpus) : json_null());
    json_object_set_new(rel, "efficiency_se",
                        valid ? jfield_real_or_null(se / cfg[i].cpus) : json_null());
    json_object_set_new(cfg[i].json, "relative_to_1_vcpu", rel);
  }
}

/* Where the runs ran: one entry per host, CPU model and accelerator, with its count of runs. */
static json_t *hosts(json_t *runs) {
  json_t *out = json_array();
  size_t i, k;
  json_t *run, *h;
  json_array_foreach(runs, i, run) {
    json_t *host = json_object_get(run, "host");
    const char *name = jfield_str(host, "name", NULL), *model = jfield_str(host, "cpu_model", ""),
               *accel = jfield_str(run, "accel", "");
    if (!name)
      continue;
    json_t *found = NULL;
    json_array_foreach(out, k, h) {
      if (!found && strcmp(str(h, "name"), name) == 0 && strcmp(str(h, "cpu_model"), model) == 0 &&
          strcmp(str(h, "accel"), accel) == 0)
        found = h;
    }
    if (found)
      json_object_set_new(found, "runs",
                          json_integer(json_integer_value(json_object_get(found, "runs")) + 1));
    else
      json_array_append_new(out,
                            json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", name, "cpu_model", model,
                                      "qemu_version", jfield_str(host, "qemu_version", ""), "accel",
                                      accel, "runs", 1));
  }
  return out;
}

/* The accelerators the runs used; a run not started yet has none (null) and adds nothing. */
static json_t *accels(json_t *runs) {
  json_t *out = json_array();
  size_t i, k;
  json_t *run, *a;
  json_array_foreach(runs, i, run) {
    const char *accel = str(run, "accel");
    bool seen = false;
    json_array_foreach(out, k, a) seen |= accel && strcmp(json_string_value(a), accel) == 0;
    if (accel && !seen)
      json_array_append_new(out, json_string(accel));
  }
  return out;
}

json_t *matrix_report(json_t *matrix, json_t *runs) {
  json_t *request = json_object_get(matrix, "request"), *cpus = json_object_get(request, "cpus");
  size_t n = json_array_size(cpus);
  struct config *cfg = calloc(n ? n : 1, sizeof *cfg);
  int done = 0, ok = 0;
  size_t i;
  json_t *run;
  json_array_foreach(runs, i, run) {
    done += final_status(run);
    ok += succeeded(run);
  }
  for (i = 0; i < n; i++) {
    cfg[i].cpus = (int)json_integer_value(json_array_get(cpus, i));
    build_config(&cfg[i], runs);
  }
  json_t *scal = scaling(cfg, n);
  add_ratios(cfg, n, json_is_true(json_object_get(scal, "valid")));
  json_t *configs = json_array();
  for (i = 0; i < n; i++)
    json_array_append_new(configs, cfg[i].json);
  free(cfg);
  json_t *report = json_is_object(matrix) ? json_deep_copy(matrix) : json_object();
  json_object_set_new(report, "progress",
                      json_pack("{s:i, s:I, s:i, s:i}", "done", done, "total",
                                json_integer_value(json_object_get(matrix, "total")), "succeeded",
                                ok, "failed", done - ok));
  json_t *clock = json_object_get(request, "clock");
  bool virtual_clock = json_is_string(clock) && strcmp(json_string_value(clock), "virtual") == 0;
  json_object_set_new(report, "clock", json_string(virtual_clock ? "virtual" : "host"));
  if (virtual_clock)
    json_object_set_new(
        report, "icount_shift",
        json_integer(json_is_integer(json_object_get(request, "icount_shift"))
                         ? json_integer_value(json_object_get(request, "icount_shift"))
                         : BOOTSPEC_ICOUNT_SHIFT_DEFAULT));
  json_object_set_new(report, "accel", accels(runs));
  json_object_set_new(report, "hosts", hosts(runs));
  json_object_set_new(report, "configs", configs);
  json_object_set_new(report, "scaling", scal);
  json_t *ids = json_array();
  json_array_foreach(runs, i, run) {
    if (json_is_string(json_object_get(run, "id")))
      json_array_append(ids, json_object_get(run, "id"));
  }
  json_object_set_new(report, "runs", ids);
  json_t *claims = claims_builtin("whitepaper");
  if (claims) {
    json_object_set_new(report, "claims",
                        json_pack("{s:O, s:O, s:o}", "name", json_object_get(claims, "name"),
                                  "source", json_object_get(claims, "source"), "comparisons",
                                  claims_compare(claims, report, runs)));
    json_decref(claims);
  }
  return report;
}

int matrix_report_load(struct store *s, const char *id, json_t **report, json_t **runs_out) {
  json_t *matrix = NULL, *runs = NULL;
  int r = util_is_id(id) ? store_matrix_get(s, id, &matrix) : -ENOENT;
  if (r == 0)
    r = store_matrix_runs(s, id, &runs);
  if (r == 0)
    *report = matrix_report(matrix, runs);
  json_decref(matrix);
  if (r == 0 && runs_out)
    *runs_out = runs;
  else
    json_decref(runs);
  return r;
}

/* --- text --- */

static double num(json_t *o, const char *k) { return jfield_num(o, k); }

/* Text for people: a field that is not there reads "-". */
static const char *text_str(json_t *o, const char *k) { return jfield_str(o, k, "-"); }

/* A number with decimals digits after the point (0: an instruction count), or "-". */
static void text_number(struct util_buf *b, double v, int width, int decimals) {
  if (isfinite(v))
    util_buf_printf(b, " %*.*f", width, decimals, v);
  else
    util_buf_printf(b, " %*s", width, "-");
}

static void text_boot_table(struct util_buf *b, json_t *configs) {
  util_buf_printf(b, "Boot time in ms, from QMP cont (t0) to the terminal marker:\n");
  util_buf_printf(b, "%6s %4s %5s %10s %10s %10s %10s %9s %6s %23s %11s\n", "vCPUs", "n", "fail",
                  "mean", "median", "min", "max", "stdev", "cv%", "95% CI of the mean",
                  "guest CPUs");
  size_t i;
  json_t *c;
  json_array_foreach(configs, i, c) {
    json_t *s = json_object_get(c, "boot_time_ms"), *ci = json_object_get(s, "ci95");
    util_buf_printf(b, "%6lld %4lld %5lld",
                    (long long)json_integer_value(json_object_get(c, "cpus")),
                    (long long)json_integer_value(json_object_get(c, "succeeded")),
                    (long long)json_integer_value(json_object_get(c, "failed")));
    text_number(b, num(s, "mean"), 10, 3);
    text_number(b, num(s, "median"), 10, 3);
    text_number(b, num(s, "min"), 10, 3);
    text_number(b, num(s, "max"), 10, 3);
    text_number(b, num(s, "stdev"), 9, 3);
    text_number(b, num(s, "cv") * 100, 6, 3);
    if (isfinite(json_number_value(json_array_get(ci, 0))) && json_is_number(json_array_get(ci, 0)))
      util_buf_printf(b, "  [%9.3f, %9.3f]", json_number_value(json_array_get(ci, 0)),
                      json_number_value(json_array_get(ci, 1)));
    else
      util_buf_printf(b, " %23s", "-");
    json_t *online = json_object_get(c, "guest_cpus_online");
    if (json_is_object(online))
      util_buf_printf(b, " %11lld\n",
                      (long long)json_integer_value(json_object_get(online, "min")));
    else
      util_buf_printf(b, " %11s\n", "unknown");
  }
}

/* The virtual clock's boot table and phases (README "The virtual clock"). */
static void text_virtual(struct util_buf *b, json_t *report) {
  json_t *configs = json_object_get(report, "configs");
  util_buf_printf(b,
                  "\nVirtual clock: guest instructions from QMP cont to the terminal marker "
                  "(-icount shift %lld; runs that executed the same instructions have stdev 0):\n",
                  (long long)json_integer_value(json_object_get(report, "icount_shift")));
  util_buf_printf(b, "%6s %4s %14s %14s %14s %14s %12s %8s\n", "vCPUs", "n", "mean", "median",
                  "min", "max", "stdev", "cv%");
  size_t i, k;
  json_t *c, *ph;
  json_array_foreach(configs, i, c) {
    json_t *s = json_object_get(c, "boot_instructions");
    util_buf_printf(b, "%6lld %4lld", (long long)json_integer_value(json_object_get(c, "cpus")),
                    (long long)json_integer_value(json_object_get(s, "n")));
    text_number(b, num(s, "mean"), 14, 0);
    text_number(b, num(s, "median"), 14, 0);
    text_number(b, num(s, "min"), 14, 0);
    text_number(b, num(s, "max"), 14, 0);
    text_number(b, num(s, "stdev"), 12, 3);
    text_number(b, num(s, "cv") * 100, 8, 3);
    util_buf_printf(b, "\n");
  }
  json_array_foreach(configs, i, c) {
    util_buf_printf(b, "Phases of %lld vCPU, mean instructions (stdev):\n",
                    (long long)json_integer_value(json_object_get(c, "cpus")));
    json_array_foreach(json_object_get(c, "phases"), k, ph) {
      json_t *s = json_object_get(ph, "instructions");
      if (!s)
        continue;
      util_buf_printf(b, "  %-44s", jfield_str(ph, "phase", "-"));
      text_number(b, num(s, "mean"), 14, 0);
      util_buf_printf(b, " (");
      text_number(b, num(s, "stdev"), 0, 3);
      util_buf_printf(b, ")\n");
    }
  }
}

static void text_failures(struct util_buf *b, json_t *configs) {
  size_t i;
  json_t *c;
  json_array_foreach(configs, i, c) {
    const char *code;
    json_t *n;
    json_object_foreach(json_object_get(c, "failures"), code, n)
        util_buf_printf(b, "  %lld vCPU: %lld run(s) failed with %s (not averaged in)\n",
                        (long long)json_integer_value(json_object_get(c, "cpus")),
                        (long long)json_integer_value(n), code);
  }
}

static void text_ratios(struct util_buf *b, json_t *report) {
  json_t *configs = json_object_get(report, "configs"),
         *scaling = json_object_get(report, "scaling");
  bool valid = json_is_true(json_object_get(scaling, "valid"));
  util_buf_printf(b, "\n%s relative to 1 vCPU (ratio of mean boot times, +- standard error):\n",
                  valid ? "Speedup" : "Boot time ratio");
  size_t i;
  json_t *c;
  json_array_foreach(configs, i, c) {
    json_t *rel = json_object_get(c, "relative_to_1_vcpu");
    if (!json_is_object(rel))
      continue;
    util_buf_printf(b, "%6lld  %.3f", (long long)json_integer_value(json_object_get(c, "cpus")),
                    num(rel, "speedup"));
    if (isfinite(num(rel, "speedup_se")))
      util_buf_printf(b, " +- %.3f", num(rel, "speedup_se"));
    if (isfinite(num(rel, "efficiency")))
      util_buf_printf(b, "  (efficiency %.3f", num(rel, "efficiency"));
    if (isfinite(num(rel, "efficiency")) && isfinite(num(rel, "efficiency_se")))
      util_buf_printf(b, " +- %.3f", num(rel, "efficiency_se"));
    if (isfinite(num(rel, "efficiency")))
      util_buf_printf(b, ")");
    util_buf_printf(b, "\n");
  }
  util_buf_printf(b, "%s: %s.\n", valid ? "Scaling" : "Not scaling", text_str(scaling, "note"));
}

static void text_markers(struct util_buf *b, json_t *configs) {
  util_buf_printf(b, "\nMarkers, mean t_ms per config (successful runs):\n%-20s", "marker");
  size_t i, k;
  json_t *c, *m;
  json_array_foreach(configs, i, c)
      util_buf_printf(b, " %9lld vCPU", (long long)json_integer_value(json_object_get(c, "cpus")));
  util_buf_printf(b, "\n");
  json_t *first = json_object_get(json_array_get(configs, 0), "markers");
  json_array_foreach(first, k, m) {
    const char *name = str(m, "name");
    if (!name)
      continue;
    util_buf_printf(b, "%-20s", name);
    json_array_foreach(configs, i, c) {
      double mean = NAN;
      size_t j;
      json_t *other;
      json_array_foreach(json_object_get(c, "markers"), j,
                         other) if (str(other, "name") && strcmp(str(other, "name"), name) == 0)
          mean = num(json_object_get(other, "t_ms"), "mean");
      text_number(b, mean, 14, 3);
    }
    util_buf_printf(b, "\n");
  }
}

static void text_claims(struct util_buf *b, json_t *claims) {
  if (!claims)
    return;
  util_buf_printf(b, "\nClaims (%s: %s):\n", text_str(claims, "name"), text_str(claims, "source"));
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(claims, "comparisons"), i, c) {
    json_t *measured = json_object_get(c, "measured");
    util_buf_printf(b, "  %-16s %-17s %s\n", text_str(c, "id"), text_str(c, "status"),
                    text_str(c, "description"));
    if (json_is_number(json_object_get(c, "estimate")) &&
        json_is_number(json_object_get(measured, "mean"))) {
      json_t *ci = json_object_get(measured, "ci95");
      util_buf_printf(b, "  %16s estimate %.3f ms, measured mean %.3f ms", "", num(c, "estimate"),
                      num(measured, "mean"));
      if (json_is_number(json_array_get(ci, 0)))
        util_buf_printf(b, " [%.3f, %.3f]", json_number_value(json_array_get(ci, 0)),
                        json_number_value(json_array_get(ci, 1)));
      if (json_is_number(json_object_get(c, "error_pct")))
        util_buf_printf(b, ", error %+.1f%%", num(c, "error_pct"));
      util_buf_printf(b, "\n");
    }
    util_buf_printf(b, "  %16s %s\n", "", text_str(c, "explanation"));
  }
}

/* Key findings: facts read off the statistics above, nothing more. */
static void text_findings(struct util_buf *b, json_t *report) {
  json_t *configs = json_object_get(report, "configs"), *best = NULL, *worst_cv = NULL;
  size_t i;
  json_t *c;
  json_array_foreach(configs, i, c) {
    json_t *s = json_object_get(c, "boot_time_ms");
    if (!json_is_object(s))
      continue;
    if (!best || num(s, "mean") < num(json_object_get(best, "boot_time_ms"), "mean"))
      best = c;
    if (json_is_number(json_object_get(s, "cv")) &&
        (!worst_cv || num(s, "cv") > num(json_object_get(worst_cv, "boot_time_ms"), "cv")))
      worst_cv = c;
  }
  util_buf_printf(b, "\nKey findings:\n");
  if (!best) {
    util_buf_printf(b, "  - no run succeeded, so nothing was measured\n");
    return;
  }
  util_buf_printf(b, "  - fastest mean boot: %lld vCPU, %.3f ms\n",
                  (long long)json_integer_value(json_object_get(best, "cpus")),
                  num(json_object_get(best, "boot_time_ms"), "mean"));
  json_t *scaling = json_object_get(report, "scaling");
  util_buf_printf(b, "  - %s\n",
                  json_is_true(json_object_get(scaling, "valid"))
                      ? "every vCPU was brought up by the guest: the ratios above are speedups"
                      : "the ratios above are not speedups: see the scaling note");
  json_t *progress = json_object_get(report, "progress");
  if (json_integer_value(json_object_get(progress, "failed")) > 0)
    util_buf_printf(b, "  - %lld run(s) failed and are excluded from the statistics\n",
                    (long long)json_integer_value(json_object_get(progress, "failed")));
  if (worst_cv)
    util_buf_printf(b, "  - largest run-to-run variation: %.2f%% of the mean (%lld vCPU)\n",
                    num(json_object_get(worst_cv, "boot_time_ms"), "cv") * 100,
                    (long long)json_integer_value(json_object_get(worst_cv, "cpus")));
  json_array_foreach(configs, i, c) {
    if (!json_is_true(json_object_get(c, "mixed_hosts")))
      continue;
    util_buf_printf(b, "  - %lld vCPU: samples from %zu CPU models or accelerators, pooled above;",
                    (long long)json_integer_value(json_object_get(c, "cpus")),
                    json_array_size(json_object_get(c, "host_groups")));
    size_t k;
    json_t *g;
    json_array_foreach(json_object_get(c, "host_groups"), k, g) util_buf_printf(
        b, " %s on %s: mean %.3f ms (n=%lld);", text_str(g, "accel"), text_str(g, "cpu_model"),
        num(json_object_get(g, "boot_time_ms"), "mean"),
        (long long)json_integer_value(json_object_get(json_object_get(g, "boot_time_ms"), "n")));
    util_buf_printf(b, "\n");
  }
}

char *matrix_report_text(json_t *report) {
  struct util_buf b = {0};
  json_t *progress = json_object_get(report, "progress"),
         *request = json_object_get(report, "request");
  _cleanup_(util_freep) char *accel = json_dumps(json_object_get(report, "accel"), JSON_COMPACT);
  util_buf_printf(&b, "Matrix %s: %s, %lld of %lld runs done (%lld succeeded, %lld failed)\n",
                  text_str(report, "id"), text_str(report, "status"),
                  (long long)json_integer_value(json_object_get(progress, "done")),
                  (long long)json_integer_value(json_object_get(progress, "total")),
                  (long long)json_integer_value(json_object_get(progress, "succeeded")),
                  (long long)json_integer_value(json_object_get(progress, "failed")));
  util_buf_printf(
      &b,
      "profile %s, arch %s, %lld samples per config, isolation %s (%lld at a time), accel %s\n\n",
      text_str(request, "profile"), jfield_str(request, "arch", "x86_64"),
      (long long)json_integer_value(json_object_get(request, "samples")),
      text_str(report, "isolation"),
      (long long)json_integer_value(json_object_get(report, "parallel")), accel ? accel : "[]");
  json_t *configs = json_object_get(report, "configs");
  text_boot_table(&b, configs);
  text_failures(&b, configs);
  text_ratios(&b, report);
  if (strcmp(jfield_str(report, "clock", "host"), "virtual") == 0)
    text_virtual(&b, report);
  text_markers(&b, configs);
  text_claims(&b, json_object_get(report, "claims"));
  text_findings(&b, report);
  return b.data ? b.data : strdup("");
}

/* --- CSV --- */

static void csv_number(struct util_buf *b, double v) {
  if (isfinite(v))
    util_buf_printf(b, ",%.3f", v);
  else
    util_buf_printf(b, ",");
}

static void csv_quoted(struct util_buf *b, const char *s) {
  util_buf_printf(b, "\"");
  for (; s && *s; s++) {
    if (*s == '"')
      util_buf_append(b, "\"", 1); /* quotes are doubled in CSV */
    util_buf_append(b, s, 1);
  }
  util_buf_printf(b, "\"");
}

/* An integer column, empty when the run has no integer there. */
static void csv_integer(struct util_buf *b, json_t *v) {
  if (json_is_integer(v))
    util_buf_printf(b, ",%lld", (long long)json_integer_value(v));
  else
    util_buf_printf(b, ",");
}

static void csv_field(struct util_buf *b, const char *s) {
  util_buf_printf(b, ",");
  csv_quoted(b, s);
}

/* A marker's column: scenario steps name markers too, and a step's name may hold a comma or a
 * quote, so such a name is quoted (RFC 4180); plain names stay as they were. */
static void csv_column(struct util_buf *b, const char *name, const char *unit) {
  _cleanup_(util_freep) char *column = util_strdupf("%s_%s", name, unit);
  util_buf_printf(b, ",");
  if (column && strpbrk(column, ",\"\r\n"))
    csv_quoted(b, column);
  else
    util_buf_printf(b, "%s", column ? column : "");
}

/* The field (t_ms or instructions) of the last marker named name in run (a dialogue step marks
 * each answer), or NAN. */
static double csv_marker(json_t *run, const char *name, const char *field) {
  double t = NAN;
  size_t k;
  json_t *m;
  json_array_foreach(json_object_get(run, "markers"), k, m) {
    if (str(m, "name") && strcmp(str(m, "name"), name) == 0)
      t = num(m, field);
  }
  return t;
}

/* An instruction count column, empty where there is none. */
static void csv_count(struct util_buf *b, double v) {
  if (isfinite(v))
    util_buf_printf(b, ",%.0f", v);
  else
    util_buf_printf(b, ",");
}

char *matrix_report_csv(json_t *runs) {
  json_t *names = json_object(), *run, *m;
  size_t i, k;
  bool counted = false; /* the virtual clock: each time has its instruction count beside it */
  json_array_foreach(runs, i, run) {
    counted |= strcmp(jfield_str(run, "clock", "host"), "virtual") == 0;
    json_array_foreach(json_object_get(run, "markers"), k, m) {
      if (str(m, "name"))
        json_object_set_new(names, str(m, "name"), json_true());
    }
  }
  struct util_buf b = {0};
  util_buf_printf(
      &b, "matrix_index,run_id,cpus,status,accel,guest_cpus_online,boot_time_ms,error_code");
  if (counted)
    util_buf_printf(&b, ",boot_instructions");
  const char *name;
  json_t *v;
  json_object_foreach(names, name, v) csv_column(&b, name, "ms");
  if (counted)
    json_object_foreach(names, name, v) csv_column(&b, name, "instructions");
  util_buf_printf(&b, "\n");
  json_array_foreach(runs, i, run) {
    json_t *index = json_object_get(run, "matrix_index");
    if (json_is_integer(index))
      util_buf_printf(&b, "%lld", (long long)json_integer_value(index));
    csv_field(&b, str(run, "id"));
    csv_integer(&b, json_object_get(run, "cpus"));
    csv_field(&b, str(run, "status"));
    csv_field(&b, str(run, "accel"));
    csv_integer(&b, json_object_get(run, "guest_cpus_online"));
    csv_number(&b, num(run, "boot_time_ms"));
    csv_field(&b, str(json_object_get(run, "error"), "code"));
    if (counted)
      csv_count(&b, num(run, "boot_instructions"));
    json_object_foreach(names, name, v) csv_number(&b, csv_marker(run, name, "t_ms"));
    if (counted)
      json_object_foreach(names, name, v) csv_count(&b, csv_marker(run, name, "instructions"));
    util_buf_printf(&b, "\n");
  }
  json_decref(names);
  return b.data ? b.data : strdup("");
}
