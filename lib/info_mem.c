#include "lib/info_mem.h"

#include <stdio.h>
#include <string.h>

void info_mem_scan_reset(struct info_mem_scan *s) { memset(s, 0, sizeof *s); }

/* One "start-end size perms" line (QEMU 7.2's x86 format); anything else counts nothing. */
static void end_line(struct info_mem_scan *s) {
  unsigned long long start, end, size;
  s->line[s->len] = '\0';
  if (!s->overlong && sscanf(s->line, "%llx-%llx %llx", &start, &end, &size) == 3 && end > start) {
    s->total_kb += (int64_t)(size / 1024);
    s->ranges++;
  }
  s->len = 0;
  s->overlong = false;
}

static void put(struct info_mem_scan *s, char c) {
  if (c == '\n') {
    end_line(s);
  } else if (s->len + 1 < sizeof s->line) {
    s->line[s->len++] = c;
  } else {
    s->overlong = true;
  }
}

/* The character a JSON escape stands for; \uXXXX never occurs in a range line, so it stands for
 * '?'. */
static char unescape(char c) {
  switch (c) {
  case 'n': return '\n';
  case 'r': return '\r';
  case 't': return '\t';
  case 'b': return '\b';
  case 'f': return '\f';
  default: return c; /* \" \\ \/ */
  }
}

void info_mem_scan_feed(struct info_mem_scan *s, const char *escaped, size_t len) {
  s->bytes += len;
  for (size_t i = 0; i < len; i++) {
    char c = escaped[i];
    if (s->escape >= 2) {
      s->escape = s->escape == 5 ? 0 : s->escape + 1; /* the four hex digits of \uXXXX */
    } else if (s->escape == 1 && c == 'u') {
      s->escape = 2;
      put(s, '?');
    } else if (s->escape == 1) {
      s->escape = 0;
      put(s, unescape(c));
    } else if (c == '\\') {
      s->escape = 1;
    } else {
      put(s, c);
    }
  }
}

int64_t info_mem_scan_kb(struct info_mem_scan *s) {
  if (s->len || s->overlong)
    end_line(s); /* a last line without its newline */
  return s->ranges ? s->total_kb : -1;
}
