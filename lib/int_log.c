#include "lib/int_log.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 512

struct bucket {
  int second, vector;
  enum int_kind kind;
  int64_t count;
};

struct int_counter {
  struct bucket *b;
  size_t n, cap;
  char line[LINE_MAX_LEN];
  size_t len;
  bool overlong;
};

struct int_counter *int_counter_new(void) {
  return calloc(1, sizeof(struct int_counter));
}

void int_counter_free(struct int_counter *c) {
  if (!c)
    return;
  free(c->b);
  free(c);
}

static void add(struct int_counter *c, int second, int vector, enum int_kind kind) {
  /* Buckets arrive in time order: the match is at the end, or near it. */
  for (size_t i = c->n; i-- > 0 && c->b[i].second == second;) {
    if (c->b[i].vector == vector && c->b[i].kind == kind) {
      c->b[i].count++;
      return;
    }
  }
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    struct bucket *b = realloc(c->b, cap * sizeof *b);
    if (!b)
      return;
    c->b = b;
    c->cap = cap;
  }
  c->b[c->n++] = (struct bucket){second, vector, kind, 1};
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  return -1;
}

/* "   123: v=0e e=0014 i=0 cpl=3 IP=..." */
static void parse(struct int_counter *c, const char *l, int second) {
  while (*l == ' ')
    l++;
  const char *p = l;
  while (*p >= '0' && *p <= '9')
    p++;
  if (p == l || strncmp(p, ": v=", 4) != 0)
    return;
  p += 4;
  int hi = hexval(p[0]), lo = hexval(p[1]);
  if (hi < 0 || lo < 0)
    return;
  int vector = hi << 4 | lo;
  const char *is_int = strstr(p, " i=");
  enum int_kind kind = is_int && is_int[3] == '1' ? INT_SOFTWARE
                       : vector < 32              ? INT_EXCEPTION
                                                  : INT_HARDWARE;
  add(c, second, vector, kind);
}

void int_counter_feed(struct int_counter *c, const char *buf, size_t len, int64_t t_us) {
  int second = t_us > 0 ? (int)(t_us / 1000000) : 0;
  for (size_t i = 0; i < len; i++) {
    if (buf[i] == '\n') {
      c->line[c->len] = '\0';
      if (!c->overlong)
        parse(c, c->line, second);
      c->len = 0;
      c->overlong = false;
    } else if (c->len < sizeof c->line - 1) {
      c->line[c->len++] = buf[i];
    } else {
      c->overlong = true;
    }
  }
}

void int_counter_each(const struct int_counter *c,
                      void (*fn)(void *userdata, int second, int vector, enum int_kind kind,
                                 int64_t count),
                      void *userdata) {
  for (size_t i = 0; i < c->n; i++)
    fn(userdata, c->b[i].second, c->b[i].vector, c->b[i].kind, c->b[i].count);
}

const char *int_vector_name(int vector, enum int_kind kind) {
  static const char *const exceptions[32] = {"divide error (#DE)",
                                             "debug (#DB)",
                                             "NMI",
                                             "breakpoint (#BP)",
                                             "overflow (#OF)",
                                             "bound range (#BR)",
                                             "invalid opcode (#UD)",
                                             "device not available (#NM)",
                                             "double fault (#DF)",
                                             NULL,
                                             "invalid TSS (#TS)",
                                             "segment not present (#NP)",
                                             "stack fault (#SS)",
                                             "general protection (#GP)",
                                             "page fault (#PF)",
                                             NULL,
                                             "x87 floating point (#MF)",
                                             "alignment check (#AC)",
                                             "machine check (#MC)",
                                             "SIMD floating point (#XM)",
                                             "virtualization (#VE)",
                                             "control protection (#CP)"};
  if (vector < 32 && kind != INT_HARDWARE)
    return exceptions[vector];
  if (vector == 0x80 && kind == INT_SOFTWARE)
    return "int 0x80 (Linux i386 system call)";
  return NULL;
}

const char *int_kind_name(enum int_kind kind) {
  static const char *const names[] = {"exception", "software", "hardware"};
  return names[kind];
}
