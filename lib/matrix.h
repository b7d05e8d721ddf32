/* vCPU x samples matrices: request validation and the interleaved plan. */
#pragma once
#include <jansson.h>

#include "lib/bootspec.h"
#include "lib/error.h"

#define MATRIX_MAX_CONFIGS 16
#define MATRIX_MAX_SAMPLES 100

struct matrix_spec {
  json_t *boot; /* the boot request, without the matrix keys and without cpus */
  int cpus[MATRIX_MAX_CONFIGS];
  size_t n_cpus;
  int samples;
  const char *isolation; /* "exclusive" or "parallel" */
  int parallel;          /* runs in flight at most (1 when exclusive; slurm: 0 = no throttle) */
  const char *executor;  /* "local" (this machine's job system) or "slurm" (a job array) */
  json_t *json;          /* the validated request, defaults filled in */
  char *cdrom;           /* set by the daemon for image matrices: the ISO attached to every run */
};

/* Validates a matrix request (a boot request whose cpus is a list, plus samples, isolation,
 * parallel, executor); host_cores caps parallel of a local matrix (a Slurm one: 1000). -EINVAL with
 * err on a bad request. Whether Slurm is there is the caller's to check. */
int matrix_spec_from_json(json_t *req, const struct bootspec_env *env, int host_cores,
                          struct matrix_spec **out, struct ma_error *err);
/* A matrix request as the store kept it (defaults filled in), parsed for its plan only: the boot
 * part is not validated again (its files may have moved since; its runs are already queued). */
int matrix_spec_from_stored(json_t *stored, struct matrix_spec **out, struct ma_error *err);
/* Frees a spec (NULL is fine). */
void matrix_spec_free(struct matrix_spec *m);
/* Number of runs in the plan. */
int matrix_total(const struct matrix_spec *m);
/* New boot request for plan position k: configs interleave (1,2,4,8,1,2,4,8,...)
 * so that drift of the host does not bias one config. */
json_t *matrix_boot_request(const struct matrix_spec *m, int k);
