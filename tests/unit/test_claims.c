/* Claims: statuses by relative error, spans that do not match, guests the
 * claims are not about, and the built-in whitepaper file. */
#include <string.h>

#include "lib/claims.h"
#include "test_util.h"

static json_t *report_with(const char *profile, const char *arch, double mean, double cv) {
  return json_pack("{s:{s:s, s:s}, s:[{s:i, s:{s:f, s:f, s:[f,f]}, s:[]}]}", "request", "profile",
                   profile, "arch", arch, "configs", "cpus", 1, "boot_time_ms", "mean", mean, "cv",
                   cv, "ci95", mean - 1, mean + 1, "markers");
}

static json_t *runs_with_banner(const char *banner) {
  return json_pack("[{s:[{s:s, s:s}]}]", "markers", "name", "kernel_starts", "text", banner);
}

static const char *status_of(json_t *comparisons, size_t i) {
  return json_string_value(json_object_get(json_array_get(comparisons, i), "status"));
}

static json_t *doc(void) {
  return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:f}, {s:s, s:s, s:s, s:s, s:f}, "
                   "{s:s, s:s, s:s, s:f}, {s:s, s:s, s:{s:s}, s:s, s:s, s:f}]}",
                   "name", "t", "profile", "minix-3.4", "exclude_banner", "fixture", "claims", "id",
                   "same_span", "description", "d", "metric", "boot_time_ms", "span",
                   "qemu_cont_to_terminal", "estimate", 100.0, "id", "other_span", "description",
                   "d", "metric", "boot_time_ms", "span", "kernel_entry_to_login", "estimate",
                   100.0, "id", "repeat", "description", "d", "metric", "cv", "threshold", 0.05,
                   "id", "arm", "description", "d", "applies", "arch", "arm", "metric",
                   "boot_time_ms", "span", "qemu_cont_to_terminal", "estimate", 56.0);
}

static void statuses_follow_the_error(void **state) {
  (void)state;
  assert_string_equal(claims_status(9.99), "VERIFIED");
  assert_string_equal(claims_status(-9.99), "VERIFIED");
  assert_string_equal(claims_status(10.0), "PLAUSIBLE");
  assert_string_equal(claims_status(19.99), "PLAUSIBLE");
  assert_string_equal(claims_status(-25), "NEEDS_VALIDATION");
}

static void compares_only_matching_spans(void **state) {
  (void)state;
  json_t *d = doc(), *runs = runs_with_banner("MINIX 3.4.0. (d5e4fc0)");
  double means[] = {105, 115, 150};
  const char *expected[] = {"VERIFIED", "PLAUSIBLE", "NEEDS_VALIDATION"};
  for (int i = 0; i < 3; i++) {
    json_t *report = report_with("minix-3.4", "i386", means[i], 0.01);
    json_t *c = claims_compare(d, report, runs);
    assert_string_equal(status_of(c, 0), expected[i]);
    assert_true(json_real_value(json_object_get(json_array_get(c, 0), "error_pct")) ==
                (means[i] - 100.0));
    assert_string_equal(status_of(c, 1), "NOT_COMPARABLE");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(c, 1), "explanation")),
                           "includes the firmware"));
    assert_string_equal(status_of(c, 2), "VERIFIED");       /* cv 1% < 5% */
    assert_string_equal(status_of(c, 3), "NOT_APPLICABLE"); /* no ARM config */
    json_decref(c);
    json_decref(report);
  }
  json_t *report = report_with("minix-3.4", "i386", 100, 0.08);
  json_t *c = claims_compare(d, report, runs);
  assert_string_equal(status_of(c, 2), "NEEDS_VALIDATION");
  json_decref(c);
  json_decref(report);
  json_decref(runs);
  json_decref(d);
}

