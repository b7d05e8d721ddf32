/* Matrix requests and reports: validation, interleaving, statistics per config,
 * honest scaling, and golden text/CSV renderings of a synthetic matrix. */
#include <errno.h>
#include <string.h>

#include "lib/matrix.h"
#include "lib/matrix_compare.h"
#include "lib/matrix_render.h"
#include "lib/matrix_report.h"
#include "lib/stats.h"
#include "test_util.h"

static struct bootspec_env env;
static char kernel[256];

static int setup(void **state) {
  (void)state;
  return test_boot_env(&env, kernel, sizeof kernel);
}

static int teardown(void **state) {
  (void)state;
  profile_set_free((struct profile_set *)env.profiles);
  return 0;
}

static json_t *request(const char *extra) {
  char *text = util_strdupf("{\"kernel\":\"%s\",\"profile\":\"linux\"%s}", kernel, extra);
  json_t *j = json_loads(text, 0, NULL);
  free(text);
  assert_non_null(j);
  return j;
}

static void expect_error(const char *extra, const char *code, const char *field) {
  json_t *req = request(extra);
  struct matrix_spec *m = NULL;
  struct ma_error err;
  int r = matrix_spec_from_json(req, &env, 2, &m, &err);
  json_decref(req);
  if (r != -22 || strcmp(err.code, code) || strcmp(err.field, field))
    fail_msg("%s: got %d %s/%s, wanted %s/%s", extra, r, r ? err.code : "-", r ? err.field : "-",
             code, field);
}

static void rejects_bad_matrices(void **state) {
  (void)state;
  expect_error(",\"samples\":2", "missing_field", "cpus");
  expect_error(",\"cpus\":2,\"samples\":2", "wrong_type", "cpus");
  expect_error(",\"cpus\":[],\"samples\":2", "wrong_type", "cpus");
  expect_error(",\"cpus\":[1,0],\"samples\":2", "out_of_range", "cpus");
  expect_error(",\"cpus\":[1,2,1],\"samples\":2", "invalid_value", "cpus");
  expect_error(",\"cpus\":[1]", "missing_field", "samples");
  expect_error(",\"cpus\":[1],\"samples\":0", "out_of_range", "samples");
  expect_error(",\"cpus\":[1],\"samples\":101", "out_of_range", "samples");
  expect_error(",\"cpus\":[1],\"samples\":1,\"isolation\":\"loose\"", "invalid_value", "isolation");
  expect_error(",\"cpus\":[1],\"samples\":1,\"parallel\":2", "conflicting_fields", "parallel");
  expect_error(",\"cpus\":[1],\"samples\":1,\"isolation\":\"parallel\",\"parallel\":3",
               "out_of_range", "parallel");
  expect_error(",\"cpus\":[1],\"samples\":1,\"colour\":1", "unknown_field", "colour");
  expect_error(",\"cpus\":[1],\"samples\":1,\"memory_mb\":1", "out_of_range", "memory_mb");
}

static void interleaves_configs(void **state) {
  (void)state;
  json_t *req = request(",\"cpus\":[1,2,4,8],\"samples\":3,\"label\":\"x\"");
  struct matrix_spec *m;
  struct ma_error err;
  assert_int_equal(matrix_spec_from_json(req, &env, 2, &m, &err), 0);
  json_decref(req);
  assert_int_equal(matrix_total(m), 12);
  assert_string_equal(m->isolation, "exclusive");
  assert_int_equal(m->parallel, 1);
  const int expected[] = {1, 2, 4, 8, 1, 2, 4, 8, 1, 2, 4, 8};
  for (int k = 0; k < 12; k++) {
    json_t *boot = matrix_boot_request(m, k);
    assert_int_equal(json_integer_value(json_object_get(boot, "cpus")), expected[k]);
    assert_null(json_object_get(boot, "samples"));
    assert_string_equal(json_string_value(json_object_get(boot, "label")), "x");
    json_decref(boot);
  }
  assert_int_equal(json_integer_value(json_object_get(m->json, "samples")), 3);
  matrix_spec_free(m);
  req = request(",\"cpus\":[1],\"samples\":1,\"isolation\":\"parallel\"");
  assert_int_equal(matrix_spec_from_json(req, &env, 2, &m, &err), 0);
  assert_int_equal(m->parallel, 2); /* defaults to the host's cores */
  json_decref(req);
  matrix_spec_free(m);
}

