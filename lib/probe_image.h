/* The KVM probe guests (guests/accel-probe): one small multiboot kernel per x86
 * guest mode a boot can need, compiled into the binary, and how far one got,
 * judged from the lines it printed on COM1. No I/O here: core/host_probe.c
 * boots the images and feeds their console in.
 *
 * The x86_64 guest prints, one line per stage:
 *     pm            32-bit protected mode (the multiboot entry)
 *     longmode      long mode entered with 4-level paging
 *     paging64      running at the higher-half alias
 *     irq64         timer interrupts taken
 *     ok
 * and a guest that stops after "pm" under KVM has the failure
 *     stopped after "pm": no output after enabling long mode with paging, 5 s */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum probe_mode { PROBE_I386, PROBE_X86_64, PROBE_N_MODES };

/* "i386" or "x86_64": the boot request's arch that the mode serves. */
const char *probe_mode_name(enum probe_mode m);
/* The mode a guest of arch needs; -1 when KVM cannot run it (not x86). */
int probe_mode_of_arch(const char *arch);
/* The mode's image (a flat multiboot kernel); NULL when this build has none (built on a non-x86
 * host). */
const uint8_t *probe_image(enum probe_mode m, size_t *len);

/* How far one probe guest got. */
struct probe_progress {
  enum probe_mode mode;
  size_t stages; /* stages printed, in order */
  char odd[64];  /* the first line that was not the next stage (e.g. "fault 0d"), or "" */
  char line[64]; /* the line being read */
  size_t line_len;
};

/* How the probe's QEMU ended. */
struct probe_end {
  bool started;   /* QEMU ran the guest (QMP `cont` answered) */
  bool timed_out; /* the deadline passed; QEMU was killed */
  unsigned deadline_s;
  int exit_code;        /* QEMU's exit status; -1 when killed by a signal */
  const char *detail;   /* the supervisor's account when QEMU did not start, or "" */
  const char *qemu_err; /* what QEMU wrote to stderr, or "" */
};

/* Starts reading the console of mode m's guest. */
void probe_progress_init(struct probe_progress *p, enum probe_mode m);
/* Feeds console bytes. */
void probe_progress_feed(struct probe_progress *p, const char *buf, size_t len);
/* True once the guest printed every stage. */
bool probe_progress_passed(const struct probe_progress *p);
/* The stages printed so far, comma-separated ("pm, paging"), malloc'd. */
char *probe_progress_stages(const struct probe_progress *p);
/* Why the probe did not pass, as the rest of "the KVM x86_64 probe ...", malloc'd:
 * "stopped after \"pm\": no output after enabling long mode with paging, 5 s". */
char *probe_progress_failure(const struct probe_progress *p, const struct probe_end *end);
