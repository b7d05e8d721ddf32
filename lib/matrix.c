#include "lib/matrix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_field.h"

static int bad(struct ma_error *err, const char *code, const char *field, const char *msg) {
  ma_error_set(err, EINVAL, code, field, "%s", msg);
  return -EINVAL;
}

static int read_cpus(json_t *v, struct matrix_spec *m, struct ma_error *err) {
  if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > MATRIX_MAX_CONFIGS)
    return bad(err, "wrong_type", "cpus",
               "cpus must be a list of 1 to 16 vCPU counts, e.g. [1,2,4,8]");
  size_t i;
  json_t *c;
  json_array_foreach(v, i, c) {
    json_int_t n = json_integer_value(c);
    if (!json_is_integer(c) || n < 1 || n > 64)
      return bad(err, "out_of_range", "cpus", "every vCPU count must be an integer from 1 to 64");
    for (size_t k = 0; k < i; k++)
      if (m->cpus[k] == n)
        return bad(err, "invalid_value", "cpus", "vCPU counts must not repeat");
    m->cpus[i] = (int)n;
  }
  m->n_cpus = json_array_size(v);
  return 0;
}

static int read_executor(json_t *req, struct matrix_spec *m, struct ma_error *err) {
  json_t *v = json_object_get(req, "executor");
  const char *e = v ? json_string_value(v) : "local";
  if (!e || (strcmp(e, "local") && strcmp(e, "slurm")))
    return bad(err, "invalid_value", "executor", "executor must be \"local\" or \"slurm\"");
  m->executor = e[0] == 'l' ? "local" : "slurm";
  /* A Slurm task boots in a state dir of its own on its node: a registered image is not there. */
  if (m->executor[0] == 's' && json_object_get(req, "image"))
    return bad(err, "conflicting_fields", "image",
               "a Slurm matrix names its kernel, ISO or disk by path (the nodes see the same "
               "paths), not a registered image");
  return 0;
}

static int read_policy(json_t *req, int host_cores, struct matrix_spec *m, struct ma_error *err) {
  json_t *samples = json_object_get(req, "samples"), *iso = json_object_get(req, "isolation");
  json_t *par = json_object_get(req, "parallel");
  bool slurm = m->executor[0] == 's';
  if (slurm) /* the cluster's cores, not this host's */
    host_cores = 1000;
  if (!json_is_integer(samples) || json_integer_value(samples) < 1 ||
      json_integer_value(samples) > MATRIX_MAX_SAMPLES)
    return bad(err, samples ? "out_of_range" : "missing_field", "samples",
               "samples must be an integer from 1 to 100");
  m->samples = (int)json_integer_value(samples);
  const char *isolation = iso ? json_string_value(iso) : "exclusive";
  if (!isolation || (strcmp(isolation, "exclusive") && strcmp(isolation, "parallel")))
    return bad(err, "invalid_value", "isolation",
               "isolation must be \"exclusive\" or \"parallel\"");
  m->isolation = strcmp(isolation, "exclusive") == 0 ? "exclusive" : "parallel";
  if (par && m->isolation[0] == 'e')
    return bad(err, "conflicting_fields", "parallel",
               "parallel applies only to isolation \"parallel\"");
  m->parallel = m->isolation[0] == 'e' ? 1 : slurm ? 0 : host_cores;
  if (par) {
    json_int_t n = json_integer_value(par);
    if (!json_is_integer(par) || n < 1 || n > host_cores) {
      ma_error_set(err, EINVAL, "out_of_range", "parallel", "parallel must be from 1 to %d (%s)",
                   host_cores, slurm ? "tasks at once" : "the host's cores");
      return -EINVAL;
    }
    m->parallel = (int)n;
  }
  return 0;
}

