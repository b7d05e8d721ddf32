#include "lib/run.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const run_statuses[] = {"queued",  "running",   "succeeded",   "failed",
                                    "timeout", "cancelled", "interrupted", NULL};

void run_init(struct run *r) {
  memset(r, 0, sizeof *r);
  r->qemu_start_us = r->boot_time_us = r->serial_logged = RUN_NULL;
  r->guest_cpus_online = r->exit_code = r->exit_signal = r->matrix_index = RUN_NULL;
}

void run_clear(struct run *r) {
  char **strs[] = {&r->status,          &r->arch,       &r->accel,         &r->accel_requested,
                   &r->accel_note,      &r->profile,    &r->label,         &r->spec_json,
                   &r->terminal_marker, &r->error_code, &r->error_message, &r->serial_path,
                   &r->matrix_id,       &r->host_json,  &r->slurm_job};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
    free(*strs[i]);
  for (size_t i = 0; i < r->n_markers; i++) {
    free(r->markers[i].name);
    free(r->markers[i].source);
    free(r->markers[i].text);
  }
  free(r->markers);
  json_decref(r->missing);
  run_init(r);
}

void run_set_str(char **field, const char *value) {
  char *copy = value ? strdup(value) : NULL;
  free(*field);
  *field = copy;
}

int run_add_marker(struct run *r, const char *name, int64_t t_us, const char *source,
                   const char *text) {
  struct run_marker *m = realloc(r->markers, (r->n_markers + 1) * sizeof *m);
  if (!m)
    return -ENOMEM;
  r->markers = m;
  m = &r->markers[r->n_markers++];
  m->name = strdup(name);
  m->t_us = t_us;
  m->source = strdup(source);
  m->text = text ? strdup(text) : NULL;
  m->instructions = RUN_NULL;
  return 0;
}

bool run_status_valid(const char *s) {
  for (size_t i = 0; s && run_statuses[i]; i++)
    if (strcmp(s, run_statuses[i]) == 0)
      return true;
  return false;
}

bool run_status_final(const char *s) {
  return run_status_valid(s) && strcmp(s, "queued") != 0 && strcmp(s, "running") != 0;
}

int run_delete_serial(const struct run *r, int64_t *freed) {
  *freed = 0;
  if (!run_status_final(r->status))
    return -EBUSY;
  struct stat st;
  if (!r->serial_path || stat(r->serial_path, &st) < 0)
    return 0;
  if (unlink(r->serial_path) < 0)
    return errno == ENOENT ? 0 : -errno;
  *freed = (int64_t)st.st_blocks * 512;
  return 0;
}

json_t *run_json_text(const char *text, size_t len) {
  json_t *s = json_stringn(text, len);
  if (s)
    return s;
  /* Guests print arbitrary bytes; JSON needs UTF-8. */
  char *clean = malloc(len * 3 + 1), *o = clean;
  if (!clean)
    return json_null();
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c < 0x80) {
      *o++ = (char)c;
    } else {
      memcpy(o, "\xef\xbf\xbd", 3);
      o += 3;
    }
  }
  s = json_stringn(clean, (size_t)(o - clean));
  free(clean);
  return s ? s : json_null();
}

static json_t *time_or_null(int64_t wall_us) {
  if (!wall_us)
    return json_null();
  char buf[40];
  util_rfc3339(wall_us, buf, sizeof buf);
  return json_string(buf);
}

static json_t *ms_or_null(int64_t us) {
  return us == RUN_NULL ? json_null() : json_real((double)us / 1000.0);
}

static json_t *int_or_null(int v) { return v == RUN_NULL ? json_null() : json_integer(v); }

