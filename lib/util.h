/* Small helpers shared by every component: clocks, ids, files, cleanup. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define UTIL_ID_LEN 16

/* Monotonic clock in microseconds (CLOCK_MONOTONIC). */
int64_t util_mono_us(void);
/* Wall clock in microseconds since the Unix epoch. */
int64_t util_wall_us(void);
/* Formats a wall time as RFC 3339 UTC with microseconds into buf (>= 32 bytes). */
void util_rfc3339(int64_t wall_us, char *buf, size_t n);
/* Parses util_rfc3339's form (YYYY-MM-DDTHH:MM:SS.ffffffZ) into *wall_us; -EINVAL otherwise. */
int util_parse_rfc3339(const char *s, int64_t *wall_us);
/* A connected, blocking-mode AF_UNIX stream socket (CLOEXEC) to path, or -errno. */
int util_connect_unix(const char *path);
/* n bytes from the kernel's random source; -EIO when it gives fewer. */
int util_random(void *buf, size_t n);
/* Writes n bytes as 2n lowercase hex digits and a NUL into out. */
void util_hex(const void *bytes, size_t n, char *out);
/* Writes a fresh random run id (UTIL_ID_LEN lowercase hex chars + NUL). */
int util_new_id(char out[UTIL_ID_LEN + 1]);
/* True when s looks like an id made by util_new_id. */
bool util_is_id(const char *s);
/* Reads a whole file; returns NULL and sets errno on failure. */
char *util_read_file(const char *path, size_t *len);
/* fopen(path, "wb" or "ab") that creates the file 0600 whatever the umask; NULL and errno on
 * failure. */
FILE *util_fopen_private(const char *path, const char *mode);
/* mkdir -p; returns 0 or -errno. */
int util_mkdir_p(const char *path, unsigned mode);
/* A growable byte buffer, always NUL-terminated after len bytes. */
struct util_buf {
  char *data;
  size_t len, cap;
};
/* Makes room for n more bytes and the NUL after them; returns 0 or -ENOMEM. */
int util_buf_reserve(struct util_buf *b, size_t n);
/* Appends n bytes; returns 0 or -ENOMEM. */
int util_buf_append(struct util_buf *b, const void *data, size_t n);
/* Appends printf-formatted text; returns 0 or -ENOMEM. */
int util_buf_printf(struct util_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes. */
void util_buf_consume(struct util_buf *b, size_t n);
/* Frees the buffer's memory and empties it. */
void util_buf_clear(struct util_buf *b);
/* For _cleanup_(util_freep) on any heap pointer. */
void util_freep(void *p);
/* Returns a newly allocated printf-formatted string, or NULL. */
char *util_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A whole decimal integer in [lo, hi]: 0, -EINVAL for anything that is not one (empty, trailing
 * text), or -ERANGE outside the bounds; *out is set only on success. */
int util_parse_long(const char *s, long lo, long hi, long *out);
/* A whole finite decimal number in [lo, hi]; the same returns as util_parse_long. */
int util_parse_double(const char *s, double lo, double hi, double *out);
