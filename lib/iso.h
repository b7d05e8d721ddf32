/* MINIX installation ISOs: verification (structure, boot.cfg, kernel and the
 * modules it loads, checksums) and extraction of what the multiboot loader
 * needs, read with libarchive: no mounting, no root. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"

struct iso_image {
  char sha256[65], sha1[41];
  int64_t size;
  char *release;     /* "3.4.0" when the kernel says, else NULL */
  char *kernel;      /* path inside the ISO */
  char *kernel_args; /* the boot.cfg multiboot arguments */
  json_t *modules;   /* paths inside the ISO, in load order */
  int elf_bits;      /* 32 or 64 */
  unsigned elf_machine;
  uint64_t elf_entry;
  bool elf_symbols; /* the kernel keeps a symbol table */
  json_t *warnings; /* strings */
};

/* Verifies the ISO at path; expected_sha256 (64 hex digits) may be NULL. On a
 * bad image returns -EINVAL with err (400) naming the problem. */
int iso_inspect(const char *path, const char *expected_sha256, struct iso_image **out,
                struct ma_error *err);
/* Frees an image (NULL is fine). */
void iso_image_free(struct iso_image *img);
/* New JSON description of img (with the note on MINIX file names). */
json_t *iso_image_json(const struct iso_image *img);
/* Writes the kernel and modules of img into dir (created), named by their base
 * names; *files gets the absolute paths, kernel first. */
int iso_extract(const char *iso_path, const struct iso_image *img, const char *dir, json_t **files,
                struct ma_error *err);

/* How long the ISO reader (programs/iso-reader/) may take over one image (hashing a 4 GiB image
 * from a slow disk included). */
#define ISO_READER_MAX_S 1800
