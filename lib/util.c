#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

static int64_t clock_us(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t util_mono_us(void) { return clock_us(CLOCK_MONOTONIC); }

int64_t util_wall_us(void) { return clock_us(CLOCK_REALTIME); }

void util_rfc3339(int64_t wall_us, char *buf, size_t n) {
  time_t secs = (time_t)(wall_us / 1000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char date[24];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, n, "%s.%06dZ", date, (int)(wall_us % 1000000));
}

int util_parse_rfc3339(const char *s, int64_t *wall_us) {
  struct tm tm = {0};
  int us = 0, used = 0;
  if (!s ||
      sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
             &tm.tm_min, &tm.tm_sec, &us, &used) != 7 ||
      used != 27 || s[used] != '\0')
    return -EINVAL;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t secs = timegm(&tm);
  if (secs == (time_t)-1)
    return -EINVAL;
  *wall_us = (int64_t)secs * 1000000 + us;
  return 0;
}

void util_hex(const void *bytes, size_t n, char *out) {
  const unsigned char *b = bytes;
  for (size_t i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
  if (n == 0)
    out[0] = '\0';
}

int util_new_id(char out[UTIL_ID_LEN + 1]) {
  unsigned char raw[UTIL_ID_LEN / 2];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
    return -errno;
  util_hex(raw, sizeof raw, out);
  return 0;
}

bool util_is_id(const char *s) {
  size_t n = strlen(s);
  return n == UTIL_ID_LEN && strspn(s, "0123456789abcdef") == n;
}

char *util_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  size_t size = 0, used = 0;
  for (;;) {
    if (used + 4096 + 1 > size) {
      size = size ? size * 2 : 8192;
      char *nb = realloc(buf, size);
      if (!nb) {
        free(buf);
        fclose(f);
        errno = ENOMEM;
        return NULL;
      }
      buf = nb;
    }
    size_t got = fread(buf + used, 1, size - used - 1, f);
    used += got;
    if (got == 0)
      break;
  }
  int err = ferror(f) ? EIO : 0;
  fclose(f);
  if (err) {
    free(buf);
    errno = err;
    return NULL;
  }
  buf[used] = '\0';
  if (len)
    *len = used;
  return buf;
}

/* A mode passed to open() only loses bits to the umask, never gains any: 0600 stays
 * at most 0600 even under umask 000. An existing file keeps the mode it has. */
FILE *util_fopen_private(const char *path, const char *mode) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode[0] == 'a' ? O_APPEND : O_TRUNC);
  int fd = open(path, flags, 0600);
  FILE *f = fd >= 0 ? fdopen(fd, mode) : NULL;
  if (fd >= 0 && !f) {
    int e = errno;
    close(fd);
    errno = e;
  }
  return f;
}

int util_mkdir_p(const char *path, unsigned mode) {
  char *copy = strdup(path);
  if (!copy)
    return -ENOMEM;
  for (char *p = copy + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(copy, mode) < 0 && errno != EEXIST) {
      int err = -errno;
      free(copy);
      return err;
    }
    *p = '/';
  }
  int r = (mkdir(copy, mode) < 0 && errno != EEXIST) ? -errno : 0;
  free(copy);
  return r;
}

int util_buf_reserve(struct util_buf *b, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *nd = realloc(b->data, cap);
    if (!nd)
      return -ENOMEM;
    b->data = nd;
    b->cap = cap;
  }
  return 0;
}

int util_buf_append(struct util_buf *b, const void *data, size_t n) {
  if (util_buf_reserve(b, n) < 0)
    return -ENOMEM;
  memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int util_buf_printf(struct util_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0)
    return -ENOMEM;
  int r = util_buf_append(b, s, (size_t)n);
  free(s);
  return r;
}

void util_buf_consume(struct util_buf *b, size_t n) {
  n = n < b->len ? n : b->len;
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
  if (b->data)
    b->data[b->len] = '\0';
}

void util_buf_clear(struct util_buf *b) {
  free(b->data);
  *b = (struct util_buf){0};
}

void util_freep(void *p) { free(*(void **)p); }

char *util_strdupf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    s = NULL;
  va_end(ap);
  return s;
}

int util_connect_unix(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  return fd;
}

int util_random(void *buf, size_t n) { return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -EIO; }

int util_parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = s ? strtol(s, &end, 10) : 0;
  if (!s || *s == '\0' || *end != '\0' || (errno && errno != ERANGE))
    return -EINVAL;
  if (errno == ERANGE || v < lo || v > hi)
    return -ERANGE;
  *out = v;
  return 0;
}

int util_parse_double(const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = s ? strtod(s, &end) : 0;
  if (!s || *s == '\0' || *end != '\0' || isnan(v))
    return -EINVAL;
  if (errno == ERANGE || !(v >= lo && v <= hi))
    return -ERANGE;
  *out = v;
  return 0;
}