/* Four runs per config: 1 vCPU at 100..130 ms, 2 vCPUs at 50..65 ms with one
 * timeout that must not be averaged in. */
static json_t *synthetic_runs(int online_with_2) {
  json_t *runs = json_array();
  const double t1[] = {100, 110, 120, 130}, t2[] = {50, 55, 60, 65};
  for (int i = 0; i < 9; i++) {
    int cpus = i % 2 ? 2 : 1;
    char id[17];
    snprintf(id, sizeof id, "%016d", i);
    json_t *run = json_pack("{s:s, s:i, s:i, s:s}", "id", id, "matrix_index", i, "cpus", cpus,
                            "accel", "tcg");
    if (i == 8) { /* the fifth 1-vCPU run timed out */
      json_object_set_new(run, "status", json_string("timeout"));
      json_object_set_new(run, "error", json_pack("{s:s}", "code", "boot_timeout"));
      json_object_set_new(run, "boot_time_ms", json_null());
      json_object_set_new(run, "markers", json_array());
      json_array_append_new(runs, run);
      continue;
    }
    double t = cpus == 1 ? t1[i / 2] : t2[i / 2];
    json_object_set_new(run, "status", json_string("succeeded"));
    json_object_set_new(run, "error", json_null());
    json_object_set_new(run, "boot_time_ms", json_real(t));
    json_object_set_new(run, "guest_cpus_online", json_integer(cpus == 1 ? 1 : online_with_2));
    json_object_set_new(run, "markers",
                        json_pack("[{s:s, s:f}, {s:s, s:f}]", "name", "kernel_starts", "t_ms",
                                  t / 4, "name", "shell_prompt", "t_ms", t));
    json_array_append_new(runs, run);
  }
  return runs;
}

static json_t *synthetic_matrix(void) {
  return json_pack("{s:s, s:s, s:{s:[i,i], s:i, s:s}, s:s, s:i, s:i, s:s, s:s}", "id",
                   "00000000000000aa", "status", "done", "request", "cpus", 1, 2, "samples", 4,
                   "profile", "linux", "isolation", "exclusive", "parallel", 1, "total", 9,
                   "created_at", "2026-11-24T00:00:00.000000Z", "finished_at",
                   "2026-11-24T00:01:00.000000Z");
}

static json_t *config(json_t *report, int i) {
  return json_array_get(json_object_get(report, "configs"), (size_t)i);
}

static double stat(json_t *cfg, const char *key) {
  return json_number_value(json_object_get(json_object_get(cfg, "boot_time_ms"), key));
}

static void report_statistics(void **state) {
  (void)state;
  json_t *matrix = synthetic_matrix(), *runs = synthetic_runs(2);
  json_t *report = matrix_report(matrix, runs);
  json_t *one = config(report, 0), *two = config(report, 1);
  assert_int_equal(json_integer_value(json_object_get(one, "succeeded")), 4);
  assert_int_equal(json_integer_value(json_object_get(one, "failed")), 1);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(one, "failures"), "boot_timeout")), 1);
  assert_true(stat(one, "mean") == 115.0); /* the timeout is not averaged in */
  assert_true(stat(two, "mean") == 57.5);
  assert_true(stat(two, "median") == 57.5);
  json_t *rel = json_object_get(two, "relative_to_1_vcpu");
  assert_true(json_real_value(json_object_get(rel, "speedup")) == 2.0);
  assert_true(json_real_value(json_object_get(rel, "efficiency")) == 1.0);
  assert_true(json_is_null(json_object_get(one, "relative_to_1_vcpu")));
  assert_true(json_is_true(json_object_get(json_object_get(report, "scaling"), "valid")));
  json_t *phase = json_array_get(json_object_get(two, "phases"), 0);
  assert_string_equal(json_string_value(json_object_get(phase, "phase")),
                      "kernel_starts -> shell_prompt");
  assert_true(json_number_value(json_object_get(json_object_get(phase, "duration_ms"), "mean")) ==
              57.5 * 0.75);
  json_t *progress = json_object_get(report, "progress");
  assert_int_equal(json_integer_value(json_object_get(progress, "done")), 9);
  assert_int_equal(json_integer_value(json_object_get(progress, "failed")), 1);
  json_decref(report);
  json_decref(runs);
  json_decref(matrix);
}

