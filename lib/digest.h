/* SHA-256 and SHA-1 in lowercase hex (nettle): hashes of images, disks and API tokens. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define DIGEST_SHA256_HEX 65 /* 64 digits and a NUL */
#define DIGEST_SHA1_HEX 41

void digest_sha256_hex(const void *data, size_t n, char out[DIGEST_SHA256_HEX]);

/* Reads fd to its end: its SHA-256, and its SHA-1 when sha1 is not NULL, in hex; its length in
 * *size when size is not NULL. Returns 0, -ENOMEM or -errno of a failed read. Safe in parallel
 * threads. */
int digest_fd(int fd, char sha256[DIGEST_SHA256_HEX], char *sha1, int64_t *size);
