/* Unattended installs: a new qcow2, a boot of the live CD with that disk
 * attached playing a scenario (minix-setup by default) over the serial
 * console, a check that the installed disk boots to its terminal marker
 * through an overlay and was left unchanged by it, then the disk registered
 * as an image. Each phase is stored, so progress and failures are visible. */
#pragma once
#include <jansson.h>
#include <uv.h>

#include "core/jobs.h"
#include "lib/error.h"
#include "lib/store.h"

struct installs;

/* Creates the install runner on top of jobs; state_dir/disks holds the disks. */
struct installs *installs_new(uv_loop_t *loop, struct store *store, struct jobs *jobs,
                              const struct bootspec_env *env, const char *state_dir);
/* Frees the runner (installs still active are abandoned; NULL is fine). */
void installs_free(struct installs *is);
/* Validates an install request and starts it; id receives the install id. 400/503 in err. */
int installs_start(struct installs *is, json_t *req, char id[UTIL_ID_LEN + 1],
                   struct ma_error *err);
/* Cancels an active install (its current run is cancelled); -ENOENT when it is not active. */
int installs_cancel(struct installs *is, const char *id);
/* true when an active install's ISO, extracted files or disk is real_target (a resolved path) or
 * lies below it (NULL is: false). */
bool installs_use(const struct installs *is, const char *real_target);
/* Active installs (not yet ended). */
int installs_active(const struct installs *is);