/* Runs from two nodes with different CPUs: never pooled silently. */
static void samples_from_different_hosts_are_grouped(void **state) {
  (void)state;
  json_t *matrix = synthetic_matrix(), *runs = synthetic_runs(2);
  size_t i;
  json_t *run;
  json_array_foreach(runs, i, run) {
    const char *model = i < 4 ? "AMD EPYC 7B13" : "Intel Xeon 8375C";
    json_object_set_new(run, "host",
                        json_pack("{s:s, s:s, s:s}", "name", i < 4 ? "node1" : "node2", "cpu_model",
                                  model, "qemu_version", "QEMU 7.2"));
  }
  json_t *report = matrix_report(matrix, runs);
  json_t *one = config(report, 0), *groups = json_object_get(one, "host_groups");
  assert_true(json_is_true(json_object_get(one, "mixed_hosts")));
  assert_true(stat(one, "mean") == 115.0); /* pooled: 100, 110 on node1; 120, 130 on node2 */
  assert_int_equal(json_array_size(groups), 2);
  double means[2];
  for (size_t k = 0; k < 2; k++) {
    json_t *g = json_array_get(groups, k);
    bool amd = strcmp(json_string_value(json_object_get(g, "cpu_model")), "AMD EPYC 7B13") == 0;
    assert_string_equal(json_string_value(json_object_get(g, "accel")), "tcg");
    means[amd ? 0 : 1] =
        json_number_value(json_object_get(json_object_get(g, "boot_time_ms"), "mean"));
  }
  assert_true(means[0] == 105.0 && means[1] == 125.0);
  json_t *hosts = json_object_get(report, "hosts");
  assert_int_equal(json_array_size(hosts), 2);
  assert_int_equal(json_integer_value(json_object_get(json_array_get(hosts, 0), "runs")) +
                       json_integer_value(json_object_get(json_array_get(hosts, 1), "runs")),
                   9);
  char *text = matrix_report_text(report);
  assert_non_null(strstr(text, "samples from 2 CPU models or accelerators, pooled above;"));
  free(text);
  json_decref(report);
  /* One host: nothing to group. */
  json_array_foreach(runs, i, run) json_object_del(run, "host");
  report = matrix_report(matrix, runs);
  assert_true(json_is_false(json_object_get(config(report, 0), "mixed_hosts")));
  assert_null(json_object_get(config(report, 0), "host_groups"));
  assert_int_equal(json_array_size(json_object_get(report, "hosts")), 0);
  json_decref(report);
  json_decref(runs);
  json_decref(matrix);
}

/* A matrix as the store kept it is read back for its plan, whatever became of its files. */
static void stored_requests_are_read_back(void **state) {
  (void)state;
  json_t *stored = json_pack("{s:s, s:s, s:[i,i,i], s:i, s:s, s:i, s:s}", "kernel",
                             "/gone/since/vmlinuz", "profile", "linux", "cpus", 1, 2, 4, "samples",
                             3, "isolation", "parallel", "parallel", 0, "executor", "slurm");
  struct matrix_spec *m = NULL;
  struct ma_error err;
  assert_int_equal(matrix_spec_from_stored(stored, &m, &err), 0);
  assert_int_equal(matrix_total(m), 9);
  assert_int_equal(m->parallel, 0);
  assert_string_equal(m->executor, "slurm");
  assert_int_equal(m->cpus[2], 4);
  matrix_spec_free(m);
  json_object_set_new(stored, "isolation", json_string("exclusive"));
  json_object_set_new(stored, "parallel", json_integer(1));
  assert_int_equal(matrix_spec_from_stored(stored, &m, &err), 0);
  assert_int_equal(m->parallel, 1);
  matrix_spec_free(m);
  json_object_set_new(stored, "cpus", json_string("many"));
  assert_int_equal(matrix_spec_from_stored(stored, &m, &err), -EINVAL);
  assert_string_equal(err.field, "cpus");
  json_decref(stored);
}

