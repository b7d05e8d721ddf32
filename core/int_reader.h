/* Reads QEMU's interrupt log through a FIFO while the guest runs, counting
 * deliveries per vector into one-second buckets of boot time: the log never
 * touches the disk, and a reader that falls behind slows QEMU rather than
 * losing lines. */
#pragma once
#include <stdint.h>
#include <uv.h>

#include "lib/int_log.h"

struct int_reader;

/* Makes the FIFO at path and opens it for reading (before QEMU starts, so QEMU's open does not
 * block). */
int int_reader_start(uv_loop_t *loop, const char *path, struct int_reader **out);
/* The time t0 of the boot (CLOCK_MONOTONIC us): reads are bucketed relative to it. */
void int_reader_set_t0(struct int_reader *r, int64_t t0_us);
/* The counts gathered so far. */
const struct int_counter *int_reader_counter(const struct int_reader *r);
/* Stops reading, removes the FIFO and frees the reader once the handle is closed. */
void int_reader_close(struct int_reader *r);
