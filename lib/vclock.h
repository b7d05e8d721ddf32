/* The virtual clock (README "The virtual clock"): QEMU's arguments for a boot that counts guest
 * instructions with our TCG plugin (programs/vclock-plugin/vclock.c), and the reading of what the
 * plugin wrote. Files of one run: PREFIX.counts (8 bytes per console byte: the instructions
 * executed before the OUT that wrote it), PREFIX.hits ("0xADDR N" per symbol address reached,
 * then "end N") and PREFIX.console (QEMU's copy of the console, which the plugin watches). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "lib/bootspec.h"
#include "lib/qemu_cmd.h"

#define VCLOCK_PLUGIN_NAME "minix-analysis-vclock.so"
/* Where the guest's real-time clock starts under the virtual clock (it then runs on virtual time).
 */
#define VCLOCK_RTC_BASE "2020-01-01T00:00:00"
/* Console bytes the plugin counts (8 bytes of counts file each): a marker completed later is not
 * counted. Boot markers come within the first kilobytes. */
#define VCLOCK_COUNTED_BYTES (4 << 20)

enum vclock_file { VCLOCK_COUNTS, VCLOCK_HITS, VCLOCK_CONSOLE };

/* PREFIX plus the file's suffix (malloc'd), or NULL. */
char *vclock_file(const char *prefix, enum vclock_file f);
/* Appends -icount and -plugin for spec (spec->vclock_files and vclock_plugin set). 0 or -ENOMEM. */
int vclock_qemu_args(const struct boot_spec *spec, struct qemu_cmd *cmd);
/* How many console bytes the plugin counted, or -errno. */
int64_t vclock_counted_bytes(const char *prefix);
/* The instruction count of console byte number offset (from 0), or -1 when the plugin noted none
 * for it. */
int64_t vclock_byte_count(const char *prefix, int64_t offset);
/* For each of the n addresses, the instructions before its first execution, or -1 when it was not
 * reached; *total (may be NULL) gets the run's instruction total, or -1. 0, or -errno when there
 * is no hits file. */
int vclock_hits(const char *prefix, const uint64_t *addrs, size_t n, int64_t *counts,
                int64_t *total);
/* Removes the run's plugin files (a missing one is fine). */
void vclock_remove(const char *prefix);