static void uniprocessor_guest_is_not_scaling(void **state) {
  (void)state;
  json_t *matrix = synthetic_matrix(), *runs = synthetic_runs(1);
  json_t *report = matrix_report(matrix, runs);
  json_t *scaling = json_object_get(report, "scaling");
  assert_false(json_is_true(json_object_get(scaling, "valid")));
  assert_non_null(
      strstr(json_string_value(json_object_get(scaling, "note")), "not multiprocessor scaling"));
  json_t *rel = json_object_get(config(report, 1), "relative_to_1_vcpu");
  assert_true(json_is_null(json_object_get(rel, "efficiency")));
  char *text = matrix_report_text(report);
  assert_non_null(strstr(text, "Not scaling: the guest brought up 1 CPU(s) when 2 were requested"));
  assert_null(strstr(text, "Speedup"));
  free(text);
  json_decref(report);
  json_decref(runs);
  json_decref(matrix);
}

static void compare_golden(const char *name, const char *actual) {
  size_t len;
  char *golden = test_read_data(name, &len);
  if (strcmp(golden, actual) != 0)
    fail_msg("%s differs from the renderer's output:\n%s", name, actual);
  free(golden);
}

static void golden_text_and_csv(void **state) {
  (void)state;
  json_t *matrix = synthetic_matrix(), *runs = synthetic_runs(2);
  json_t *report = matrix_report(matrix, runs);
  char *text = matrix_report_text(report), *csv = matrix_report_csv(runs),
       *tex = matrix_report_latex(report);
  compare_golden("matrix-report.txt", text);
  compare_golden("matrix-report.csv", csv);
  compare_golden("matrix-report.tex", tex);
  free(text);
  free(csv);
  free(tex);
  char *svg = matrix_report_svg(report);
  assert_non_null(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  assert_non_null(strstr(svg, "Speedup relative to 1 vCPU"));
  assert_non_null(strstr(svg, "<title>kernel_starts at 28.750 ms</title>"));
  free(svg);
  json_decref(report);
  json_decref(runs);
  json_decref(matrix);
}

/* Runs as a matrix holds them while it is under way and after a restart (issue 13, finding 1): a
 * started run and a queued one (no accel yet), an interrupted one, a failed one without an error,
 * and runs with fields missing or of the wrong type. */
static json_t *runs_in_every_state(void) {
  json_t *runs = synthetic_runs(2);
  json_t *more = json_loads(
      "[{\"id\":\"0000000000000009\",\"matrix_index\":9,\"cpus\":2,\"status\":\"running\","
      "\"accel\":\"kvm\","
      "  \"boot_time_ms\":null,\"markers\":[{\"name\":\"kernel_starts\",\"t_ms\":3.0}]},"
      " {\"id\":\"000000000000000a\",\"matrix_index\":10,\"cpus\":1,\"status\":\"queued\","
      "\"accel\":null,"
      "  \"boot_time_ms\":null,\"markers\":[],\"error\":null,\"guest_cpus_online\":null},"
      " {\"id\":\"000000000000000b\",\"matrix_index\":11,\"cpus\":2,\"status\":\"interrupted\","
      "\"accel\":null,"
      "  \"error\":{\"code\":\"interrupted\",\"message\":\"the daemon stopped\"}},"
      " {\"id\":\"000000000000000c\",\"cpus\":1,\"status\":\"failed\"},"
      " {},"
      " {\"id\":5,\"matrix_index\":\"x\",\"cpus\":\"2\",\"status\":7,\"accel\":3,\"boot_time_ms\":"
      "\"12\","
      "  \"markers\":\"none\",\"error\":\"boom\",\"guest_cpus_online\":\"2\"},"
      " {\"id\":\"000000000000000d\",\"matrix_index\":13,\"cpus\":1,\"status\":\"succeeded\","
      "\"accel\":\"tcg\","
      "  "
      "\"boot_time_ms\":140,\"guest_cpus_online\":1,\"markers\":[null,3,{\"name\":null,\"t_ms\":1},"
      "{\"t_ms\":2},"
      "  {\"name\":\"kernel_starts\"},{\"name\":\"kernel_starts\",\"t_ms\":\"5\"},"
      "  {\"name\":\"shell_prompt\",\"t_ms\":140}]},"
      " null, \"run\"]",
      0, NULL);
  assert_non_null(more);
  json_array_extend(runs, more);
  json_decref(more);
  return runs;
}

static json_t *named(json_t *list, const char *key, const char *name) {
  size_t i;
  json_t *e;
  json_array_foreach(list, i,
                     e) if (strcmp(json_string_value(json_object_get(e, key)), name) == 0) return e;
  return NULL;
}

static void report_takes_runs_in_every_state(void **state) {
  (void)state;
  json_t *matrix = synthetic_matrix(), *runs = runs_in_every_state();
  json_t *report = matrix_report(matrix, runs);
  assert_non_null(report);
  /* Runs not started yet add no accelerator; the others are listed once each. */
  json_t *accel = json_object_get(report, "accel");
  assert_int_equal(json_array_size(accel), 2);
  assert_string_equal(json_string_value(json_array_get(accel, 0)), "tcg");
  assert_string_equal(json_string_value(json_array_get(accel, 1)), "kvm");
  /* Final: the 9 synthetic runs, the interrupted, the failed and the late success. */
  json_t *progress = json_object_get(report, "progress");
  assert_int_equal(json_integer_value(json_object_get(progress, "done")), 12);
  assert_int_equal(json_integer_value(json_object_get(progress, "succeeded")), 9);
  assert_int_equal(json_integer_value(json_object_get(progress, "failed")), 3);
  json_t *one = config(report, 0), *two = config(report, 1);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(one, "failures"), "failed")),
                   1);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(two, "failures"), "interrupted")), 1);
  assert_true(stat(one, "mean") ==
              120.0); /* 100..140: the late success counts, nothing else does */
  assert_int_equal(json_integer_value(json_object_get(json_object_get(one, "boot_time_ms"), "n")),
                   5);
  /* Markers without a name or a time are left out, never averaged in as 0 ms. */
  json_t *markers = json_object_get(one, "markers");
  assert_int_equal(json_array_size(markers), 2);
  json_t *ks = json_object_get(named(markers, "name", "kernel_starts"), "t_ms");
  assert_int_equal(json_integer_value(json_object_get(ks, "n")), 4);
  assert_true(json_real_value(json_object_get(ks, "mean")) == 28.75);
  json_t *phase = named(json_object_get(one, "phases"), "phase", "kernel_starts -> shell_prompt");
  assert_int_equal(json_integer_value(json_object_get(json_object_get(phase, "duration_ms"), "n")),
                   4);
  assert_int_equal(json_array_size(json_object_get(report, "runs")), 14); /* the runs with an id */

  char *text = matrix_report_text(report);
  assert_non_null(strstr(text, "accel [\"tcg\",\"kvm\"]"));
  assert_non_null(strstr(text, "1 vCPU: 1 run(s) failed with failed (not averaged in)"));
  assert_non_null(strstr(text, "2 vCPU: 1 run(s) failed with interrupted (not averaged in)"));
  free(text);
  char *csv = matrix_report_csv(runs);
  assert_non_null(strstr(csv, "\n10,\"000000000000000a\",1,\"queued\",\"\",,,\"\",,\n"));
  assert_non_null(strstr(csv, "\n,\"\",,\"\",\"\",,,\"\",,\n")); /* the run of wrong types */
  assert_non_null(
      strstr(csv, "\n13,\"000000000000000d\",1,\"succeeded\",\"tcg\",1,140.000,\"\",,140.000\n"));
  free(csv);
  char *svg = matrix_report_svg(report), *tex = matrix_report_latex(report);
  assert_non_null(strstr(svg, "</svg>\n"));
  assert_non_null(strstr(tex, "\\end{figure}\n"));
  free(svg);
  free(tex);
  /* The built-in claims are compared too: none applies to this guest but repeatability. */
  json_t *claims = json_object_get(json_object_get(report, "claims"), "comparisons");
  assert_int_equal(json_array_size(claims), 6);
  json_decref(report);
  json_decref(runs);
  json_decref(matrix);
}