static void other_guests_are_not_applicable(void **state) {
  (void)state;
  json_t *d = doc(),
         *runs = runs_with_banner("MINIX 3.4.0. (fixture of minix-analysis, not MINIX)");
  json_t *report = report_with("minix-3.4", "i386", 100, 0.01);
  json_t *c = claims_compare(d, report, runs);
  assert_string_equal(status_of(c, 0), "NOT_APPLICABLE");
  assert_non_null(
      strstr(json_string_value(json_object_get(json_array_get(c, 0), "explanation")), "fixture"));
  json_decref(c);
  json_decref(report);
  report = report_with("linux", "x86_64", 100, 0.01);
  json_decref(runs);
  runs = runs_with_banner("Linux version 6.1");
  c = claims_compare(d, report, runs);
  assert_string_equal(status_of(c, 0), "NOT_APPLICABLE");
  json_decref(c);
  json_decref(report);
  json_decref(runs);
  json_decref(d);
}

/* A run with symbol markers: the kernel's entry at entry_ms, switch_to_user at user_ms, login at
 * boot_ms. */
static json_t *symbol_run(const char *accel, double entry_ms, double user_ms, double boot_ms) {
  return json_pack(
      "{s:s, s:i, s:s, s:f, s:[{s:s, s:s, s:s, s:f}, {s:s, s:s, s:s, s:f}, {s:s, s:s, s:s, s:f}]}",
      "status", "succeeded", "cpus", 1, "accel", accel, "boot_time_ms", boot_ms, "markers", "name",
      "multiboot_detected", "source", "symbol", "text",
      "breakpoint at __k_unpaged_MINIX (0x400000)", "t_ms", entry_ms, "name", "scheduler_ready",
      "source", "symbol", "text", "breakpoint at switch_to_user (0xf0427970)", "t_ms", user_ms,
      "name", "kernel_starts", "source", "serial", "text",
      "MINIX 3.4.0. Copyright 2016, Vrije Universiteit", "t_ms", user_ms + 100);
}

/* With symbol markers the kernel_entry_to_* spans are measured from the breakpoint on the kernel's
 * entry; under TCG the verdict says it is emulated time against a hardware estimate. */
static void symbol_markers_measure_spans_from_the_kernel_entry(void **state) {
  (void)state;
  json_t *d = doc(), *report = report_with("minix-3.4", "i386", 30000, 0.01);
  json_t *runs =
      json_pack("[o, o]", symbol_run("tcg", 160, 270, 28160), symbol_run("tcg", 170, 290, 32170));
  json_t *c = claims_compare(d, report, runs);
  json_t *span = json_array_get(c, 1); /* kernel_entry_to_login, estimate 100 ms */
  assert_string_equal(status_of(c, 1), "NEEDS_VALIDATION");
  json_t *measured = json_object_get(span, "measured");
  assert_true(json_real_value(json_object_get(measured, "mean")) ==
              30000.0); /* (28000 + 32000) / 2 */
  assert_int_equal(json_integer_value(json_object_get(measured, "n")), 2);
  assert_string_equal(json_string_value(json_object_get(measured, "accel")), "tcg");
  assert_non_null(strstr(json_string_value(json_object_get(span, "explanation")), "under TCG"));
  assert_string_equal(status_of(c, 0), "NEEDS_VALIDATION"); /* qemu_cont_to_terminal: as before */
  json_decref(c);
  json_decref(runs);
  /* kernel_entry_to_userspace under KVM, close to its estimate: judged without the TCG words. */
  json_t *claims = json_pack("{s:s, s:[{s:s, s:s, s:s, s:s, s:f}]}", "name", "k", "claims", "id",
                             "kernel", "description", "d", "metric", "boot_time_ms", "span",
                             "kernel_entry_to_userspace", "estimate", 35.0);
  runs = json_pack("[o]", symbol_run("kvm", 100, 136, 900));
  c = claims_compare(claims, report, runs);
  assert_string_equal(status_of(c, 0), "VERIFIED"); /* 36 ms against 35 */
  assert_null(
      strstr(json_string_value(json_object_get(json_array_get(c, 0), "explanation")), "TCG"));
  json_decref(c);
  json_decref(runs);
  /* Without symbol markers the span stays not comparable, with the way to measure it. */
  runs = runs_with_banner("MINIX 3.4.0. Copyright 2016");
  c = claims_compare(claims, report, runs);
  assert_string_equal(status_of(c, 0), "NOT_COMPARABLE");
  assert_non_null(strstr(json_string_value(json_object_get(json_array_get(c, 0), "explanation")),
                         "symbol markers"));
  json_decref(c);
  json_decref(runs);
  json_decref(claims);
  json_decref(report);
  json_decref(d);
}

