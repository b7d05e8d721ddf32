/* Descriptive statistics of boot samples: what a matrix report is made of. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct stats {
  size_t n;
  double mean, median, min, max;
  double stdev;           /* sample standard deviation (n - 1); NAN when n < 2 */
  double cv;              /* stdev / mean; NAN when undefined */
  double ci_low, ci_high; /* 95% confidence interval of the mean (Student t); NAN when n < 2 */
};

/* Computes the statistics of x[0..n-1]; -EINVAL when n is 0. */
int stats_compute(const double *x, size_t n, struct stats *out);
/* Two-sided 95% critical value of Student's t with df degrees of freedom (df >= 1). */
double stats_t95(double df);
/* Ratio a/b of two means with its standard error by error propagation: the
 * speedup of config b over a is stats_ratio(1-vCPU, N-vCPU). NAN se when unknown. */
void stats_ratio(const struct stats *num, const struct stats *den, double *ratio, double *se);
/* Welch's t test of two samples' means: t, its degrees of freedom and the two-sided p value. */
int stats_welch(const struct stats *a, const struct stats *b, double *t, double *df, double *p);
/* New JSON object of s (numbers, or null where undefined). */
json_t *stats_to_json(const struct stats *s);
