/* Statistics against values computed independently: textbook data sets, the
 * Student t table, and Welch's worked example (Wikipedia, "Welch's t-test"). */
#include <math.h>

#include "lib/stats.h"
#include "test_util.h"

#define near(a, b, eps) assert_true(fabs((a) - (b)) < (eps))

static void textbook_sample(void **state) {
  (void)state;
  const double x[] = {9, 2, 5, 4, 4, 7, 4, 5}; /* mean 5, sum of squares 32 */
  struct stats s;
  assert_int_equal(stats_compute(x, 8, &s), 0);
  assert_int_equal(s.n, 8);
  near(s.mean, 5.0, 1e-12);
  near(s.median, 4.5, 1e-12);
  near(s.min, 2, 1e-12);
  near(s.max, 9, 1e-12);
  near(s.stdev, sqrt(32.0 / 7.0), 1e-12);
  near(s.cv, sqrt(32.0 / 7.0) / 5.0, 1e-12);
  double half = 2.3646 * sqrt(32.0 / 7.0) / sqrt(8.0); /* t(0.975, 7) = 2.3646 */
  near(s.ci_low, 5 - half, 1e-3);
  near(s.ci_high, 5 + half, 1e-3);
}

static void odd_count_median(void **state) {
  (void)state;
  const double x[] = {3, 1, 2};
  struct stats s;
  stats_compute(x, 3, &s);
  near(s.median, 2, 1e-12);
}

static void single_sample_has_no_spread(void **state) {
  (void)state;
  const double x[] = {42.5};
  struct stats s;
  assert_int_equal(stats_compute(x, 1, &s), 0);
  near(s.mean, 42.5, 1e-12);
  near(s.median, 42.5, 1e-12);
  assert_true(isnan(s.stdev));
  assert_true(isnan(s.cv));
  assert_true(isnan(s.ci_low) && isnan(s.ci_high));
  json_t *j = stats_to_json(&s);
  assert_true(json_is_null(json_object_get(j, "stdev")));
  assert_true(json_is_null(json_array_get(json_object_get(j, "ci95"), 0)));
  json_decref(j);
  assert_int_equal(stats_compute(x, 0, &s), -22);
}

static void zero_variance(void **state) {
  (void)state;
  const double x[] = {7, 7, 7, 7};
  struct stats s;
  stats_compute(x, 4, &s);
  near(s.stdev, 0, 1e-12);
  near(s.cv, 0, 1e-12);
  near(s.ci_low, 7, 1e-12);
  near(s.ci_high, 7, 1e-12);
  struct stats other = s;
  double t, df, p;
  assert_int_equal(stats_welch(&s, &other, &t, &df, &p), -22); /* undefined, not 0 or inf */
}

static void t_table(void **state) {
  (void)state;
  /* Two-sided 95% quantiles from published tables. */
  near(stats_t95(1), 12.706, 1e-3);
  near(stats_t95(2), 4.303, 1e-3);
  near(stats_t95(10), 2.228, 1e-3);
  near(stats_t95(30), 2.042, 1e-3);
  near(stats_t95(40), 2.021, 1e-3);
  near(stats_t95(60), 2.000, 1e-3);
  near(stats_t95(120), 1.980, 1e-3);
  assert_true(isnan(stats_t95(0)));
}

static void welch_worked_example(void **state) {
  (void)state;
  const double a[] = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                      21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
  const double b[] = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                      24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
  struct stats sa, sb;
  stats_compute(a, 15, &sa);
  stats_compute(b, 15, &sb);
  double t, df, p;
  assert_int_equal(stats_welch(&sa, &sb, &t, &df, &p), 0);
  near(t, -2.46, 0.01);
  near(df, 24.99, 0.01);
  near(p, 0.021, 0.001);
}

static void ratio_with_error_propagation(void **state) {
  (void)state;
  const double one[] = {100, 110, 90, 100}, two[] = {50, 55, 45, 50};
  struct stats s1, s2;
  stats_compute(one, 4, &s1);
  stats_compute(two, 4, &s2);
  double r, se;
  stats_ratio(&s1, &s2, &r, &se);
  near(r, 2.0, 1e-12);
  /* Both relative standard errors are sqrt(200/3)/2/100: se = 2 * sqrt(2) * that. */
  near(se, 2.0 * sqrt(2.0) * (sqrt(200.0 / 3.0) / 2.0 / 100.0), 1e-12);
  const double single[] = {100};
  stats_compute(single, 1, &s1);
  stats_ratio(&s1, &s2, &r, &se);
  near(r, 2.0, 1e-12);
  assert_true(isnan(se));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(textbook_sample),
      cmocka_unit_test(odd_count_median),
      cmocka_unit_test(single_sample_has_no_spread),
      cmocka_unit_test(zero_variance),
      cmocka_unit_test(t_table),
      cmocka_unit_test(welch_worked_example),
      cmocka_unit_test(ratio_with_error_propagation),
  };
  return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
