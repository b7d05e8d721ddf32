/* Syscall traces: a boot whose console scenario runs one command under the
 * guest's tracer; when the run ends, the trace is cut out of its console log,
 * parsed into a per-syscall table and stored with the command's output and
 * exit status. */
#pragma once
#include <jansson.h>
#include <uv.h>

#include "core/jobs.h"
#include "lib/error.h"
#include "lib/store.h"

struct traces;

struct traces *traces_new(struct store *store, struct jobs *jobs, const struct bootspec_env *env,
                          const char *state_dir);
void traces_free(struct traces *ts);
/* Validates {boot request..., "command", "tracer"?, "summary"?, "command_timeout_s"?} and starts
 * it. */
int traces_start(struct traces *ts, json_t *req, char id[UTIL_ID_LEN + 1], struct ma_error *err);
/* Active traces. */
int traces_active(const struct traces *ts);
