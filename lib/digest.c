#include "lib/digest.h"

#include <errno.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/util.h"

#define READ_SIZE (1 << 20)

void digest_sha256_hex(const void *data, size_t n, char out[DIGEST_SHA256_HEX]) {
  struct sha256_ctx ctx;
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_init(&ctx);
  sha256_update(&ctx, n, data);
  sha256_digest(&ctx, sizeof d, d);
  util_hex(d, sizeof d, out);
}

int digest_fd(int fd, char sha256[DIGEST_SHA256_HEX], char *sha1, int64_t *size) {
  uint8_t *buf = malloc(READ_SIZE); /* not static: images are hashed in parallel threads */
  if (!buf)
    return -ENOMEM;
  struct sha256_ctx c256;
  struct sha1_ctx c1;
  sha256_init(&c256);
  sha1_init(&c1);
  int64_t total = 0;
  ssize_t n;
  while ((n = read(fd, buf, READ_SIZE)) > 0 || (n < 0 && errno == EINTR)) {
    if (n < 0)
      continue;
    sha256_update(&c256, (size_t)n, buf);
    if (sha1)
      sha1_update(&c1, (size_t)n, buf);
    total += n;
  }
  int r = n < 0 ? -errno : 0;
  free(buf);
  if (r < 0)
    return r;
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(&c256, SHA256_DIGEST_SIZE, d);
  util_hex(d, SHA256_DIGEST_SIZE, sha256);
  if (sha1) {
    sha1_digest(&c1, SHA1_DIGEST_SIZE, d);
    util_hex(d, SHA1_DIGEST_SIZE, sha1);
  }
  if (size)
    *size = total;
  return 0;
}
