#include "lib/flags.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "lib/util.h"

int flag_long(const char *prog, const char *flag, const char *v, long lo, long hi, long *out) {
  if (util_parse_long(v, lo, hi, out) == 0)
    return 0;
  fprintf(stderr, "%s: --%s wants an integer from %ld to %ld, got '%s'\n", prog, flag, lo, hi, v);
  return -EINVAL;
}

int flag_int(const char *prog, const char *flag, const char *v, long lo, long hi, int *out) {
  long n;
  int r = flag_long(prog, flag, v, lo, hi < INT_MAX ? hi : INT_MAX, &n);
  if (r == 0)
    *out = (int)n;
  return r;
}

int flag_double(const char *prog, const char *flag, const char *v, double lo, double hi,
                double *out) {
  double d;
  /* lo itself is refused: these are rates and durations, where 0 means nothing. */
  if (util_parse_double(v, lo, hi, &d) == 0 && d > lo) {
    *out = d;
    return 0;
  }
  fprintf(stderr, "%s: --%s wants a number above %g and at most %g, got '%s'\n", prog, flag, lo, hi,
          v);
  return -EINVAL;
}
