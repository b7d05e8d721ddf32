/* Just enough ATA (primary master, PIO, LBA28, polled) for the MINIX fixture
 * to "install" itself onto a disk and find that installation again. */
#include "fixture.h"

#define ATA 0x1F0
#define ST_BSY 0x80
#define ST_DRQ 0x08
#define ST_ERR 0x01

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint16_t inw(uint16_t port) {
  uint16_t v;
  __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static int wait_ready(int want_drq) {
  for (uint32_t spins = 0; spins < 10000000u; spins++) {
    uint8_t st = inb(ATA + 7);
    if (st == 0xFF)
      return -1; /* floating bus: no controller */
    if (st & ST_BSY)
      continue;
    if (st & ST_ERR)
      return -1;
    if (!want_drq || (st & ST_DRQ))
      return 0;
  }
  return -1;
}

static void select_lba(uint32_t lba, uint8_t cmd) {
  outb(ATA + 6, (uint8_t)(0xE0 | ((lba >> 24) & 0x0F)));
  outb(ATA + 2, 1);
  outb(ATA + 3, (uint8_t)lba);
  outb(ATA + 4, (uint8_t)(lba >> 8));
  outb(ATA + 5, (uint8_t)(lba >> 16));
  outb(ATA + 7, cmd);
}

uint32_t ata_identify(void) {
  outb(ATA + 6, 0xA0);
  for (int i = 2; i <= 5; i++)
    outb((uint16_t)(ATA + i), 0);
  outb(ATA + 7, 0xEC);
  if (inb(ATA + 7) == 0 || wait_ready(0) < 0)
    return 0;
  if (inb(ATA + 4) || inb(ATA + 5))
    return 0; /* ATAPI (a CD-ROM), not a disk */
  if (wait_ready(1) < 0)
    return 0;
  uint16_t id[256];
  for (int i = 0; i < 256; i++)
    id[i] = inw(ATA);
  return (uint32_t)id[60] | ((uint32_t)id[61] << 16);
}

int ata_read(uint32_t lba, void *buf) {
  select_lba(lba, 0x20);
  if (wait_ready(1) < 0)
    return -1;
  uint16_t *w = buf;
  for (int i = 0; i < 256; i++)
    w[i] = inw(ATA);
  return 0;
}

int ata_write(uint32_t lba, const void *buf) {
  select_lba(lba, 0x30);
  if (wait_ready(1) < 0)
    return -1;
  const uint16_t *w = buf;
  for (int i = 0; i < 256; i++)
    outw(ATA, w[i]);
  /* QEMU ignores a command written while the drive is busy: wait for the write first. */
  if (wait_ready(0) < 0)
    return -1;
  outb(ATA + 7, 0xE7); /* cache flush: the data is on the image before poweroff */
  return wait_ready(0);
}
