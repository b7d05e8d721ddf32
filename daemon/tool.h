/* Runs a short helper program (qemu-img) on the loop without blocking it:
 * its exit status and the tail of its stderr arrive in one callback. */
#pragma once
#include <uv.h>

/* status: the exit status, or -errno when it could not run; err: its stderr (may be ""). */
typedef void (*tool_done_cb)(void *userdata, int status, const char *err);

/* argv[0] is looked up in PATH; argv is copied. Returns 0 (done is always called) or -errno. */
int tool_run(uv_loop_t *loop, char *const *argv, tool_done_cb done, void *userdata);
