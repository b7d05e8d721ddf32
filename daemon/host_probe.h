/* What this host can run: the QEMU version and whether KVM really boots a guest. */
#pragma once
#include <uv.h>

#include "daemon/jobs.h"

typedef void (*host_probe_cb)(void *userdata);

/* Probes into *info (fields malloc'd); cb runs on loop when done. skip_kvm: record "not probed". */
int host_probe_start(uv_loop_t *loop, const char *state_dir, bool skip_kvm, struct host_info *info,
                     host_probe_cb cb, void *userdata);
/* Frees the strings in info. */
void host_info_clear(struct host_info *info);
