/* Runs a short helper program (qemu-img) on the loop without blocking it:
 * its exit status and the tail of its stderr arrive in one callback. */
#pragma once
#include <uv.h>

/* How much of a tool's stdout tool_run_out keeps; more is an error (-EMSGSIZE). */
#define TOOL_OUT_MAX (1 << 20)

/* status: the exit status, or -errno when it could not run; err: its stderr (may be ""). */
typedef void (*tool_done_cb)(void *userdata, int status, const char *err);
/* Same, with its stdout (""); status -ETIMEDOUT when it was killed for taking too long. */
typedef void (*tool_out_cb)(void *userdata, int status, const char *out, const char *err);

/* argv[0] is looked up in PATH; argv is copied. Returns 0 (done is always called) or -errno. */
int tool_run(uv_loop_t *loop, char *const *argv, tool_done_cb done, void *userdata);
/* Same, keeping its stdout, and killing it (SIGKILL) after timeout_ms: a tool stuck on a FIFO in an
 * image's place must not hold a run, or the daemon's shutdown, for ever. */
int tool_run_out(uv_loop_t *loop, char *const *argv, unsigned timeout_ms, tool_out_cb done,
                 void *userdata);
