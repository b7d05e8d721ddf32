/* libFuzzer: what reads guest output as text: the syscall trace parsers (strace -f, strace -c,
 * MINIX trace), the trace session's extraction, /proc/meminfo, QEMU's interrupt log, and a scenario
 * run. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/guest_memory.h"
#include "lib/int_log.h"
#include "lib/scenario.h"
#include "lib/syscall_trace.h"
#include "lib/trace_session.h"

static void on_send(void *u, const char *t, size_t n) { (void)u, (void)t, (void)n; }
static void on_progress(void *u, const char *s, const char *t, int64_t us) {
  (void)u, (void)s, (void)t, (void)us;
}
static void on_captured(void *u, const char *s, const char *t, int64_t us) {
  (void)u, (void)s, (void)t, (void)us;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  json_t *tables[] = {syscall_trace_strace(text, size), syscall_trace_strace_summary(text, size),
                      syscall_trace_minix(text, size)};
  for (size_t i = 0; i < 3; i++) {
    free(syscall_trace_text(tables[i]));
    free(syscall_trace_csv(tables[i]));
    free(syscall_trace_svg(tables[i], text));
    json_decref(tables[i]);
  }
  struct trace_result r;
  trace_session_extract(text, size, &r);
  trace_result_clear(&r);
  json_decref(guest_memory_parse(text));
  struct int_counter *c = int_counter_new();
  int_counter_feed(c, text, size, 1000000);
  int_counter_free(c);
  static struct scenario *sc;
  if (!sc) {
    struct ma_error err;
    scenario_builtin("minix-setup", &sc, &err);
  }
  static const struct scenario_callbacks cbs = {on_send, on_progress, on_captured};
  struct scenario_run *run = sc ? scenario_run_new(sc, &cbs, NULL, 0) : NULL;
  if (run) {
    scenario_feed(run, text, size, 1000);
    scenario_tick(run, 100000000);
    scenario_guest_exited(run, 200000000);
    scenario_run_free(run);
  }
  free(text);
  return 0;
}
