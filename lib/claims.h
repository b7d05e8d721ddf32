/* Claims: published estimates compared with what a matrix measured. A claim
 * is only compared with a measurement of the same span (from where to where);
 * otherwise it is reported as not comparable, with the reason. */
#pragma once
#include <jansson.h>

/* A built-in claims file by name ("whitepaper"), parsed; NULL when unknown. */
json_t *claims_builtin(const char *name);
/* New array of comparisons of the claims in doc with a matrix report and its runs. */
json_t *claims_compare(json_t *doc, json_t *report, json_t *runs);
/* Status for a relative error in percent: VERIFIED (< 10), PLAUSIBLE (< 20), NEEDS_VALIDATION. */
const char *claims_status(double error_pct);
