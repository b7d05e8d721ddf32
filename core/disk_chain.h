/* The files QEMU opens for a disk besides the disk itself (qcow2 backing
 * files, one after the other, and external data files), judged by the
 * --image-dir policy: a disk inside the image dirs must not lead QEMU to a
 * file outside them. Read with qemu-img info, a child, off the loop. */
#pragma once
#include <uv.h>

#include "lib/error.h"
#include "lib/path_policy.h"

/* How long one qemu-img info may take (a FIFO as a data file would block it for ever). */
#define DISK_CHAIN_TOOL_MS 30000
/* Backing files followed at most. */
#define DISK_CHAIN_MAX 16

/* r: 0 when every file is allowed, else -EINVAL with err (403 path_not_allowed, 400 not_a_file,
 * disk_unreadable, disk_format_not_supported, disk_chain_too_long; field "disk"). */
typedef void (*disk_chain_cb)(void *userdata, int r, const struct ma_error *err);

/* Judges the chain below disk, whose format ("qcow2" or "raw") the caller decided, against dirs
 * (not NULL). done is always called, later, from the loop; returns 0 or -ENOMEM. */
int disk_chain_check(uv_loop_t *loop, const char *qemu_img, const char *disk, const char *format,
                     path_policy dirs, disk_chain_cb done, void *userdata);