/* The boot part is checked by the boot validator itself, with each vCPU count. */
static int check_boot(struct matrix_spec *m, const struct bootspec_env *env, struct ma_error *err) {
  for (size_t i = 0; i < m->n_cpus; i++) {
    json_t *req = json_deep_copy(m->boot);
    json_object_set_new(req, "cpus", json_integer(m->cpus[i]));
    struct boot_spec *spec = NULL;
    int r = bootspec_from_json(req, env, &spec, err);
    json_decref(req);
    bootspec_free(spec);
    if (r < 0)
      return r;
  }
  return 0;
}

static json_t *spec_json(const struct matrix_spec *m) {
  json_t *j = json_deep_copy(m->boot), *cpus = json_array();
  for (size_t i = 0; i < m->n_cpus; i++)
    json_array_append_new(cpus, json_integer(m->cpus[i]));
  json_object_set_new(j, "cpus", cpus);
  json_object_set_new(j, "samples", json_integer(m->samples));
  json_object_set_new(j, "isolation", json_string(m->isolation));
  json_object_set_new(j, "parallel", json_integer(m->parallel));
  json_object_set_new(j, "executor", json_string(m->executor));
  return j;
}

int matrix_spec_from_json(json_t *req, const struct bootspec_env *env, int host_cores,
                          struct matrix_spec **out, struct ma_error *err) {
  if (!json_is_object(req))
    return bad(err, "invalid_body", NULL, "the request body must be a JSON object");
  struct matrix_spec *m = calloc(1, sizeof *m);
  if (!m)
    return -ENOMEM;
  m->boot = json_deep_copy(req);
  json_object_del(m->boot, "cpus");
  json_object_del(m->boot, "samples");
  json_object_del(m->boot, "isolation");
  json_object_del(m->boot, "parallel");
  json_object_del(m->boot, "executor");
  int r = read_executor(req, m, err);
  if (r == 0)
    r = json_object_get(req, "cpus")
            ? read_cpus(json_object_get(req, "cpus"), m, err)
            : bad(err, "missing_field", "cpus", "cpus (a list such as [1,2,4,8]) is required");
  if (r == 0)
    r = read_policy(req, host_cores, m, err);
  if (r == 0)
    r = check_boot(m, env, err);
  if (r < 0) {
    matrix_spec_free(m);
    return r;
  }
  m->json = spec_json(m);
  *out = m;
  return 0;
}

int matrix_spec_from_stored(json_t *stored, struct matrix_spec **out, struct ma_error *err) {
  if (!json_is_object(stored))
    return bad(err, "invalid_body", NULL, "the stored request is not a JSON object");
  json_auto_t *req = json_deep_copy(stored);
  /* The defaults it was stored with: an exclusive matrix's parallel 1, a Slurm one's 0. */
  json_t *par = json_object_get(req, "parallel");
  if (strcmp(jfield_str(req, "isolation", ""), "exclusive") == 0 || json_integer_value(par) == 0)
    json_object_del(req, "parallel");
  struct matrix_spec *m = calloc(1, sizeof *m);
  if (!m)
    return -ENOMEM;
  m->boot = json_deep_copy(req);
  for (const char *const *k =
           (const char *const[]){"cpus", "samples", "isolation", "parallel", "executor", NULL};
       *k; k++)
    json_object_del(m->boot, *k);
  int r = read_executor(req, m, err);
  if (r == 0)
    r = read_cpus(json_object_get(req, "cpus"), m, err);
  if (r == 0)
    r = read_policy(req, 1000, m, err);
  if (r < 0) {
    matrix_spec_free(m);
    return r;
  }
  m->json = spec_json(m);
  *out = m;
  return 0;
}

void matrix_spec_free(struct matrix_spec *m) {
  if (!m)
    return;
  json_decref(m->boot);
  json_decref(m->json);
  free(m->cdrom);
  free(m);
}

int matrix_total(const struct matrix_spec *m) { return (int)m->n_cpus * m->samples; }

json_t *matrix_boot_request(const struct matrix_spec *m, int k) {
  json_t *req = json_deep_copy(m->boot);
  json_object_set_new(req, "cpus", json_integer(m->cpus[(size_t)k % m->n_cpus]));
  return req;
}
