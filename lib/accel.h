/* Which accelerator a boot gets. KVM's state on this host is its device plus one
 * probe guest per x86 guest mode (lib/probe_image.h, run by core/host_probe.c);
 * `auto` uses KVM for a guest only when the probe of its mode passed:
 *
 *     arch     device  probe of its mode  auto  note
 *     arm      -       -                  tcg   auto: TCG because KVM needs a guest of the host's
 * arch x86_64   no      -                  tcg   auto: TCG because cannot open /dev/kvm: ... x86_64
 * yes     failed             tcg   auto: TCG because the KVM x86_64 probe stopped after "pm": ...
 *     i386     yes     passed             kvm   auto: KVM because the KVM i386 probe passed in 96
 * ms ...
 *
 * A request for KVM is refused only when KVM cannot start at all (no device, not
 * x86); one whose probe failed runs, and a silent console ends it (accel_stalled).
 * Pure: no I/O. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/probe_image.h"

enum accel_probe_state { ACCEL_PROBE_NOT_RUN, ACCEL_PROBE_PASSED, ACCEL_PROBE_FAILED };

struct accel_probe {
  enum accel_probe_state state;
  char *reason; /* follows "the KVM i386 probe ": "passed in 96 ms (...)", "stopped after ..." */
  int64_t ms;   /* from starting its QEMU to the verdict; -1 when it did not run */
};

struct accel_host {
  bool device;         /* the KVM device opens */
  char *device_reason; /* why not, or how it was found */
  struct accel_probe modes[PROBE_N_MODES];
};

/* Nothing known yet: no device, no probe run. */
void accel_host_init(struct accel_host *h);
/* Frees the strings (NULL is fine). */
void accel_host_clear(struct accel_host *h);
/* Records whether the device opened, and why not (copied). */
void accel_host_set_device(struct accel_host *h, bool ok, const char *reason);
/* Records the probe of mode m (reason copied). */
void accel_host_set_probe(struct accel_host *h, enum probe_mode m, enum accel_probe_state state,
                          const char *reason, int64_t ms);
/* True when KVM passed the probe of every x86 mode: health's kvm.usable. */
bool accel_host_usable(const struct accel_host *h);
/* NULL when a boot of arch may ask for KVM, else why not (malloc'd): the 400 accel_unavailable. */
char *accel_refusal(const struct accel_host *h, const char *arch);
/* "kvm" or "tcg" for a boot of arch that asked for requested (auto, kvm, tcg); *note (malloc'd)
 * says which probe or rule decided. tcg_because (may be NULL): why the boot needs TCG, which auto
 * then chooses ("trap counts read QEMU's interrupt log, written only under TCG"). */
const char *accel_choose(const struct accel_host *h, const char *arch, const char *requested,
                         const char *tcg_because, char **note);
/* health's "kvm": {"usable", "reason", "modes": {"i386": {"usable", "reason", "probe_ms"},
 * "x86_64": {...}}}. */
json_t *accel_host_json(const struct accel_host *h);
