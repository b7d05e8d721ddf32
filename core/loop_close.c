#include "core/loop_close.h"

#include <stdbool.h>

static void all_closing(uv_handle_t *h, void *arg) {
  bool *closing = arg;
  *closing = *closing && uv_is_closing(h);
}

struct report {
  FILE *out;
  const char *who;
};

static void report_one(uv_handle_t *h, void *arg) {
  const struct report *r = arg;
  fprintf(r->out, "%s: loop left open: %s (%s%s)\n", r->who,
          uv_handle_type_name(uv_handle_get_type(h)),
          uv_is_closing(h)  ? "closing"
          : uv_is_active(h) ? "active"
                            : "inactive",
          uv_has_ref(h) ? "" : ", unreferenced");
}

int loop_close(uv_loop_t *loop, FILE *report, const char *who) {
  int r = uv_loop_close(loop);
  if (r != UV_EBUSY)
    return r;
  /* Running the loop with an open handle could call back into state the program has freed already:
   * only when every handle is closing, and then only their close callbacks are due. */
  bool closing = true;
  uv_walk(loop, all_closing, &closing);
  if (closing) {
    uv_run(loop, UV_RUN_NOWAIT);
    r = uv_loop_close(loop);
    if (r != UV_EBUSY)
      return r;
  }
  uv_walk(loop, report_one, &(struct report){report, who});
  return r;
}
