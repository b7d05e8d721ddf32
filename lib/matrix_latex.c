#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_field.h"
#include "lib/matrix_render.h"
#include "lib/util.h"

static double num(json_t *o, const char *k) { return jfield_num(o, k); }

static const char *str(json_t *o, const char *k) { return jfield_str(o, k, ""); }

static void tex_escaped(struct util_buf *b, const char *s) {
  for (; *s; s++) {
    if (strchr("&%$#_{}", *s))
      util_buf_printf(b, "\\%c", *s);
    else if (*s == '~' || *s == '^' || *s == '\\')
      util_buf_printf(b, "\\textascii%s{}", *s == '~' ? "tilde" : *s == '^' ? "circum" : "");
    else
      util_buf_append(b, s, 1);
  }
}

static void cell(struct util_buf *b, double v) {
  if (isfinite(v))
    util_buf_printf(b, " & %.3f", v);
  else
    util_buf_printf(b, " & --");
}

static void table(struct util_buf *b, json_t *report) {
  json_t *configs = json_object_get(report, "configs"),
         *request = json_object_get(report, "request");
  util_buf_printf(
      b, "\\begin{table}[ht]\n\\centering\n\\begin{tabular}{rrrrrrrrl}\n\\toprule\n"
         "vCPUs & $n$ & failed & mean & median & min & max & $s$ & 95\\%% CI of the mean \\\\\n"
         "\\midrule\n");
  size_t i;
  json_t *c;
  json_array_foreach(configs, i, c) {
    json_t *s = json_object_get(c, "boot_time_ms"), *ci = json_object_get(s, "ci95");
    util_buf_printf(b, "%lld & %lld & %lld",
                    (long long)json_integer_value(json_object_get(c, "cpus")),
                    (long long)json_integer_value(json_object_get(c, "succeeded")),
                    (long long)json_integer_value(json_object_get(c, "failed")));
    cell(b, num(s, "mean"));
    cell(b, num(s, "median"));
    cell(b, num(s, "min"));
    cell(b, num(s, "max"));
    cell(b, num(s, "stdev"));
    if (json_is_number(json_array_get(ci, 0)))
      util_buf_printf(b, " & [%.3f, %.3f] \\\\\n", json_number_value(json_array_get(ci, 0)),
                      json_number_value(json_array_get(ci, 1)));
    else
      util_buf_printf(b, " & -- \\\\\n");
  }
  util_buf_printf(
      b, "\\bottomrule\n\\end{tabular}\n\\caption{Boot time in ms from QMP \\texttt{cont} to the "
         "terminal marker, profile \\texttt{");
  tex_escaped(b, str(request, "profile"));
  util_buf_printf(b, "}, %lld samples per configuration (matrix \\texttt{%s}). ",
                  (long long)json_integer_value(json_object_get(request, "samples")),
                  str(report, "id"));
  util_buf_printf(b, "Scaling: ");
  tex_escaped(b, str(json_object_get(report, "scaling"), "note"));
  util_buf_printf(b, ".}\n\\label{tab:matrix-%s}\n\\end{table}\n\n", str(report, "id"));
}

/* The virtual clock's table: instructions, not ms (README "The virtual clock"). */
static void virtual_table(struct util_buf *b, json_t *report) {
  util_buf_printf(b, "\\begin{table}[ht]\n\\centering\n\\begin{tabular}{rrrrrrr}\n\\toprule\n"
                     "vCPUs & $n$ & mean & median & min & max & $s$ \\\\\n\\midrule\n");
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(report, "configs"), i, c) {
    json_t *s = json_object_get(c, "boot_instructions");
    util_buf_printf(b, "%lld & %lld", (long long)json_integer_value(json_object_get(c, "cpus")),
                    (long long)json_integer_value(json_object_get(s, "n")));
    const char *keys[] = {"mean", "median", "min", "max"};
    for (size_t k = 0; k < 4; k++)
      if (isfinite(num(s, keys[k])))
        util_buf_printf(b, " & %.0f", num(s, keys[k]));
      else
        util_buf_printf(b, " & --");
    cell(b, num(s, "stdev"));
    util_buf_printf(b, " \\\\\n");
  }
  util_buf_printf(b,
                  "\\bottomrule\n\\end{tabular}\n\\caption{Virtual clock: guest instructions "
                  "executed from QMP \\texttt{cont} to the terminal marker, QEMU \\texttt{-icount "
                  "shift=%lld} (matrix \\texttt{%s}).}\n\\label{tab:matrix-%s-virtual}\n"
                  "\\end{table}\n\n",
                  (long long)json_integer_value(json_object_get(report, "icount_shift")),
                  str(report, "id"), str(report, "id"));
}

static void figure(struct util_buf *b, json_t *report) {
  util_buf_printf(
      b, "\\begin{figure}[ht]\n\\centering\n\\begin{tikzpicture}\n\\begin{axis}[xlabel={vCPUs}, "
         "ylabel={boot time (ms)}, xtick=data, ymin=0]\n"
         "\\addplot+[only marks, error bars/.cd, y dir=both, y explicit] coordinates {\n");
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(report, "configs"), i, c) {
    json_t *s = json_object_get(c, "boot_time_ms"), *ci = json_object_get(s, "ci95");
    double mean = num(s, "mean");
    if (!isfinite(mean))
      continue;
    double half =
        json_is_number(json_array_get(ci, 1)) ? json_number_value(json_array_get(ci, 1)) - mean : 0;
    util_buf_printf(b, "  (%lld, %.3f) +- (0, %.3f)\n",
                    (long long)json_integer_value(json_object_get(c, "cpus")), mean, half);
  }
  util_buf_printf(
      b,
      "};\n\\end{axis}\n\\end{tikzpicture}\n\\caption{Mean boot time with 95\\%% confidence "
      "intervals (matrix \\texttt{%s}).}\n\\label{fig:matrix-%s}\n\\end{figure}\n",
      str(report, "id"), str(report, "id"));
}

char *matrix_report_latex(json_t *report) {
  struct util_buf b = {0};
  util_buf_printf(&b,
                  "%% minix-analysis matrix %s: every figure below was measured in this matrix.\n"
                  "%% Needs \\usepackage{booktabs} and \\usepackage{pgfplots}.\n",
                  str(report, "id"));
  table(&b, report);
  if (strcmp(str(report, "clock"), "virtual") == 0)
    virtual_table(&b, report);
  figure(&b, report);
  return b.data ? b.data : strdup("");
}
