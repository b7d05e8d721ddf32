/* libFuzzer: the matrix reports over random run sets. The input bytes pick, field by field, what
 * each run holds (missing, null, a value of its type, or a value of another type), so the sets
 * look like a matrix in every state: queued runs without an accel, interrupted ones, succeeded
 * ones with odd markers. Each set goes through the report in every format, the comparison of two
 * reports, and the claims (built in and random). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/claims.h"
#include "lib/matrix_compare.h"
#include "lib/matrix_render.h"
#include "lib/matrix_report.h"

struct input {
  const uint8_t *p, *end;
};

static unsigned byte(struct input *in) { return in->p < in->end ? *in->p++ : 0; }

static const char *pick(struct input *in, const char *const *list, size_t n) {
  return list[byte(in) % n];
}

static double number(struct input *in) {
  static const double interesting[] = {0,     -0.0,    1,        -1,      0.5, 1e-300,
                                       1e300, 1.7e308, -1.7e308, 123.456, 65,  35};
  unsigned b = byte(in);
  return b < 128 ? interesting[b % 12] : (double)(b - 128) * 7.25;
}

static json_t *string(struct input *in) {
  static const char *const s[] = {"succeeded",
                                  "queued",
                                  "running",
                                  "failed",
                                  "timeout",
                                  "cancelled",
                                  "interrupted",
                                  "kernel_starts",
                                  "shell_prompt",
                                  "tcg",
                                  "kvm",
                                  "",
                                  "a,\"b\n",
                                  "minix-3.4",
                                  "linux",
                                  "i386",
                                  "x86_64",
                                  "boot_time_ms",
                                  "cv",
                                  "marker:kernel_starts",
                                  "qemu_cont_to_terminal",
                                  "fixture of minix-analysis"};
  return json_string(pick(in, s, sizeof s / sizeof s[0]));
}

/* Some value of any type (nested a little). */
static json_t *any(struct input *in, int depth) {
  switch (byte(in) % 7) {
  case 0: return json_null();
  case 1: return json_boolean(byte(in) & 1);
  case 2: return json_integer((json_int_t)byte(in) - 8);
  case 3: return json_real(number(in));
  case 4: return string(in);
  case 5:
    return depth > 2 ? json_array() : json_pack("[o, o]", any(in, depth + 1), any(in, depth + 1));
  default: return depth > 2 ? json_object() : json_pack("{s:o}", "t_ms", any(in, depth + 1));
  }
}

/* Sets key in o from the next byte: missing, null, a value of the wanted type, or any other value.
 */
static void field(struct input *in, json_t *o, const char *key, json_t *wanted) {
  switch (byte(in) % 4) {
  case 0: json_decref(wanted); return;
  case 1:
    json_decref(wanted);
    json_object_set_new(o, key, json_null());
    return;
  case 2:
    json_decref(wanted);
    json_object_set_new(o, key, any(in, 0));
    return;
  default: json_object_set_new(o, key, wanted);
  }
}

static json_t *marker(struct input *in) {
  if (byte(in) % 8 == 0)
    return any(in, 0);
  json_t *m = json_object();
  field(in, m, "name", string(in));
  field(in, m, "t_ms", json_real(number(in)));
  field(in, m, "text", string(in));
  return m;
}

static json_t *run(struct input *in, size_t index) {
  if (byte(in) % 16 == 0)
    return any(in, 0);
  json_t *r = json_object();
  char id[17];
  snprintf(id, sizeof id, "%016zx", index);
  field(in, r, "id", json_string(id));
  field(in, r, "matrix_index", json_integer((json_int_t)index));
  field(in, r, "cpus", json_integer(byte(in) % 4));
  field(in, r, "status", string(in));
  field(in, r, "accel", string(in));
  field(in, r, "boot_time_ms", json_real(number(in)));
  field(in, r, "guest_cpus_online", json_integer((json_int_t)(byte(in) % 5) - 1));
  json_t *markers = json_array();
  for (unsigned n = byte(in) % 6; n > 0; n--)
    json_array_append_new(markers, marker(in));
  field(in, r, "markers", markers);
  field(in, r, "error", json_pack("{s:o}", "code", string(in)));
  return r;
}

static json_t *matrix(struct input *in) {
  json_t *cpus = json_array();
  for (unsigned n = byte(in) % 5; n > 0; n--)
    json_array_append_new(cpus, byte(in) % 8 ? json_integer(byte(in) % 4) : any(in, 0));
  json_t *request = json_object();
  field(in, request, "cpus", cpus);
  field(in, request, "samples", json_integer(byte(in)));
  field(in, request, "profile", string(in));
  field(in, request, "arch", string(in));
  json_t *m = json_object();
  field(in, m, "id", json_string("00000000000000aa"));
  field(in, m, "status", string(in));
  field(in, m, "request", request);
  field(in, m, "isolation", string(in));
  field(in, m, "parallel", json_integer(byte(in) % 4));
  field(in, m, "total", json_integer(byte(in)));
  return m;
}

static json_t *claims_doc(struct input *in) {
  json_t *claims = json_array();
  for (unsigned n = byte(in) % 4; n > 0; n--) {
    json_t *c = json_object();
    field(in, c, "id", string(in));
    field(in, c, "metric", string(in));
    field(in, c, "span", string(in));
    field(in, c, "estimate", json_real(number(in)));
    field(in, c, "threshold", json_real(number(in)));
    field(in, c, "any_guest", json_boolean(byte(in) & 1));
    field(in, c, "applies",
          json_pack("{s:o, s:o}", "arch", string(in), "cpus", json_integer(byte(in) % 4)));
    json_array_append_new(claims, c);
  }
  json_t *doc = json_object();
  field(in, doc, "profile", string(in));
  field(in, doc, "exclude_banner", string(in));
  field(in, doc, "claims", claims);
  return doc;
}

static json_t *run_set(struct input *in) {
  json_t *runs = json_array();
  for (size_t i = 0, n = byte(in) % 12; i < n; i++)
    json_array_append_new(runs, run(in, i));
  return runs;
}

static void render(json_t *report, json_t *runs) {
  free(matrix_report_text(report));
  free(matrix_report_csv(runs));
  free(matrix_report_svg(report));
  free(matrix_report_latex(report));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct input in = {data, data + size};
  json_t *m1 = matrix(&in), *runs1 = run_set(&in), *m2 = matrix(&in), *runs2 = run_set(&in);
  json_t *a = matrix_report(m1, runs1), *b = matrix_report(m2, runs2);
  render(a, runs1);
  render(b, runs2);
  json_t *cmp = matrix_compare(a, b);
  free(matrix_compare_text(cmp));
  json_decref(cmp);
  json_t *doc = claims_doc(&in);
  json_decref(claims_compare(doc, a, runs1));
  json_decref(doc);
  /* The renderers also take what is no report at all. */
  json_t *odd = any(&in, 0);
  render(odd, odd);
  cmp = matrix_compare(odd, a);
  free(matrix_compare_text(cmp));
  json_decref(cmp);
  json_decref(odd);
  json_decref(a);
  json_decref(b);
  json_decref(m1);
  json_decref(m2);
  json_decref(runs1);
  json_decref(runs2);
  return 0;
}
