#include "lib/stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Exact two-sided 95% quantiles for small df; beyond, a Cornish-Fisher
 * expansion around the normal quantile is accurate to better than 1e-4. */
static const double t95_table[] = {0,      12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646,
                                   2.3060, 2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314,
                                   2.1199, 2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687,
                                   2.0639, 2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};

double stats_t95(double df) {
  if (df < 1)
    return NAN;
  if (df <= 30 && df == floor(df))
    return t95_table[(int)df];
  const double z = 1.959963984540054;
  double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z, z9 = z7 * z * z;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df * df * df) +
         (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df * df * df * df);
}

int stats_compute(const double *x, size_t n, struct stats *out) {
  if (n == 0)
    return -EINVAL;
  double *sorted = malloc(n * sizeof *sorted);
  if (!sorted)
    return -ENOMEM;
  memcpy(sorted, x, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += sorted[i];
  double mean = sum / (double)n, ss = 0;
  for (size_t i = 0; i < n; i++)
    ss += (sorted[i] - mean) * (sorted[i] - mean);
  *out = (struct stats){.n = n, .mean = mean, .min = sorted[0], .max = sorted[n - 1]};
  out->median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  out->stdev = n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
  out->cv = n > 1 && mean != 0 ? out->stdev / mean : NAN;
  double half = n > 1 ? stats_t95((double)(n - 1)) * out->stdev / sqrt((double)n) : NAN;
  out->ci_low = mean - half;
  out->ci_high = mean + half;
  free(sorted);
  return 0;
}

static double se2(const struct stats *s) {
  return s->n > 1 ? s->stdev * s->stdev / (double)s->n : NAN;
}

void stats_ratio(const struct stats *num, const struct stats *den, double *ratio, double *se) {
  *ratio = num->mean / den->mean;
  double rel = se2(num) / (num->mean * num->mean) + se2(den) / (den->mean * den->mean);
  *se = *ratio * sqrt(rel);
}

/* Regularised incomplete beta I_x(a, b) by its continued fraction (Lentz). */
static double beta_cf(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = fabs(d) < tiny ? tiny : d;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 300; m++) {
    double m2 = 2 * m, aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    d = fabs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = fabs(c) < tiny ? tiny : c;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    d = fabs(d) < tiny ? tiny : d;
    c = 1 + aa / c;
    c = fabs(c) < tiny ? tiny : c;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1) < 1e-12)
      break;
  }
  return h;
}

static double incomplete_beta(double a, double b, double x) {
  if (x <= 0)
    return 0;
  if (x >= 1)
    return 1;
  double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x));
  if (x < (a + 1) / (a + b + 2))
    return front * beta_cf(a, b, x) / a;
  return 1 - front * beta_cf(b, a, 1 - x) / b;
}

int stats_welch(const struct stats *a, const struct stats *b, double *t, double *df, double *p) {
  double va = se2(a), vb = se2(b);
  if (a->n < 2 || b->n < 2 || va + vb == 0)
    return -EINVAL;
  *t = (a->mean - b->mean) / sqrt(va + vb);
  *df = (va + vb) * (va + vb) / (va * va / (double)(a->n - 1) + vb * vb / (double)(b->n - 1));
  *p = incomplete_beta(*df / 2, 0.5, *df / (*df + *t * *t));
  return 0;
}

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

json_t *stats_to_json(const struct stats *s) {
  json_t *j = json_pack("{s:I}", "n", (json_int_t)s->n);
  json_object_set_new(j, "mean", num(s->mean));
  json_object_set_new(j, "median", num(s->median));
  json_object_set_new(j, "min", num(s->min));
  json_object_set_new(j, "max", num(s->max));
  json_object_set_new(j, "stdev", num(s->stdev));
  json_object_set_new(j, "cv", num(s->cv));
  json_object_set_new(j, "ci95", json_pack("[o, o]", num(s->ci_low), num(s->ci_high)));
  return j;
}
