/* What this host can run: QEMU's version (from the programs already found in
 * info->qemu) and whether KVM really runs a guest of each x86 mode. One probe guest per mode
 * (lib/probe_image.h) boots under KVM, all at once, each with a 5 s deadline:
 * the daemon starts serving once they are done, so they delay it by at most
 * about that. */
#pragma once
#include <uv.h>

#include "core/jobs.h"

typedef void (*host_probe_cb)(void *userdata);

struct host_probe_opts {
  const char *state_dir;  /* the probe guests' images and sockets go here, briefly */
  const char *kvm_device; /* default /dev/kvm */
  bool skip_kvm;          /* record "not probed": TCG was asked for */
};

/* Probes into *info (info->qemu resolved before; the rest set or malloc'd here); cb runs on loop
 * when done. 0 or -ENOMEM. */
int host_probe_start(uv_loop_t *loop, const struct host_probe_opts *opt, struct host_info *info,
                     host_probe_cb cb, void *userdata);
/* Frees what info holds. */
void host_info_clear(struct host_info *info);
