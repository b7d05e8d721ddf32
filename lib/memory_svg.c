#include "lib/memory_svg.h"

#include <math.h>
#include <stdio.h>

#include "lib/svg.h"

#define WIDTH 860
#define LEFT 90
#define RIGHT 40
#define PANEL_H 250
#define PLOT_H 170
#define TOP 45

struct axis {
  double x_max, y_max, top;
};

static double x_of(const struct axis *a, double t) {
  return LEFT + (WIDTH - LEFT - RIGHT) * t / a->x_max;
}
static double y_of(const struct axis *a, double v) {
  return a->top + PLOT_H - PLOT_H * v / a->y_max;
}

static double value(json_t *sample, const char *key) {
  if (key[0] == '+') /* user + system CPU time */
    return (double)(json_integer_value(json_object_get(sample, "utime_ms")) +
                    json_integer_value(json_object_get(sample, "stime_ms")));
  return (double)json_integer_value(json_object_get(sample, key)) / 1024.0;
}

static void frame(struct util_buf *b, const struct axis *a, const char *title, const char *unit) {
  svg_label(b, LEFT, a->top - 18, "start", 15, title);
  for (int i = 0; i <= 5; i++) {
    char tick[32];
    double y = a->top + PLOT_H - PLOT_H * i / 5.0;
    util_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                    LEFT, y, WIDTH - RIGHT, y);
    snprintf(tick, sizeof tick, "%g %s", a->y_max * i / 5.0, unit);
    svg_label(b, LEFT - 6, y + 4, "end", 11, tick);
    snprintf(tick, sizeof tick, "%g ms", a->x_max * i / 5.0);
    svg_label(b, LEFT + (WIDTH - LEFT - RIGHT) * i / 5.0, a->top + PLOT_H + 16, "middle", 11, tick);
  }
}

static void markers_lines(struct util_buf *b, const struct axis *a, json_t *markers) {
  size_t i;
  json_t *m;
  json_array_foreach(markers, i, m) {
    double t = json_number_value(json_object_get(m, "t_ms"));
    if (t > a->x_max)
      continue;
    util_buf_printf(b,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-dasharray=\"3 3\"><title>",
                    x_of(a, t), a->top, x_of(a, t), a->top + PLOT_H, svg_palette[2]);
    svg_escaped(b, json_string_value(json_object_get(m, "name")));
    util_buf_printf(b, " at %.3f ms</title></line>\n", t);
  }
}

static void panel(struct util_buf *b, json_t *samples, json_t *markers, double top, const char *key,
                  const char *title, const char *unit) {
  struct axis a = {1, 0, top + TOP};
  size_t i;
  json_t *s;
  json_array_foreach(samples, i, s) {
    a.x_max = fmax(a.x_max, json_number_value(json_object_get(s, "t_ms")));
    a.y_max = fmax(a.y_max, value(s, key));
  }
  a.x_max = svg_nice_max(a.x_max);
  a.y_max = svg_nice_max(a.y_max);
  frame(b, &a, title, unit);
  markers_lines(b, &a, markers);
  util_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                  svg_palette[0]);
  json_array_foreach(samples, i, s)
      util_buf_printf(b, "%.1f,%.1f ", x_of(&a, json_number_value(json_object_get(s, "t_ms"))),
                      y_of(&a, value(s, key)));
  util_buf_printf(b, "\"/>\n");
}

char *memory_svg(const char *run_id, json_t *samples, json_t *markers) {
  struct util_buf b = {0};
  svg_begin(&b, WIDTH, 2 * PANEL_H + 30, run_id);
  panel(&b, samples, markers, 0, "rss_kb",
        "QEMU resident memory (dashed: boot markers; hover for names)", "MB");
  panel(&b, samples, markers, PANEL_H, "+", "QEMU CPU time, user + system", "ms");
  util_buf_printf(&b, "</svg>\n");
  return b.data;
}

char *memory_csv(json_t *samples) {
  struct util_buf csv = {0};
  util_buf_printf(&csv,
                  "t_ms,rss_kb,minflt,majflt,utime_ms,stime_ms,guest_mapped_kb,info_mem_us\n");
  static const char *const keys[] = {"rss_kb", "minflt", "majflt", "utime_ms", "stime_ms"};
  size_t i;
  json_t *s;
  json_array_foreach(samples, i, s) {
    util_buf_printf(&csv, "%.3f", json_number_value(json_object_get(s, "t_ms")));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
      util_buf_printf(&csv, ",%lld", (long long)json_integer_value(json_object_get(s, keys[k])));
    /* Empty where "info mem" was not asked in that sample. */
    static const char *const sparse[] = {"guest_mapped_kb", "info_mem_us"};
    for (size_t k = 0; k < 2; k++) {
      json_t *v = json_object_get(s, sparse[k]);
      if (json_is_integer(v))
        util_buf_printf(&csv, ",%lld", (long long)json_integer_value(v));
      else
        util_buf_printf(&csv, ",");
    }
    util_buf_printf(&csv, "\n");
  }
  return csv.data;
}
