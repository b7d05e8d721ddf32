/* Small pieces every SVG chart of the reports uses. */
#pragma once
#include "lib/util.h"

extern const char *const svg_palette[10];

/* Appends text with the five XML specials escaped. */
void svg_escaped(struct util_buf *b, const char *s);
/* Appends a <text> element. */
void svg_label(struct util_buf *b, double x, double y, const char *anchor, int size,
               const char *text);
/* A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least v. */
double svg_nice_max(double v);
/* Opens the document: XML declaration, <svg> of width x height, white background, a <title>. */
void svg_begin(struct util_buf *b, int width, double height, const char *title);
