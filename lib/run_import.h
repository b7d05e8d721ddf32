/* A run measured elsewhere (a Slurm task on another node) brought into this store: the result
 * fields of its run object (run_to_json's shape) copied into a run of ours. */
#pragma once
#include <jansson.h>

#include "lib/run.h"

/* Copies status (a final one), accel, accel_note, started_at, finished_at, qemu_start_ms,
 * boot_time_ms, terminal_marker, markers, missing_markers, guest_cpus_online, error, exit,
 * serial_bytes and host (when an object) from j into r; the identity fields of r (id, request,
 * matrix) stay. Returns 0, or -EINVAL with *why (static text) naming what is malformed: r is then
 * unchanged. */
int run_import_json(struct run *r, const json_t *j, const char **why);
