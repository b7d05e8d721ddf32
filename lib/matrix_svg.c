#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_field.h"
#include "lib/matrix_render.h"
#include "lib/svg.h"
#include "lib/util.h"

#define WIDTH 860
#define PANEL_H 280
#define LEFT 90
#define RIGHT 40
#define TOP 50
#define PLOT_H 180

static double num(json_t *o, const char *k) { return jfield_num(o, k); }

static void y_axis(struct util_buf *b, double y0, double ymax, const char *title) {
  util_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>\n", LEFT,
                  y0, LEFT, y0 + PLOT_H);
  for (int i = 0; i <= 5; i++) {
    double y = y0 + PLOT_H - PLOT_H * i / 5.0;
    char tick[32];
    snprintf(tick, sizeof tick, "%g", ymax * i / 5.0);
    util_buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                    LEFT, y, WIDTH - RIGHT, y);
    svg_label(b, LEFT - 6, y + 4, "end", 11, tick);
  }
  util_buf_printf(
      b,
      "<text transform=\"translate(18,%.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">",
      y0 + PLOT_H / 2.0);
  svg_escaped(b, title);
  util_buf_printf(b, "</text>\n");
}

static double x_of(size_t i, size_t n) {
  return LEFT + (WIDTH - LEFT - RIGHT) * (i + 0.5) / (double)n;
}

static void x_labels(struct util_buf *b, json_t *configs, double y0) {
  size_t i, n = json_array_size(configs);
  json_t *c;
  json_array_foreach(configs, i, c) {
    char text[32];
    snprintf(text, sizeof text, "%lld vCPU",
             (long long)json_integer_value(json_object_get(c, "cpus")));
    svg_label(b, x_of(i, n), y0 + PLOT_H + 16, "middle", 11, text);
  }
}

static void boot_panel(struct util_buf *b, json_t *configs, double top) {
  double y0 = top + TOP, ymax = 0;
  size_t i, n = json_array_size(configs);
  json_t *c;
  json_array_foreach(configs, i, c) {
    json_t *s = json_object_get(c, "boot_time_ms");
    double hi = json_number_value(json_array_get(json_object_get(s, "ci95"), 1));
    ymax = fmax(ymax, fmax(num(s, "max"), isfinite(hi) ? hi : 0));
  }
  ymax = svg_nice_max(ymax);
  svg_label(b, LEFT, top + 28, "start", 15,
            "Boot time (mean, 95% CI of the mean; dots: min and max)");
  y_axis(b, y0, ymax, "ms from QMP cont");
  json_array_foreach(configs, i, c) {
    json_t *s = json_object_get(c, "boot_time_ms"), *ci = json_object_get(s, "ci95");
    double x = x_of(i, n), mean = num(s, "mean");
    if (!isfinite(mean))
      continue;
#define Y(v) (y0 + PLOT_H - PLOT_H * (v) / ymax)
    if (json_is_number(json_array_get(ci, 0))) {
      double lo = json_number_value(json_array_get(ci, 0)),
             hi = json_number_value(json_array_get(ci, 1));
      util_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                      x, Y(fmax(lo, 0)), x, Y(hi));
      util_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                      x - 8, Y(hi), x + 8, Y(hi));
      util_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                      x - 8, Y(fmax(lo, 0)), x + 8, Y(fmax(lo, 0)));
    }
    util_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#999\"/>\n", x + 14,
                    Y(num(s, "min")));
    util_buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#999\"/>\n", x + 14,
                    Y(num(s, "max")));
    util_buf_printf(b,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"><title>%.3f ms "
                    "(n=%lld)</title></circle>\n",
                    x, Y(mean), svg_palette[0], mean,
                    (long long)json_integer_value(json_object_get(s, "n")));
#undef Y
  }
  x_labels(b, configs, y0);
}