/* A matrix row and runs that are not even objects still give a report, and every renderer and the
 * comparison take reports with fields missing or of the wrong type. */
static void renderers_take_partial_reports(void **state) {
  (void)state;
  json_t *runs =
      json_loads("[null, 1, {\"markers\":[{\"name\":\"a,\\\"b\",\"t_ms\":1}]}]", 0, NULL);
  json_t *report = matrix_report(NULL, runs);
  assert_true(json_is_object(report));
  assert_int_equal(json_array_size(json_object_get(report, "accel")), 0);
  json_t *odd = json_loads(
      "{\"id\":3,\"status\":null,\"request\":{\"profile\":7,\"cpus\":\"x\"},\"scaling\":{\"valid\":"
      "true},"
      " \"claims\":{\"comparisons\":[{\"estimate\":1,\"measured\":{\"mean\":2,\"ci95\":[1]}},7]},"
      " \"configs\":[{\"cpus\":1,\"boot_time_ms\":{\"n\":-3,\"mean\":\"x\",\"ci95\":[null]},"
      "   "
      "\"markers\":[{\"t_ms\":{\"mean\":5}},{\"name\":\"k\",\"t_ms\":7}],\"failures\":{\"x\":\"y\"}"
      ","
      "   \"relative_to_1_vcpu\":{\"speedup\":\"fast\"}},"
      "  "
      "{\"cpus\":2,\"boot_time_ms\":{\"n\":2,\"mean\":4,\"stdev\":null,\"max\":5e300,\"ci95\":[1,2]"
      "},\"markers\":7},"
      "  5, null]}",
      0, NULL);
  assert_non_null(odd);
  json_t *sources[] = {report, odd, NULL};
  for (json_t **r = sources; r < sources + 3; r++) {
    char *outputs[] = {matrix_report_text(*r), matrix_report_svg(*r), matrix_report_latex(*r)};
    for (size_t i = 0; i < 3; i++) {
      assert_non_null(outputs[i]);
      free(outputs[i]);
    }
    for (json_t **other = sources; other < sources + 3; other++) {
      json_t *cmp = matrix_compare(*r, *other);
      assert_non_null(cmp);
      char *text = matrix_compare_text(cmp);
      assert_non_null(text);
      free(text);
      json_decref(cmp);
    }
  }
  json_t *cmp = matrix_compare(odd, odd);
  json_t *c2 = json_array_get(json_object_get(cmp, "configs"), 1);
  assert_string_equal(json_string_value(json_object_get(c2, "verdict")),
                      "not testable: needs two samples per side and some variation");
  char *text = matrix_compare_text(cmp);
  assert_non_null(strstr(text, "Matrix - (after) against - (before)"));
  free(text);
  json_decref(cmp);
  text = matrix_report_text(odd);
  assert_non_null(strstr(text, "Matrix -: -, "));
  free(text);
  /* A marker named with a comma and a quote (scenario steps name markers) stays one CSV column. */
  char *csv = matrix_report_csv(runs);
  assert_non_null(strstr(csv, ",error_code,\"a,\"\"b_ms\"\n"));
  free(csv);
  json_decref(odd);
  json_decref(report);
  json_decref(runs);
}

