/* A program's last step with its libuv loop: uv_loop_close, and when that fails, what was left
 * open. */
#pragma once
#include <stdio.h>
#include <uv.h>

/* uv_loop_close(loop). Handles that are only closing get their close callbacks run first (nothing
 * else can run then); when some handle is still open (UV_EBUSY), each one left is written to report
 * ("who: loop left open: timer (active)"), so that a leak shows at the exit that has it. 0 or a
 * negative libuv code. */
int loop_close(uv_loop_t *loop, FILE *report, const char *who);
