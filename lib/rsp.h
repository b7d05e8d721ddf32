/* The framing of GDB's remote serial protocol ($data#checksum), enough to set
 * breakpoints through QEMU's gdbstub and read where the guest stopped. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

/* "$data#xx" (malloc'd). data must not contain $, # or }. */
char *rsp_packet(const char *data);
/* Takes the next whole packet out of buf (acks and noise before it are skipped): 1 with *out
 * (malloc'd), 0 when none is complete yet, -EPROTO when its checksum is wrong (the packet is
 * dropped). */
int rsp_next(struct util_buf *buf, char **out);
/* The program counter from a 'g' reply: i386 (eip, register 8, 4 bytes) or x86_64 (rip, register
 * 16, 8 bytes); -EINVAL when the reply is too short or not hex. */
int rsp_pc(const char *regs, int bits, uint64_t *pc);
