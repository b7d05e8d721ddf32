/* Matrix reports as figures: SVG charts for a browser, LaTeX for a paper. */
#pragma once
#include <jansson.h>

/* One SVG document (malloc'd): boot time vs vCPUs with 95% CI error bars, the
 * ratio to 1 vCPU (speedup only when the guest used every vCPU), and a
 * per-phase timeline of mean marker times per config. */
char *matrix_report_svg(json_t *report);
/* A booktabs tabular of the summary statistics and a pgfplots figure with the
 * data inline (malloc'd); needs \usepackage{booktabs,pgfplots}. */
char *matrix_report_latex(json_t *report);
