/* The fixture's "installed system" (not a MINIX file system): sector 0 holds
 * a signature and the list of extracted sets, sectors 1-7 the text of
 * /boot.cfg, sector 8 a boot counter, so the profiler's tests can see that a
 * disk was installed, booted, and written to through an overlay. */
#include "fixture.h"

#define SIGNATURE "MINIX-ANALYSIS-FIXTURE-DISK 1\n"
#define CFG_LBA 1
#define COUNTER_LBA 8

static uint8_t sector[SECTOR];

int disk_installed(void) {
  if (ata_identify() == 0 || ata_read(0, sector) < 0)
    return 0;
  return starts_with((const char *)sector, SIGNATURE);
}

int disk_install(const char *sets) {
  mem_set(sector, 0, SECTOR);
  mem_copy(sector, SIGNATURE, str_len(SIGNATURE));
  size_t n = str_len(sets);
  if (n > SECTOR - str_len(SIGNATURE) - 1)
    n = SECTOR - str_len(SIGNATURE) - 1;
  mem_copy(sector + str_len(SIGNATURE), sets, n);
  if (ata_write(0, sector) < 0)
    return -1;
  mem_set(sector, 0, SECTOR);
  return ata_write(COUNTER_LBA, sector);
}

int disk_read_bootcfg(char *buf) {
  for (uint32_t i = 0; i < BOOTCFG_MAX / SECTOR; i++)
    if (ata_read(CFG_LBA + i, buf + i * SECTOR) < 0)
      return -1;
  buf[BOOTCFG_MAX - 1] = '\0';
  return 0;
}

int disk_write_bootcfg(const char *text) {
  static char buf[BOOTCFG_MAX];
  size_t n = str_len(text);
  if (n >= BOOTCFG_MAX)
    return -1;
  mem_set(buf, 0, sizeof buf);
  mem_copy(buf, text, n);
  for (uint32_t i = 0; i < BOOTCFG_MAX / SECTOR; i++)
    if (ata_write(CFG_LBA + i, buf + i * SECTOR) < 0)
      return -1;
  return 0;
}

uint32_t disk_count_boot(void) {
  if (ata_read(COUNTER_LBA, sector) < 0)
    return 0;
  uint32_t n = (uint32_t)sector[0] | (uint32_t)sector[1] << 8 | (uint32_t)sector[2] << 16 | (uint32_t)sector[3] << 24;
  n++;
  for (int i = 0; i < 4; i++)
    sector[i] = (uint8_t)(n >> (8 * i));
  return ata_write(COUNTER_LBA, sector) < 0 ? 0 : n;
}