static void ratio_panel(struct util_buf *b, json_t *report, double top) {
  json_t *configs = json_object_get(report, "configs"),
         *scaling = json_object_get(report, "scaling");
  bool valid = json_is_true(json_object_get(scaling, "valid"));
  double y0 = top + TOP, ymax = 1;
  size_t i, n = json_array_size(configs);
  json_t *c;
  json_array_foreach(configs, i, c) {
    json_t *rel = json_object_get(c, "relative_to_1_vcpu");
    ymax = fmax(ymax, num(rel, "speedup") + fmax(0, num(rel, "speedup_se")));
    if (valid)
      ymax = fmax(ymax, (double)json_integer_value(json_object_get(c, "cpus")));
  }
  ymax = svg_nice_max(ymax);
  svg_label(b, LEFT, top + 28, "start", 15,
            valid ? "Speedup relative to 1 vCPU (+- standard error; dashed: ideal)"
                  : "Boot time ratio to 1 vCPU (not scaling)");
  if (!valid)
    svg_label(b, LEFT, top + 44, "start", 11, json_string_value(json_object_get(scaling, "note")));
  y_axis(b, y0, ymax, valid ? "speedup" : "ratio");
#define Y(v) (y0 + PLOT_H - PLOT_H * (v) / ymax)
  json_array_foreach(configs, i, c) {
    double x = x_of(i, n), cpus = (double)json_integer_value(json_object_get(c, "cpus"));
    json_t *rel = json_object_get(c, "relative_to_1_vcpu");
    double r =
        cpus == 1 && json_is_object(json_object_get(c, "boot_time_ms")) ? 1 : num(rel, "speedup");
    if (valid)
      util_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                      "stroke-dasharray=\"4 3\"/>\n",
                      x - 20, Y(cpus), x + 20, Y(cpus));
    if (!isfinite(r))
      continue;
    util_buf_printf(b,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"30\" height=\"%.1f\" "
                    "fill=\"%s\"><title>%.3f</title></rect>\n",
                    x - 15, Y(r), PLOT_H * r / ymax, svg_palette[1], r);
    double eff = num(rel, "efficiency");
    if (isfinite(eff)) {
      char text[48];
      snprintf(text, sizeof text, "efficiency %.2f", eff);
      svg_label(b, x, Y(r) - 8, "middle", 11, text);
    }
    double se = num(rel, "speedup_se");
    if (isfinite(se))
      util_buf_printf(b,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                      x, Y(fmax(r - se, 0)), x, Y(r + se));
  }
#undef Y
  x_labels(b, configs, y0);
}

static void timeline_row(struct util_buf *b, json_t *c, double y, double xmax) {
  double plot_w = WIDTH - LEFT - RIGHT, prev = 0;
  size_t k;
  json_t *m;
  json_array_foreach(json_object_get(c, "markers"), k, m) {
    double t = num(json_object_get(m, "t_ms"), "mean");
    if (!isfinite(t))
      continue;
    double x0 = LEFT + plot_w * prev / xmax, x1 = LEFT + plot_w * t / xmax;
    util_buf_printf(b,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"18\" fill=\"%s\"><title>",
                    x0, y, fmax(x1 - x0, 0.5), svg_palette[k % 10]);
    svg_escaped(b, json_string_value(json_object_get(m, "name")));
    util_buf_printf(b, " at %.3f ms</title></rect>\n", t);
    prev = t;
  }
  char text[32];
  snprintf(text, sizeof text, "%lld vCPU",
           (long long)json_integer_value(json_object_get(c, "cpus")));
  svg_label(b, LEFT - 6, y + 13, "end", 11, text);
}

static void timeline_panel(struct util_buf *b, json_t *configs, double top) {
  double xmax = 0;
  size_t i, k;
  json_t *c, *m;
  json_array_foreach(configs, i, c) json_array_foreach(json_object_get(c, "markers"), k, m) xmax =
      fmax(xmax, num(json_object_get(m, "t_ms"), "mean"));
  xmax = svg_nice_max(xmax);
  svg_label(b, LEFT, top + 28, "start", 15,
            "Phases: mean time of each marker, per config (hover for names)");
  double y = top + TOP;
  json_array_foreach(configs, i, c) {
    timeline_row(b, c, y, xmax);
    y += 26;
  }
  for (int t = 0; t <= 5; t++) {
    char tick[32];
    snprintf(tick, sizeof tick, "%g ms", xmax * t / 5);
    svg_label(b, LEFT + (WIDTH - LEFT - RIGHT) * t / 5.0, y + 14, "middle", 11, tick);
  }
  /* Legend: marker names in the order of the first config. */
  double lx = LEFT, ly = y + 34;
  json_array_foreach(json_object_get(json_array_get(configs, 0), "markers"), k, m) {
    const char *name = jfield_str(m, "name", "");
    util_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>\n", lx,
                    ly - 9, svg_palette[k % 10]);
    svg_label(b, lx + 14, ly, "start", 11, name);
    lx += 24 + 7.0 * (double)strlen(name);
    if (lx > WIDTH - 160) {
      lx = LEFT;
      ly += 16;
    }
  }
}

char *matrix_report_svg(json_t *report) {
  json_t *configs = json_object_get(report, "configs");
  double timeline_h = TOP + 26.0 * (double)json_array_size(configs) + 90;
  double height = 2 * PANEL_H + timeline_h;
  struct util_buf b = {0};
  svg_begin(&b, WIDTH, height, json_string_value(json_object_get(report, "id")));
  boot_panel(&b, configs, 0);
  ratio_panel(&b, report, PANEL_H);
  timeline_panel(&b, configs, 2 * PANEL_H);
  util_buf_printf(&b, "</svg>\n");
  return b.data ? b.data : strdup("");
}
