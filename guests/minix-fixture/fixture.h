/* Shared by the pieces of the MINIX console *fixture* (not MINIX): console
 * I/O, timing, the ATA disk, the setup dialogue and the shell. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define NOINLINE __attribute__((noinline))
#define SECTOR 512

/* console.c */
extern int serial_console;
void serial_init(void);
void puts_console(const char *s);
void put_uint(uint32_t v);
void line(const char *s, unsigned pause_ms);
/* fixture=slow: every pause after a line is this many times longer (20: a boot of about 5 s, so a
 * watcher sees markers arrive one by one); 1 otherwise. */
extern unsigned pause_scale;
int read_line(char *buf, int max);
void delay_ms(unsigned ms);
/* fixture=timestamps: every line() starts with "[@US] ", the guest's own microseconds since pre_init, from
 * the TSC calibrated against the PIT, so a host stamp can be compared with the guest's clock. */
void guest_clock_start(void);
void power_off(uint8_t code) __attribute__((noreturn));
void halt_forever(void) __attribute__((noreturn));
int streq(const char *a, const char *b);
int starts_with(const char *s, const char *prefix);
size_t str_len(const char *s);
void mem_set(void *p, int v, size_t n);
void mem_copy(void *d, const void *s, size_t n);
/* The kernel command line: from the loader, or from an installed disk's boot.cfg. */
int has_arg(const char *arg);

/* ata.c: primary master, PIO, LBA28; returns 0 or -1. */
uint32_t ata_identify(void); /* size in sectors; 0 when there is no ATA disk */
int ata_read(uint32_t lba, void *buf);
int ata_write(uint32_t lba, const void *buf);

/* disk.c: the fixture's "installed system": a signature, the set list and /boot.cfg in fixed sectors. */
#define BOOTCFG_MAX (7 * SECTOR)
int disk_installed(void);
int disk_install(const char *sets);
int disk_read_bootcfg(char *buf);
int disk_write_bootcfg(const char *text);
uint32_t disk_count_boot(void); /* bumps and returns the boot counter of an installed disk */

/* setup.c: the installer dialogue; returns 0 when it installed. */
int setup(void);
/* trace.c */
int fixture_trace(const char *args);
void fixture_cat_trace(void);
/* shell.c */
void shell(void) __attribute__((noreturn));