static json_t *report_of(const char *id, const double *x, size_t n) {
  struct stats s;
  stats_compute(x, n, &s);
  return json_pack("{s:s, s:[{s:i, s:o}, {s:i, s:n}]}", "id", id, "configs", "cpus", 1,
                   "boot_time_ms", stats_to_json(&s), "cpus", 2, "boot_time_ms");
}

static void compare_flags_regressions(void **state) {
  (void)state;
  /* Welch's worked example: the second sample is slower, t = -2.46, p = 0.021. */
  const double a[] = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                      21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
  const double b[] = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                      24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
  json_t *before = report_of("before", a, 15), *after = report_of("after", b, 15);
  json_t *cmp = matrix_compare(before, after);
  json_t *c1 = json_array_get(json_object_get(cmp, "configs"), 0);
  assert_string_equal(json_string_value(json_object_get(c1, "verdict")), "regression");
  assert_true(json_is_true(json_object_get(c1, "regression")));
  double p = json_real_value(json_object_get(json_object_get(c1, "test"), "p"));
  assert_true(p > 0.020 && p < 0.022);
  json_t *ci = json_object_get(c1, "difference_ci95");
  assert_true(json_real_value(json_array_get(ci, 0)) > 0); /* the whole interval is a slowdown */
  json_t *c2 = json_array_get(json_object_get(cmp, "configs"), 1);
  assert_string_equal(json_string_value(json_object_get(c2, "verdict")),
                      "no successful runs on one side");
  char *text = matrix_compare_text(cmp);
  assert_non_null(strstr(text, "regression"));
  free(text);
  json_decref(cmp);
  cmp = matrix_compare(after, before);
  c1 = json_array_get(json_object_get(cmp, "configs"), 0);
  assert_string_equal(json_string_value(json_object_get(c1, "verdict")), "improvement");
  json_decref(cmp);
  json_decref(before);
  json_decref(after);
  const double same[] = {10, 11, 12};
  before = report_of("x", same, 3);
  after = report_of("y", same, 3);
  cmp = matrix_compare(before, after);
  c1 = json_array_get(json_object_get(cmp, "configs"), 0);
  assert_string_equal(json_string_value(json_object_get(c1, "verdict")), "no significant change");
  json_decref(cmp);
  json_decref(before);
  json_decref(after);
}

