/* A client of QEMU's gdbstub on a unix socket: sets one-shot breakpoints on
 * kernel functions before the guest starts, and reports each hit with the
 * host time its stop reply arrived; the guest then continues. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct gdbstub_callbacks {
  /* Every breakpoint is set (err 0), or setting them failed (err < 0, why in detail). */
  void (*ready)(void *userdata, int err, const char *detail);
  /* The guest stopped at addrs[index]; stamp_us is when the stop reply was read (CLOCK_MONOTONIC).
   */
  void (*hit)(void *userdata, size_t index, int64_t stamp_us);
  /* After gdbstub_close: the connection is gone and the client freed. */
  void (*closed)(void *userdata);
};

struct gdbstub;

/* Connects to path and starts setting breakpoints at addrs (copied); bits: 32 or 64 (i386 or
 * x86_64). */
int gdbstub_start(uv_loop_t *loop, const char *path, const uint64_t *addrs, size_t n, int bits,
                  const struct gdbstub_callbacks *cb, void *userdata, struct gdbstub **out);
/* Closes the connection; closed is called once it is gone. */
void gdbstub_close(struct gdbstub *g);