/* A report of a matrix under way has configs without a mean yet; claims of any shape are compared
 * without a crash, and what cannot be compared says so instead of comparing with 0 ms. */
static void partial_reports_and_odd_claims(void **state) {
  (void)state;
  json_t *d = doc(),
         *runs = json_loads("[null, {\"markers\":[{\"text\":5}]}, {\"markers\":7}]", 0, NULL);
  json_t *report =
      json_pack("{s:{s:s}, s:[{s:i, s:{s:i, s:n}, s:[{s:n}]}]}", "request", "profile", "minix-3.4",
                "configs", "cpus", 1, "boot_time_ms", "n", 0, "mean", "markers", "name");
  json_t *c = claims_compare(d, report, runs);
  assert_int_equal(json_array_size(c), 4);
  assert_string_equal(status_of(c, 0), "NOT_COMPARABLE");
  assert_non_null(strstr(json_string_value(json_object_get(json_array_get(c, 0), "explanation")),
                         "no successful measurement"));
  assert_true(json_is_null(json_object_get(json_array_get(c, 0), "error_pct")));
  json_decref(c);
  json_t *odd = json_loads("{\"claims\":[{}, {\"metric\":5,\"id\":[]}, {\"metric\":\"marker:\"}, 3,"
                           " {\"metric\":\"boot_time_ms\",\"span\":\"qemu_cont_to_terminal\"},"
                           " {\"metric\":\"cv\"}]}",
                           0, NULL);
  json_t *full = report_with("minix-3.4", "i386", 100, 0.01);
  c = claims_compare(odd, full, runs);
  assert_int_equal(json_array_size(c), 6);
  for (size_t i = 0; i < 6; i++)
    assert_string_equal(status_of(c, i), "NOT_COMPARABLE");
  assert_true(json_is_null(json_object_get(json_array_get(c, 1), "id")));
  assert_non_null(strstr(json_string_value(json_object_get(json_array_get(c, 4), "explanation")),
                         "no estimate"));
  assert_non_null(strstr(json_string_value(json_object_get(json_array_get(c, 5), "explanation")),
                         "no threshold"));
  json_decref(c);
  json_decref(full);
  json_decref(odd);
  json_decref(report);
  json_decref(runs);
  json_decref(d);
}

static void whitepaper_is_built_in(void **state) {
  (void)state;
  json_t *w = claims_builtin("whitepaper");
  assert_non_null(w);
  json_t *claims = json_object_get(w, "claims");
  assert_int_equal(json_array_size(claims), 6);
  assert_true(json_number_value(json_object_get(json_array_get(claims, 0), "estimate")) == 65);
  json_decref(w);
  assert_null(claims_builtin("nonexistent"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(statuses_follow_the_error),
      cmocka_unit_test(compares_only_matching_spans),
      cmocka_unit_test(other_guests_are_not_applicable),
      cmocka_unit_test(whitepaper_is_built_in),
      cmocka_unit_test(symbol_markers_measure_spans_from_the_kernel_entry),
      cmocka_unit_test(partial_reports_and_odd_claims),
  };
  return cmocka_run_group_tests_name("claims", tests, NULL, NULL);
}
