#include "lib/svg.h"

#include <math.h>

const char *const svg_palette[10] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                     "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

void svg_escaped(struct util_buf *b, const char *s) {
  for (; s && *s; s++) {
    switch (*s) {
    case '&': util_buf_printf(b, "&amp;"); break;
    case '<': util_buf_printf(b, "&lt;"); break;
    case '>': util_buf_printf(b, "&gt;"); break;
    case '"': util_buf_printf(b, "&quot;"); break;
    default: util_buf_append(b, s, 1);
    }
  }
}

void svg_label(struct util_buf *b, double x, double y, const char *anchor, int size,
               const char *text) {
  util_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">", x, y,
                  anchor, size);
  svg_escaped(b, text);
  util_buf_printf(b, "</text>\n");
}

double svg_nice_max(double v) {
  if (!(v > 0))
    return 1;
  double p = pow(10, floor(log10(v)));
  static const double steps[] = {1, 2, 5};
  for (int i = 0; i < 3; i++)
    if (steps[i] * p >= v)
      return steps[i] * p;
  return 10 * p;
}

void svg_begin(struct util_buf *b, int width, double height, const char *title) {
  util_buf_printf(b,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" "
                  "viewBox=\"0 0 %d %.0f\" "
                  "font-family=\"sans-serif\">\n",
                  width, height, width, height);
  util_buf_printf(b, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<title>");
  svg_escaped(b, title);
  util_buf_printf(b, "</title>\n");
}