/* Three runs on the virtual clock: identical counts (stdev 0), host times that vary; the other
 * matrix's proc_init phase took 100 more instructions. */
static json_t *virtual_runs(int extra) {
  json_t *runs = json_array();
  for (int i = 0; i < 3; i++) {
    char id[17];
    snprintf(id, sizeof id, "%016d", i);
    double t = 500 + 7 * i;
    json_int_t a = 1000, b = 5000 + extra, c = 9000 + extra;
    json_array_append_new(
        runs,
        json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:o, s:f, s:I, s:i, s:s, s:[{s:s, s:f, "
                  "s:I}, {s:s, s:f, s:I}, {s:s, s:f, s:I}]}",
                  "id", id, "matrix_index", i, "cpus", 1, "accel", "tcg", "status", "succeeded",
                  "clock", "virtual", "error", json_null(), "boot_time_ms", t, "boot_instructions",
                  c, "icount_shift", 4, "terminal_marker", "shell_prompt", "markers", "name",
                  "kernel_starts", "t_ms", t / 4, "instructions", a, "name", "memory_init", "t_ms",
                  t / 2, "instructions", b, "name", "shell_prompt", "t_ms", t, "instructions", c));
  }
  return runs;
}

static void virtual_clock_reports_and_compares(void **state) {
  (void)state;
  json_t *matrix =
      json_pack("{s:s, s:s, s:{s:[i], s:i, s:s, s:s, s:i}, s:i}", "id", "00000000000000bb",
                "status", "done", "request", "cpus", 1, "samples", 3, "profile", "minix-3.4",
                "clock", "virtual", "icount_shift", 4, "total", 3);
  json_t *runs_a = virtual_runs(0), *runs_b = virtual_runs(100);
  json_t *a = matrix_report(matrix, runs_a);
  json_object_set_new(matrix, "id", json_string("00000000000000cc"));
  json_t *b = matrix_report(matrix, runs_b);
  assert_string_equal(json_string_value(json_object_get(a, "clock")), "virtual");
  assert_int_equal(json_integer_value(json_object_get(a, "icount_shift")), 4);
  json_t *c = config(a, 0), *bi = json_object_get(c, "boot_instructions");
  assert_true(json_number_value(json_object_get(bi, "mean")) == 9000);
  assert_true(json_number_value(json_object_get(bi, "stdev")) == 0);
  assert_true(stat(c, "stdev") > 0); /* the host clock's spread, beside it */
  json_t *phase = json_array_get(json_object_get(c, "phases"), 0);
  assert_true(json_number_value(json_object_get(json_object_get(phase, "instructions"), "mean")) ==
              4000);
  char *text = matrix_report_text(a), *csv = matrix_report_csv(runs_a),
       *tex = matrix_report_latex(a);
  assert_non_null(strstr(text, "Virtual clock: guest instructions"));
  assert_non_null(strstr(text, "kernel_starts -> memory_init"));
  assert_non_null(strstr(csv, ",boot_instructions,"));
  assert_non_null(strstr(csv, "memory_init_instructions"));
  assert_non_null(strstr(csv, ",9000,"));
  assert_non_null(strstr(tex, "9000 & 9000 & 9000 & 9000"));
  free(text);
  free(csv);
  free(tex);
  json_t *cmp = matrix_compare(a, b);
  json_t *v = json_object_get(json_array_get(json_object_get(cmp, "configs"), 0), "virtual");
  assert_true(json_is_true(json_object_get(v, "exact")));
  assert_true(json_number_value(json_object_get(v, "difference")) == 100);
  assert_string_equal(json_string_value(json_object_get(v, "verdict")), "more instructions");
  json_t *phases = json_object_get(v, "phases");
  assert_int_equal(json_array_size(phases), 2);
  assert_true(json_number_value(json_object_get(json_array_get(phases, 0), "difference")) == 100);
  assert_true(json_number_value(json_object_get(json_array_get(phases, 1), "difference")) == 0);
  text = matrix_compare_text(cmp);
  assert_non_null(strstr(text, "+100 instructions (exact)"));
  free(text);
  json_decref(cmp);
  /* Runs of two QEMU versions are never exact (the plugin's counts follow 7.2's callback order). */
  json_t *ha = json_object_get(a, "hosts"), *hb = json_object_get(b, "hosts");
  json_array_append_new(ha, json_pack("{s:s}", "qemu_version", "7.2.22"));
  json_array_append_new(hb, json_pack("{s:s}", "qemu_version", "8.2.0"));
  cmp = matrix_compare(a, b);
  v = json_object_get(json_array_get(json_object_get(cmp, "configs"), 0), "virtual");
  assert_false(json_is_true(json_object_get(v, "exact")));
  assert_false(
      json_is_true(json_object_get(json_array_get(json_object_get(v, "phases"), 0), "exact")));
  json_decref(cmp);
  json_array_clear(hb);
  /* Another shift, or the host clock on one side: instructions are not compared. */
  json_object_set_new(b, "icount_shift", json_integer(5));
  cmp = matrix_compare(a, b);
  assert_null(json_object_get(json_array_get(json_object_get(cmp, "configs"), 0), "virtual"));
  assert_non_null(json_object_get(cmp, "virtual_note"));
  json_decref(cmp);
  json_decref(a);
  json_decref(b);
  json_decref(runs_a);
  json_decref(runs_b);
  json_decref(matrix);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rejects_bad_matrices),
      cmocka_unit_test(interleaves_configs),
      cmocka_unit_test(report_statistics),
      cmocka_unit_test(uniprocessor_guest_is_not_scaling),
      cmocka_unit_test(samples_from_different_hosts_are_grouped),
      cmocka_unit_test(stored_requests_are_read_back),
      cmocka_unit_test(golden_text_and_csv),
      cmocka_unit_test(compare_flags_regressions),
      cmocka_unit_test(virtual_clock_reports_and_compares),
      cmocka_unit_test(report_takes_runs_in_every_state),
      cmocka_unit_test(renderers_take_partial_reports),
  };
  return cmocka_run_group_tests_name("matrix", tests, setup, teardown);
}
