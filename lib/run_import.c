#include "lib/run_import.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "lib/util.h"

/* A number of milliseconds (or null) as microseconds (RUN_NULL). */
static bool us_of(const json_t *v, int64_t *out) {
  if (json_is_null(v) || !v) {
    *out = RUN_NULL;
    return true;
  }
  if (!json_is_number(v) || !isfinite(json_number_value(v)))
    return false;
  *out = llround(json_number_value(v) * 1000.0);
  return true;
}

static bool int_of(const json_t *v, int *out) {
  if (json_is_null(v) || !v) {
    *out = RUN_NULL;
    return true;
  }
  if (!json_is_integer(v))
    return false;
  *out = (int)json_integer_value(v);
  return true;
}

static bool wall_of(const json_t *v, int64_t *out) {
  if (json_is_null(v) || !v) {
    *out = 0;
    return true;
  }
  return util_parse_rfc3339(json_string_value(v), out) == 0;
}

static bool str_ok(const json_t *v) { return !v || json_is_null(v) || json_is_string(v); }

/* A virtual-clock count: absent, null or a count. */
static bool count_ok(const json_t *v) {
  return !v || json_is_null(v) || (json_is_integer(v) && json_integer_value(v) >= 0);
}

/* The markers, checked whole before anything is copied. */
static bool markers_ok(const json_t *markers) {
  size_t i;
  const json_t *m;
  if (!json_is_array(markers))
    return false;
  json_array_foreach(markers, i, m) {
    int64_t t;
    if (!json_is_string(json_object_get(m, "name")) ||
        !json_is_string(json_object_get(m, "source")) || !us_of(json_object_get(m, "t_ms"), &t) ||
        t == RUN_NULL || !str_ok(json_object_get(m, "text")) ||
        !count_ok(json_object_get(m, "instructions")))
      return false;
  }
  return true;
}

int run_import_json(struct run *r, const json_t *j, const char **why) {
  const char *status = json_string_value(json_object_get(j, "status"));
  const json_t *err = json_object_get(j, "error"), *ex = json_object_get(j, "exit");
  int64_t started, finished, qemu_start, boot;
  int cpus_online, exit_code = RUN_NULL, exit_signal = RUN_NULL;
  *why = !json_is_object(j)                                         ? "not a run object"
         : !run_status_final(status)                                ? "status is not a final one"
         : !wall_of(json_object_get(j, "started_at"), &started)     ? "started_at"
         : !wall_of(json_object_get(j, "finished_at"), &finished)   ? "finished_at"
         : !us_of(json_object_get(j, "qemu_start_ms"), &qemu_start) ? "qemu_start_ms"
         : !us_of(json_object_get(j, "boot_time_ms"), &boot)        ? "boot_time_ms"
         : !int_of(json_object_get(j, "guest_cpus_online"), &cpus_online) ? "guest_cpus_online"
         : !markers_ok(json_object_get(j, "markers"))                     ? "markers"
         : !json_is_array(json_object_get(j, "missing_markers"))          ? "missing_markers"
         : !(json_is_null(err) || json_is_string(json_object_get(err, "code"))) ? "error"
         : !(json_is_null(ex) || (int_of(json_object_get(ex, "code"), &exit_code) &&
                                  int_of(json_object_get(ex, "signal"), &exit_signal)))
             ? "exit"
         : !json_is_integer(json_object_get(j, "serial_bytes")) ? "serial_bytes"
         : !str_ok(json_object_get(j, "accel")) || !str_ok(json_object_get(j, "accel_note"))
             ? "accel"
         : !str_ok(json_object_get(j, "terminal_marker")) ? "terminal_marker"
                                                          : NULL;
  if (*why)
    return -EINVAL;
  run_set_str(&r->status, status);
  run_set_str(&r->accel, json_string_value(json_object_get(j, "accel")));
  run_set_str(&r->accel_note, json_string_value(json_object_get(j, "accel_note")));
  run_set_str(&r->terminal_marker, json_string_value(json_object_get(j, "terminal_marker")));
  run_set_str(&r->error_code, json_string_value(json_object_get(err, "code")));
  run_set_str(&r->error_message, json_string_value(json_object_get(err, "message")));
  r->started_us = started;
  r->finished_us = finished;
  r->qemu_start_us = qemu_start;
  r->boot_time_us = boot;
  r->guest_cpus_online = cpus_online;
  r->exit_code = exit_code;
  r->exit_signal = exit_signal;
  r->serial_bytes = (int64_t)json_integer_value(json_object_get(j, "serial_bytes"));
  json_decref(r->missing);
  r->missing = json_deep_copy(json_object_get(j, "missing_markers"));
  const json_t *host = json_object_get(j, "host");
  _cleanup_(util_freep) char *host_text =
      json_is_object(host) ? json_dumps(host, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  run_set_str(&r->host_json, host_text);
  size_t i;
  const json_t *m;
  json_array_foreach(json_object_get(j, "markers"), i, m) {
    int64_t t;
    us_of(json_object_get(m, "t_ms"), &t);
    if (run_add_marker(r, json_string_value(json_object_get(m, "name")), t,
                       json_string_value(json_object_get(m, "source")),
                       json_string_value(json_object_get(m, "text"))) < 0)
      return -ENOMEM;
    const json_t *n = json_object_get(m, "instructions");
    if (json_is_integer(n))
      r->markers[r->n_markers - 1].instructions = (int64_t)json_integer_value(n);
  }
  return 0;
}
