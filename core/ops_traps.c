/* The interrupt and exception counts of a run made with "trap_counts" (core/ops.h). */
#include <errno.h>
#include <string.h>

#include "core/context.h"
#include "core/ops.h"

static const char *const notes[] = {
    "counted from QEMU's interrupt log (-d int, TCG) as the daemon read it: the log has no time "
    "stamps, so "
    "'second' is the second after t0 of the read, and a delivery can land in the next second",
    "system calls made with syscall or sysenter (Linux x86_64, MINIX's IPC) are not interrupts and "
    "do not appear; "
    "INT instructions (int 0x80, int3) do, as kind software",
    "vectors are named where the x86 architecture or Linux's i386 ABI defines them; MINIX's own "
    "vectors are not "
    "named, as shared/minix/console-reference.md does not list them",
    "logging every delivery slows the emulated CPU: compare boot times only with runs taken the "
    "same way",
};

int ops_run_traps(struct ma_context *ctx, const char *id, json_t **out, struct ma_error *err) {
  struct run run;
  int r = ops_run_load(ctx, id, &run, err);
  if (r < 0)
    return r;
  json_t *traps = NULL;
  r = store_traps_get(ctx->store, run.id, &traps);
  json_auto_t *spec = r == 0 && run.spec_json ? json_loads(run.spec_json, 0, NULL) : NULL;
  run_clear(&run);
  if (r < 0)
    return ops_internal(err, "cannot read the trap counts", r);
  bool enabled = json_is_true(json_object_get(spec, "trap_counts"));
  json_object_set_new(traps, "run", json_string(id));
  json_object_set_new(traps, "enabled", json_boolean(enabled));
  json_t *n = json_array();
  for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
    json_array_append_new(n, json_string(notes[i]));
  if (!enabled)
    json_array_insert_new(
        n, 0, json_string("this run was made without \"trap_counts\": true; nothing was counted"));
  json_object_set_new(traps, "notes", n);
  *out = traps;
  return 0;
}
