#include "lib/accel.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void accel_host_init(struct accel_host *h) {
  memset(h, 0, sizeof *h);
  for (int m = 0; m < PROBE_N_MODES; m++)
    h->modes[m].ms = -1;
}

void accel_host_clear(struct accel_host *h) {
  if (!h)
    return;
  free(h->device_reason);
  for (int m = 0; m < PROBE_N_MODES; m++)
    free(h->modes[m].reason);
  accel_host_init(h);
}

void accel_host_set_device(struct accel_host *h, bool ok, const char *reason) {
  h->device = ok;
  free(h->device_reason);
  h->device_reason = reason ? strdup(reason) : NULL;
}

void accel_host_set_probe(struct accel_host *h, enum probe_mode m, enum accel_probe_state state,
                          const char *reason, int64_t ms) {
  struct accel_probe *p = &h->modes[m];
  p->state = state;
  free(p->reason);
  p->reason = reason ? strdup(reason) : NULL;
  p->ms = ms;
}

bool accel_host_usable(const struct accel_host *h) {
  bool all = h->device;
  for (int m = 0; m < PROBE_N_MODES; m++)
    all &= h->modes[m].state == ACCEL_PROBE_PASSED;
  return all;
}

/* "the KVM x86_64 probe stopped after ...", or the device's reason when no probe ran. */
static char *mode_reason(const struct accel_host *h, enum probe_mode m) {
  const struct accel_probe *p = &h->modes[m];
  if (!h->device || (p->state == ACCEL_PROBE_NOT_RUN && !p->reason))
    return strdup(h->device_reason ? h->device_reason : "KVM was not looked at");
  if (p->state == ACCEL_PROBE_NOT_RUN)
    return util_strdupf("the KVM %s probe did not run: %s", probe_mode_name(m), p->reason);
  return util_strdupf("the KVM %s probe %s", probe_mode_name(m), p->reason ? p->reason : "");
}

char *accel_refusal(const struct accel_host *h, const char *arch) {
  if (probe_mode_of_arch(arch) < 0)
    return strdup("guest arch differs from the host");
  return h->device ? NULL : strdup(h->device_reason ? h->device_reason : "KVM was not looked at");
}

static const char *requested_kvm(const struct accel_host *h, int m, char **note) {
  const struct accel_probe *p = &h->modes[m];
  _cleanup_(util_freep) char *why = mode_reason(h, (enum probe_mode)m);
  if (p->state == ACCEL_PROBE_PASSED)
    *note = util_strdupf("requested; %s", why);
  else
    *note = util_strdupf(
        "requested, although %s (a console silent for accel_stall_s ends the run as accel_stalled)",
        why);
  return "kvm";
}

const char *accel_choose(const struct accel_host *h, const char *arch, const char *requested,
                         const char *tcg_because, char **note) {
  int m = probe_mode_of_arch(arch);
  if (strcmp(requested, "kvm") == 0 && m >= 0)
    return requested_kvm(h, m, note);
  if (strcmp(requested, "auto") != 0) {
    *note = strdup("requested");
    return requested;
  }
  if (tcg_because) {
    *note = util_strdupf("auto: TCG, because %s", tcg_because);
    return "tcg";
  }
  if (m < 0) {
    *note = strdup("auto: TCG because KVM needs a guest of the host's arch");
    return "tcg";
  }
  _cleanup_(util_freep) char *why = mode_reason(h, (enum probe_mode)m);
  bool kvm = h->device && h->modes[m].state == ACCEL_PROBE_PASSED;
  *note = util_strdupf("auto: %s because %s", kvm ? "KVM" : "TCG", why);
  return kvm ? "kvm" : "tcg";
}

static char *summary(const struct accel_host *h) {
  if (!h->device)
    return strdup(h->device_reason ? h->device_reason : "KVM was not looked at");
  struct util_buf passed = {0}, failed = {0};
  for (int m = 0; m < PROBE_N_MODES; m++) {
    if (h->modes[m].state == ACCEL_PROBE_PASSED) {
      util_buf_printf(&passed, "%s%s", passed.len ? " and " : "", probe_mode_name(m));
    } else {
      _cleanup_(util_freep) char *why = mode_reason(h, (enum probe_mode)m);
      util_buf_printf(&failed, "%s%s", failed.len ? "; " : "", why);
    }
  }
  char *out = !failed.len ? util_strdupf("KVM passed the %s probes", passed.data)
              : passed.len
                  ? util_strdupf("KVM passed the %s probe only: %s", passed.data, failed.data)
                  : util_strdupf("KVM passed no probe: %s", failed.data);
  util_buf_clear(&passed);
  util_buf_clear(&failed);
  return out;
}

json_t *accel_host_json(const struct accel_host *h) {
  _cleanup_(util_freep) char *reason = summary(h);
  json_t *modes_json = json_object();
  for (int m = 0; m < PROBE_N_MODES; m++) {
    _cleanup_(util_freep) char *why = mode_reason(h, (enum probe_mode)m);
    const struct accel_probe *p = &h->modes[m];
    json_object_set_new(modes_json, probe_mode_name(m),
                        json_pack("{s:b, s:s, s:o}", "usable",
                                  h->device && p->state == ACCEL_PROBE_PASSED, "reason",
                                  why ? why : "", "probe_ms",
                                  p->ms >= 0 ? json_integer(p->ms) : json_null()));
  }
  return json_pack("{s:b, s:s, s:o}", "usable", accel_host_usable(h), "reason",
                   reason ? reason : "", "modes", modes_json);
}
