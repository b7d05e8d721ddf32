/* The ISO reader as a child process (minix-analysis-iso, programs/iso-reader/): what lib/iso.h
 * does, with libarchive and the untrusted image kept out of the caller's process. Both calls block
 * until the reader is done: call them from the thread pool where the loop must go on. */
#pragma once
#include <jansson.h>

#include "lib/error.h"
#include "lib/iso.h"

/* iso_inspect: *image gets the image's JSON description (lib/iso.h, iso_image_json). */
int iso_helper_inspect(const char *iso, const char *sha256, json_t **image, struct ma_error *err);
/* iso_extract of the kernel and modules (paths inside the ISO) into dir: *files, kernel first. */
int iso_helper_extract(const char *iso, const char *kernel, json_t *modules, const char *dir,
                       json_t **files, struct ma_error *err);
