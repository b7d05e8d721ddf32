/* Matrix requests and reports: validation, interleaving, statistics per config,
 * honest scaling, and golden text/CSV renderings of a synthetic matrix. */
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
    fail_msg("%s: got %d %s/%s, wanted %s/%s", extra, r, r ? err.code : "-", r ? err.field : "-", code, field);
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
  expect_error(",\"cpus\":[1],\"samples\":1,\"isolation\":\"parallel\",\"parallel\":3", "out_of_range", "parallel");
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
    json_t *run = json_pack("{s:s, s:i, s:i, s:s}", "id", id, "matrix_index", i, "cpus", cpus, "accel", "tcg");
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
    json_object_set_new(run, "markers", json_pack("[{s:s, s:f}, {s:s, s:f}]", "name", "kernel_starts", "t_ms",
                                                  t / 4, "name", "shell_prompt", "t_ms", t));
    json_array_append_new(runs, run);
  }
  return runs;
}

static json_t *synthetic_matrix(void) {
  return json_pack("{s:s, s:s, s:{s:[i,i], s:i, s:s}, s:s, s:i, s:i, s:s, s:s}", "id", "00000000000000aa", "status",
                   "done", "request", "cpus", 1, 2, "samples", 4, "profile", "linux", "isolation", "exclusive",
                   "parallel", 1, "total", 9, "created_at", "2026-11-24T00:00:00.000000Z", "finished_at",
                   "2026-11-24T00:01:00.000000Z");
}

static json_t *config(json_t *report, int i) { return json_array_get(json_object_get(report, "configs"), (size_t)i); }

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
  assert_int_equal(json_integer_value(json_object_get(json_object_get(one, "failures"), "boot_timeout")), 1);
  assert_true(stat(one, "mean") == 115.0); /* the timeout is not averaged in */
  assert_true(stat(two, "mean") == 57.5);
  assert_true(stat(two, "median") == 57.5);
  json_t *rel = json_object_get(two, "relative_to_1_vcpu");
  assert_true(json_real_value(json_object_get(rel, "speedup")) == 2.0);
  assert_true(json_real_value(json_object_get(rel, "efficiency")) == 1.0);
  assert_true(json_is_null(json_object_get(one, "relative_to_1_vcpu")));
  assert_true(json_is_true(json_object_get(json_object_get(report, "scaling"), "valid")));
  json_t *phase = json_array_get(json_object_get(two, "phases"), 0);
  assert_string_equal(json_string_value(json_object_get(phase, "phase")), "kernel_starts -> shell_prompt");
  assert_true(json_number_value(json_object_get(json_object_get(phase, "duration_ms"), "mean")) == 57.5 * 0.75);
  json_t *progress = json_object_get(report, "progress");
  assert_int_equal(json_integer_value(json_object_get(progress, "done")), 9);
  assert_int_equal(json_integer_value(json_object_get(progress, "failed")), 1);
  json_decref(report);
  json_decref(runs);
  json_decref(matrix);
}

static void uniprocessor_guest_is_not_scaling(void **state) {
  (void)state;
  json_t *matrix = synthetic_matrix(), *runs = synthetic_runs(1);
  json_t *report = matrix_report(matrix, runs);
  json_t *scaling = json_object_get(report, "scaling");
  assert_false(json_is_true(json_object_get(scaling, "valid")));
  assert_non_null(strstr(json_string_value(json_object_get(scaling, "note")), "not multiprocessor scaling"));
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
  char *text = matrix_report_text(report), *csv = matrix_report_csv(runs), *tex = matrix_report_latex(report);
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

static json_t *report_of(const char *id, const double *x, size_t n) {
  struct stats s;
  stats_compute(x, n, &s);
  return json_pack("{s:s, s:[{s:i, s:o}, {s:i, s:n}]}", "id", id, "configs", "cpus", 1, "boot_time_ms",
                   stats_to_json(&s), "cpus", 2, "boot_time_ms");
}

static void compare_flags_regressions(void **state) {
  (void)state;
  /* Welch's worked example: the second sample is slower, t = -2.46, p = 0.021. */
  const double a[] = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
  const double b[] = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
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
  assert_string_equal(json_string_value(json_object_get(c2, "verdict")), "no successful runs on one side");
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rejects_bad_matrices), cmocka_unit_test(interleaves_configs),
      cmocka_unit_test(report_statistics),    cmocka_unit_test(uniprocessor_guest_is_not_scaling),
      cmocka_unit_test(golden_text_and_csv),    cmocka_unit_test(compare_flags_regressions),
  };
  return cmocka_run_group_tests_name("matrix", tests, setup, teardown);
}
