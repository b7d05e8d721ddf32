#include "lib/rsp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned checksum(const char *d, size_t n) {
  unsigned sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += (unsigned char)d[i];
  return sum & 0xff;
}

char *rsp_packet(const char *data) {
  return util_strdupf("$%s#%02x", data, checksum(data, strlen(data)));
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int rsp_next(struct util_buf *buf, char **out) {
  if (buf->len == 0)
    return 0;
  char *start = memchr(buf->data, '$', buf->len);
  if (!start) {
    util_buf_consume(buf, buf->len); /* acks ('+') and nothing else */
    return 0;
  }
  util_buf_consume(buf, (size_t)(start - buf->data));
  char *hash = memchr(buf->data, '#', buf->len);
  if (!hash || (size_t)(hash - buf->data) + 3 > buf->len)
    return 0;
  size_t n = (size_t)(hash - buf->data) - 1;
  int hi = hexval(hash[1]), lo = hexval(hash[2]);
  bool ok = hi >= 0 && lo >= 0 && (unsigned)(hi << 4 | lo) == checksum(buf->data + 1, n);
  char *data = ok ? strndup(buf->data + 1, n) : NULL;
  util_buf_consume(buf, n + 4);
  if (!ok)
    return -EPROTO;
  if (!data)
    return -ENOMEM;
  *out = data;
  return 1;
}

int rsp_pc(const char *regs, int bits, uint64_t *pc) {
  size_t off = bits == 64 ? 16 * 16 : 8 * 8, bytes = bits == 64 ? 8 : 4;
  if (strlen(regs) < off + 2 * bytes)
    return -EINVAL;
  uint64_t v = 0;
  for (size_t i = bytes; i-- > 0;) { /* little endian: the last byte is the most significant */
    int hi = hexval(regs[off + 2 * i]), lo = hexval(regs[off + 2 * i + 1]);
    if (hi < 0 || lo < 0)
      return -EINVAL;
    v = v << 8 | (uint64_t)(hi << 4 | lo);
  }
  *pc = v;
  return 0;
}
