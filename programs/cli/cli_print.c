#include "programs/cli/cli_print.h"

#include <stdbool.h>
#include <string.h>

static const char *str(json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? s : "-";
}

static void print_names(FILE *f, const char *title, json_t *arr, const char *key) {
  if (json_array_size(arr) == 0)
    return;
  fprintf(f, "  %s: ", title);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v)
      fprintf(f, "%s%s", i ? ", " : "", key ? str(v, key) : json_string_value(v));
  fputc('\n', f);
}

/* t_ms on the host clock; with the virtual clock, each marker's instruction count beside it. */
static void print_markers(FILE *f, json_t *markers, bool counted) {
  if (json_array_size(markers) == 0) {
    fprintf(f, "  no marker observed\n");
    return;
  }
  fprintf(f, "  %12s  %s%-20s %-7s %s\n", "t_ms", counted ? "  instructions  " : "", "marker",
          "source", "text");
  size_t i;
  json_t *m;
  json_array_foreach(markers, i, m) {
    fprintf(f, "  %12.3f  ", json_number_value(json_object_get(m, "t_ms")));
    json_t *n = json_object_get(m, "instructions");
    if (counted && json_is_integer(n))
      fprintf(f, "%14lld  ", (long long)json_integer_value(n));
    else if (counted)
      fprintf(f, "%14s  ", "not observed");
    fprintf(f, "%-20s %-7s %.60s\n", str(m, "name"), str(m, "source"), str(m, "text"));
  }
}

static void print_cpus(FILE *f, json_t *run) {
  json_t *online = json_object_get(run, "guest_cpus_online");
  json_int_t asked = json_integer_value(json_object_get(run, "cpus"));
  if (!json_is_integer(online)) {
    fprintf(f, "  guest CPUs online: not reported by this guest (%lld requested)\n",
            (long long)asked);
    return;
  }
  json_int_t n = json_integer_value(online);
  fprintf(f, "  guest CPUs online: %lld of %lld requested%s\n", (long long)n, (long long)asked,
          n < asked ? " (the guest ignored the extra vCPUs)" : "");
}

void cli_print_run(FILE *f, json_t *run) {
  fprintf(f, "run %s: %s (profile %s, %s, %lld vCPU, %lld MiB, accel %s)\n", str(run, "id"),
          str(run, "status"), str(run, "profile"), str(run, "arch"),
          (long long)json_integer_value(json_object_get(run, "cpus")),
          (long long)json_integer_value(json_object_get(run, "memory_mb")), str(run, "accel"));
  if (json_is_string(json_object_get(run, "accel_note")))
    fprintf(f, "  accelerator: %s\n", str(run, "accel_note"));
  json_t *qs = json_object_get(run, "qemu_start_ms");
  if (json_is_number(qs))
    fprintf(f, "  QEMU start-up: %.3f ms (before t0, not part of the boot time)\n",
            json_number_value(qs));
  bool counted = strcmp(str(run, "clock"), "virtual") == 0;
  print_markers(f, json_object_get(run, "markers"), counted);
  json_t *bt = json_object_get(run, "boot_time_ms");
  if (json_is_number(bt))
    fprintf(f, "  boot time: %.3f ms from QMP cont to %s\n", json_number_value(bt),
            str(run, "terminal_marker"));
  else
    fprintf(f, "  boot time: not measured (the terminal marker was not observed)\n");
  json_t *bi = json_object_get(run, "boot_instructions");
  if (counted && json_is_integer(bi))
    fprintf(f, "  virtual clock: %lld guest instructions to %s (-icount shift %lld)\n",
            (long long)json_integer_value(bi), str(run, "terminal_marker"),
            (long long)json_integer_value(json_object_get(run, "icount_shift")));
  else if (counted)
    fprintf(f, "  virtual clock: the terminal marker's instruction count was not observed\n");
  print_cpus(f, run);
  print_names(f, "not observed", json_object_get(run, "missing_markers"), NULL);
  print_names(f, "not observable over serial", json_object_get(run, "unobservable_markers"),
              "name");
  size_t i;
  json_t *note;
  json_array_foreach(json_object_get(run, "notes"), i, note)
      fprintf(f, "  note: %s\n", json_string_value(note));
  json_t *err = json_object_get(run, "error");
  if (json_is_object(err))
    fprintf(f, "  error: %s: %s\n", str(err, "code"), str(err, "message"));
}

void cli_print_runs(FILE *f, json_t *page) {
  json_t *runs = json_object_get(page, "runs");
  if (json_array_size(runs) == 0) {
    fprintf(f, "no runs\n");
    return;
  }
  fprintf(f, "%-16s  %-11s  %-10s  %-6s %4s  %12s  %s\n", "id", "status", "profile", "arch", "cpus",
          "boot_ms", "created_at");
  size_t i;
  json_t *r;
  json_array_foreach(runs, i, r) {
    json_t *bt = json_object_get(r, "boot_time_ms");
    char boot[32] = "-";
    if (json_is_number(bt))
      snprintf(boot, sizeof boot, "%.3f", json_number_value(bt));
    fprintf(f, "%-16s  %-11s  %-10s  %-6s %4lld  %12s  %s\n", str(r, "id"), str(r, "status"),
            str(r, "profile"), str(r, "arch"),
            (long long)json_integer_value(json_object_get(r, "cpus")), boot, str(r, "created_at"));
  }
  json_t *next = json_object_get(page, "next_cursor");
  if (json_is_string(next))
    fprintf(f, "more: --cursor %s\n", json_string_value(next));
}

void cli_print_matrices(FILE *f, json_t *list) {
  json_t *ms = json_object_get(list, "matrices");
  if (json_array_size(ms) == 0) {
    fprintf(f, "no matrices\n");
    return;
  }
  fprintf(f, "%-16s  %-11s  %9s  %-12s  %-10s  %s\n", "id", "status", "done", "cpus", "profile",
          "created_at");
  size_t i;
  json_t *m;
  json_array_foreach(ms, i, m) {
    json_t *req = json_object_get(m, "request");
    char done[24], cpus[64] = "";
    snprintf(done, sizeof done, "%lld/%lld",
             (long long)json_integer_value(json_object_get(m, "done")),
             (long long)json_integer_value(json_object_get(m, "total")));
    size_t k;
    json_t *n;
    json_array_foreach(json_object_get(req, "cpus"), k, n) {
      size_t used = strlen(cpus);
      snprintf(cpus + used, sizeof cpus - used, "%s%lld", k ? "," : "",
               (long long)json_integer_value(n));
    }
    fprintf(f, "%-16s  %-11s  %9s  %-12s  %-10s  %s\n", str(m, "id"), str(m, "status"), done, cpus,
            str(req, "profile"), str(m, "created_at"));
  }
}
