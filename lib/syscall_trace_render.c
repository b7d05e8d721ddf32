/* A syscall table (lib/syscall_trace.h) as text, CSV and an SVG bar chart. */
#include <stdio.h>
#include <string.h>

#include "lib/svg.h"
#include "lib/syscall_trace.h"
#include "lib/util.h"

#define BAR_H 18
#define LEFT 150
#define WIDTH 720
#define TOP 50

static const char *errnos_text(json_t *errnos, char *buf, size_t cap) {
  const char *key;
  json_t *v;
  size_t used = 0;
  buf[0] = '\0';
  json_object_foreach(errnos, key, v) {
    int n = snprintf(buf + used, cap - used, "%s%s x%lld", used ? ", " : "", key,
                     (long long)json_integer_value(v));
    if (n < 0 || (size_t)n >= cap - used)
      break;
    used += (size_t)n;
  }
  return buf;
}

char *syscall_trace_text(json_t *table) {
  struct util_buf b = {0};
  util_buf_printf(&b, "%-22s %8s %8s %7s %12s  %s\n", "syscall", "calls", "errors", "share",
                  "seconds", "errors by errno");
  size_t i;
  json_t *row;
  json_array_foreach(json_object_get(table, "syscalls"), i, row) {
    char errs[256], secs[32] = "-";
    json_t *t = json_object_get(row, "time_s");
    if (json_is_number(t))
      snprintf(secs, sizeof secs, "%.6f", json_number_value(t));
    util_buf_printf(&b, "%-22s %8lld %8lld %6.2f%% %12s  %s\n",
                    json_string_value(json_object_get(row, "name")),
                    (long long)json_integer_value(json_object_get(row, "calls")),
                    (long long)json_integer_value(json_object_get(row, "errors")),
                    100 * json_real_value(json_object_get(row, "share")), secs,
                    errnos_text(json_object_get(row, "errnos"), errs, sizeof errs));
  }
  util_buf_printf(&b, "%-22s %8lld %8lld\n", "total",
                  (long long)json_integer_value(json_object_get(table, "total_calls")),
                  (long long)json_integer_value(json_object_get(table, "total_errors")));
  return b.data ? b.data : strdup("");
}

char *syscall_trace_csv(json_t *table) {
  struct util_buf b = {0};
  util_buf_printf(&b, "syscall,calls,errors,share,time_s\n");
  size_t i;
  json_t *row;
  json_array_foreach(json_object_get(table, "syscalls"), i, row) {
    json_t *t = json_object_get(row, "time_s");
    util_buf_printf(&b, "%s,%lld,%lld,%.6f,", json_string_value(json_object_get(row, "name")),
                    (long long)json_integer_value(json_object_get(row, "calls")),
                    (long long)json_integer_value(json_object_get(row, "errors")),
                    json_real_value(json_object_get(row, "share")));
    if (json_is_number(t))
      util_buf_printf(&b, "%.6f", json_number_value(t));
    util_buf_printf(&b, "\n");
  }
  return b.data;
}

char *syscall_trace_svg(json_t *table, const char *title) {
  json_t *rows = json_object_get(table, "syscalls");
  size_t n = json_array_size(rows);
  double max = 0;
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    double c = (double)json_integer_value(json_object_get(row, "calls"));
    max = c > max ? c : max;
  }
  max = svg_nice_max(max);
  struct util_buf b = {0};
  svg_begin(&b, WIDTH, TOP + (double)n * BAR_H + 40, title);
  svg_label(&b, 10, 24, "start", 15, title);
  double plot = WIDTH - LEFT - 60;
  json_array_foreach(rows, i, row) {
    double y = TOP + (double)i * BAR_H;
    json_int_t calls = json_integer_value(json_object_get(row, "calls"));
    json_int_t errors = json_integer_value(json_object_get(row, "errors"));
    double w = plot * (double)calls / max, we = plot * (double)errors / max;
    svg_label(&b, LEFT - 6, y + 13, "end", 11, json_string_value(json_object_get(row, "name")));
    util_buf_printf(&b, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                    LEFT, y + 2, w, BAR_H - 4, svg_palette[0]);
    if (errors)
      util_buf_printf(&b, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                      LEFT, y + 2, we, BAR_H - 4, svg_palette[2]);
    char count[64];
    snprintf(count, sizeof count, errors ? "%lld (%lld failed)" : "%lld", (long long)calls,
             (long long)errors);
    svg_label(&b, LEFT + w + 4, y + 13, "start", 11, count);
  }
  char axis[80];
  snprintf(axis, sizeof axis, "calls (axis to %.0f); red: calls that returned an error", max);
  svg_label(&b, LEFT, TOP + (double)n * BAR_H + 24, "start", 11, axis);
  util_buf_printf(&b, "</svg>\n");
  return b.data;
}
