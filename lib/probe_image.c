#include "lib/probe_image.h"

#include <string.h>

#define LOAD_ADDR 0x100000u
#define HEADER_LEN 32u

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

size_t probe_image_build(uint8_t *buf) {
  memset(buf, 0, PROBE_IMAGE_MAX);
  const uint32_t magic = 0x1BADB002u, flags = 0x00010000u; /* addresses given in the header */
  put32(buf + 0, magic);
  put32(buf + 4, flags);
  put32(buf + 8, (uint32_t)-(magic + flags));
  put32(buf + 12, LOAD_ADDR);             /* header_addr */
  put32(buf + 16, LOAD_ADDR);             /* load_addr */
  put32(buf + 20, 0);                     /* load_end_addr: whole file */
  put32(buf + 24, 0);                     /* bss_end_addr: none */
  put32(buf + 28, LOAD_ADDR + HEADER_LEN); /* entry */
  /* 32-bit code: esi = message, dx = 0x3f8; loop { lodsb; test al,al; jz done; out dx,al }
   * done: mov dx,0xf4; xor al,al; out dx,al; hlt; jmp $ */
  static const uint8_t code[] = {
      0xBE, 0, 0, 0, 0,       /* mov esi, imm32 (patched) */
      0x66, 0xBA, 0xF8, 0x03, /* mov dx, 0x3f8 */
      0xAC,                   /* lodsb */
      0x84, 0xC0,             /* test al, al */
      0x74, 0x03,             /* jz +3 */
      0xEE,                   /* out dx, al */
      0xEB, 0xF8,             /* jmp lodsb */
      0x66, 0xBA, 0xF4, 0x00, /* mov dx, 0xf4 */
      0x30, 0xC0,             /* xor al, al */
      0xEE,                   /* out dx, al */
      0xF4,                   /* hlt */
      0xEB, 0xFD,             /* jmp hlt */
  };
  uint8_t *p = buf + HEADER_LEN;
  memcpy(p, code, sizeof code);
  size_t msg_off = HEADER_LEN + sizeof code;
  put32(p + 1, LOAD_ADDR + (uint32_t)msg_off);
  memcpy(buf + msg_off, PROBE_IMAGE_TEXT "\n", sizeof PROBE_IMAGE_TEXT + 1);
  return msg_off + sizeof PROBE_IMAGE_TEXT + 1;
}
