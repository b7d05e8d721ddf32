/* A 64-byte multiboot (a.out kludge) kernel that prints "MA-PROBE-OK" on COM1 and
 * exits QEMU through isa-debug-exit: booting it proves an accelerator really runs guests. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define PROBE_IMAGE_MAX 128
#define PROBE_IMAGE_TEXT "MA-PROBE-OK"

/* Writes the image into buf (PROBE_IMAGE_MAX bytes); returns its length. */
size_t probe_image_build(uint8_t *buf);
