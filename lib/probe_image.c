#include "lib/probe_image.h"

#include <string.h>

#include "lib/embedded.h"
#include "lib/util.h"

#define MAX_STAGES 5

/* Each mode's stages in the order its guest prints them, and what the guest does before printing
 * each: the step a silent guest is stuck in. Keep in step with guests/accel-probe/MODE.S. */
static const struct {
  const char *name;
  const char *stages[MAX_STAGES + 1];
  const char *steps[MAX_STAGES];
} modes[PROBE_N_MODES] = {
    [PROBE_I386] = {"i386",
                    {"pm", "paging", "irq", "ok", NULL},
                    {"entering 32-bit protected mode", "enabling paging",
                     "enabling timer interrupts", "finishing"}},
    [PROBE_X86_64] = {"x86_64",
                      {"pm", "longmode", "paging64", "irq64", "ok", NULL},
                      {"entering 32-bit protected mode", "enabling long mode with paging",
                       "moving to its higher-half mapping",
                       "enabling timer interrupts in long mode", "finishing"}},
};

const char *probe_mode_name(enum probe_mode m) { return m < PROBE_N_MODES ? modes[m].name : NULL; }

int probe_mode_of_arch(const char *arch) {
  for (int m = 0; arch && m < PROBE_N_MODES; m++)
    if (strcmp(modes[m].name, arch) == 0)
      return m;
  return -1;
}

const uint8_t *probe_image(enum probe_mode m, size_t *len) {
  _cleanup_(util_freep) char *name = util_strdupf("%s.bin", probe_mode_name(m));
  for (const struct embedded_file *f = embedded_probes; name && f->name; f++) {
    if (strcmp(f->name, name) == 0) {
      *len = f->len;
      return (const uint8_t *)f->text;
    }
  }
  return NULL;
}

static size_t n_stages(enum probe_mode m) {
  size_t n = 0;
  while (modes[m].stages[n])
    n++;
  return n;
}

void probe_progress_init(struct probe_progress *p, enum probe_mode m) {
  *p = (struct probe_progress){.mode = m};
}

static void end_line(struct probe_progress *p) {
  p->line[p->line_len] = '\0';
  if (p->line_len && p->line[p->line_len - 1] == '\r')
    p->line[--p->line_len] = '\0';
  const char *next = modes[p->mode].stages[p->stages];
  if (next && strcmp(p->line, next) == 0)
    p->stages++;
  else if (p->line_len && !p->odd[0])
    memcpy(p->odd, p->line, p->line_len + 1);
  p->line_len = 0;
}

void probe_progress_feed(struct probe_progress *p, const char *buf, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (buf[i] == '\n')
      end_line(p);
    else if (p->line_len < sizeof p->line - 1)
      p->line[p->line_len++] = buf[i];
  }
}

bool probe_progress_passed(const struct probe_progress *p) {
  return p->stages == n_stages(p->mode);
}

char *probe_progress_stages(const struct probe_progress *p) {
  struct util_buf b = {0};
  for (size_t i = 0; i < p->stages; i++)
    util_buf_printf(&b, "%s%s", i ? ", " : "", modes[p->mode].stages[i]);
  return b.data ? b.data : strdup("none");
}

/* QEMU's own last words are its first line (e.g. "failed to set MSR 0x10a"). */
static char *first_line(const char *text) {
  const char *nl = text ? strchr(text, '\n') : NULL;
  return text ? strndup(text, nl ? (size_t)(nl - text) : strlen(text)) : strdup("");
}

char *probe_progress_failure(const struct probe_progress *p, const struct probe_end *end) {
  _cleanup_(util_freep) char *err = first_line(end->qemu_err);
  if (!end->started)
    return util_strdupf("could not start: %s", err && err[0] ? err : end->detail);
  const char *step = modes[p->mode].steps[p->stages];
  _cleanup_(util_freep) char *after =
      p->stages ? util_strdupf("stopped after \"%s\": ", modes[p->mode].stages[p->stages - 1])
                : strdup("");
  if (p->odd[0])
    return util_strdupf("%sit printed \"%s\" while %s", after, p->odd, step);
  if (end->timed_out && !p->stages)
    return util_strdupf("printed nothing, %u s", end->deadline_s);
  if (end->timed_out)
    return util_strdupf("%sno output after %s, %u s", after, step, end->deadline_s);
  if (end->exit_code < 0)
    return util_strdupf("%sQEMU was killed while %s", after, step);
  return util_strdupf("%sQEMU exited with status %d while %s%s%s", after, end->exit_code, step,
                      err && err[0] ? ": " : "", err ? err : "");
}