static json_t *int64_or_null(int64_t v) {
  return v == RUN_NULL ? json_null() : json_integer((json_int_t)v);
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

int64_t run_boot_instructions(const struct run *r) {
  for (size_t i = 0; r->boot_time_us != RUN_NULL && r->terminal_marker && i < r->n_markers; i++)
    if (strcmp(r->markers[i].name, r->terminal_marker) == 0)
      return r->markers[i].instructions;
  return RUN_NULL;
}

static json_t *markers_json(const struct run *r, bool virtual_clock) {
  json_t *arr = json_array();
  for (size_t i = 0; i < r->n_markers; i++) {
    const struct run_marker *m = &r->markers[i];
    json_t *o = json_pack("{s:s, s:o, s:s, s:o}", "name", m->name, "t_ms", ms_or_null(m->t_us),
                          "source", m->source, "text",
                          m->text ? run_json_text(m->text, strlen(m->text)) : json_null());
    if (virtual_clock)
      json_object_set_new(o, "instructions", int64_or_null(m->instructions));
    json_array_append_new(arr, o);
  }
  return arr;
}

/* Which clock each of the run's numbers is on (lib/run.h, README "The virtual clock"). */
static void clock_json(json_t *j, const struct run *r, json_t *spec) {
  json_t *shift = json_object_get(spec, "icount_shift");
  bool virtual_clock = json_is_integer(shift);
  json_object_set_new(j, "clock", json_string(virtual_clock ? "virtual" : "host"));
  json_t *clocks = json_pack("{s:s}", "t_ms", "host: monotonic ms since the guest was started");
  if (virtual_clock) {
    json_object_set(j, "icount_shift", shift);
    json_object_set_new(j, "boot_instructions", int64_or_null(run_boot_instructions(r)));
    json_object_set_new(
        clocks, "instructions",
        json_pack("{s:s, s:O}", "means",
                  "virtual: guest instructions executed (all vCPUs) before the byte that completed "
                  "the marker was written, or before the symbol's first instruction; QEMU "
                  "-icount shift as given",
                  "icount_shift", shift));
    /* A read from a disk or CD completes on a host thread, at a host-dependent moment, and what
     * the guest executes after it depends on when (docs/virtual-clock-study.md). */
    bool storage = json_object_get(spec, "iso") || json_object_get(spec, "disk") ||
                   json_object_get(spec, "image");
    json_t *counted = json_object_get(clocks, "instructions");
    json_object_set_new(counted, "repeatable", json_boolean(!storage));
    json_object_set_new(
        counted, "repeatable_because",
        json_string(storage ? "not from the first disk or CD read on: the host decides when a read "
                              "completes; compare such runs with statistics, as on the host clock"
                            : "no disk or CD, and the console takes no input: the same guest "
                              "executes the same instructions in every boot"));
  }
  json_object_set_new(j, "clocks", clocks);
  json_object_set_new(j, "markers", markers_json(r, virtual_clock));
}

static json_t *unobservable_json(const struct profile *p) {
  json_t *arr = json_array();
  for (size_t i = 0; i < p->n_unobservable; i++) {
    const struct profile_unobservable *u = &p->unobservable[i];
    json_array_append_new(arr, json_pack("{s:s, s:o, s:o}", "name", u->name, "symbol",
                                         str_or_null(u->symbol), "reason", str_or_null(u->reason)));
  }
  return arr;
}

static json_t *error_json(const struct run *r) {
  if (!r->error_code)
    return json_null();
  return json_pack("{s:s, s:o}", "code", r->error_code, "message", str_or_null(r->error_message));
}

static json_t *exit_json(const struct run *r) {
  if (r->exit_code == RUN_NULL && r->exit_signal == RUN_NULL)
    return json_null();
  return json_pack("{s:o, s:o}", "code", int_or_null(r->exit_code), "signal",
                   int_or_null(r->exit_signal));
}

json_t *run_to_json(const struct run *r, const struct profile *profile) {
  json_t *j =
      json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:s, s:o, s:s, s:o}", "id", r->id, "status",
                r->status, "arch", r->arch, "cpus", r->cpus, "memory_mb", r->memory_mb, "accel",
                str_or_null(r->accel), "accel_requested", r->accel_requested, "accel_note",
                str_or_null(r->accel_note), "profile", r->profile, "label", str_or_null(r->label));
  json_object_set_new(j, "created_at", time_or_null(r->created_us));
  json_object_set_new(j, "started_at", time_or_null(r->started_us));
  json_object_set_new(j, "finished_at", time_or_null(r->finished_us));
  json_object_set_new(j, "qemu_start_ms", ms_or_null(r->qemu_start_us));
  json_object_set_new(j, "boot_time_ms", ms_or_null(r->boot_time_us));
  json_object_set_new(j, "terminal_marker", str_or_null(r->terminal_marker));
  json_t *spec = r->spec_json ? json_loads(r->spec_json, 0, NULL) : NULL;
  clock_json(j, r, spec);
  json_object_set_new(j, "missing_markers", r->missing ? json_incref(r->missing) : json_array());
  if (profile)
    json_object_set_new(j, "unobservable_markers", unobservable_json(profile));
  json_t *note =
      profile && profile->arch_notes ? json_object_get(profile->arch_notes, r->arch) : NULL;
  json_object_set_new(j, "notes", note ? json_pack("[O]", note) : json_array());
  json_object_set_new(j, "guest_cpus_online", int_or_null(r->guest_cpus_online));
  json_object_set_new(j, "error", error_json(r));
  json_object_set_new(j, "exit", exit_json(r));
  json_object_set_new(j, "serial_bytes", json_integer(r->serial_bytes));
  bool cut = r->serial_logged != RUN_NULL && r->serial_logged < r->serial_bytes;
  json_object_set_new(j, "serial_truncated", json_boolean(cut));
  if (r->matrix_id) {
    json_object_set_new(j, "matrix_id", json_string(r->matrix_id));
    json_object_set_new(j, "matrix_index", json_integer(r->matrix_index));
  }
  json_t *host = r->host_json ? json_loads(r->host_json, 0, NULL) : NULL;
  json_object_set_new(j, "host", host ? host : json_null());
  json_object_set_new(j, "slurm_job", str_or_null(r->slurm_job));
  json_object_set_new(j, "request", spec ? spec : json_null());
  return j;
}
