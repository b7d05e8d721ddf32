/* Reading fields of JSON that may be partial or of the wrong type: the reports
 * take runs in every state (a queued run has no accel, an interrupted one no
 * boot time), so a renderer never reads a field without saying what stands in
 * for it when it is absent. */
#pragma once
#include <jansson.h>
#include <math.h>

/* The string under key k of o, or dflt when o is no object or k no string. */
static inline const char *jfield_str(json_t *o, const char *k, const char *dflt) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : dflt;
}

/* The number under key k of o, or NAN when it is missing or no number. */
static inline double jfield_num(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A JSON real for v, or null where JSON has no number for it (NaN, infinities). */
static inline json_t *jfield_real_or_null(double v) {
  return isfinite(v) ? json_real(v) : json_null();
}
