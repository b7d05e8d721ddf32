/* Console I/O of the MINIX fixture (not MINIX): COM1 when console=tty00, VGA otherwise. */
#include "fixture.h"

#define COM1 0x3F8
#define DEBUG_EXIT 0xF4

int serial_console;
static int guest_clock_on;
static uint64_t tsc0, tsc_per_ms;
static volatile uint16_t *const vga = (uint16_t *)0xB8000;
static int vga_pos;

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

void serial_init(void) {
  outb(COM1 + 1, 0x00); /* no interrupts */
  outb(COM1 + 3, 0x80); /* DLAB */
  outb(COM1 + 0, 0x01); /* 115200 baud */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03); /* 8N1 */
  outb(COM1 + 2, 0xC7); /* FIFO */
}

static void putc_console(char c) {
  if (serial_console) {
    while (!(inb(COM1 + 5) & 0x20))
      ;
    outb(COM1, (uint8_t)c);
    return;
  }
  if (c == '\n') {
    vga_pos += 80 - vga_pos % 80;
  } else {
    vga[vga_pos++] = (uint16_t)(0x0700 | (uint8_t)c);
  }
  if (vga_pos >= 80 * 25)
    vga_pos = 0;
}

void puts_console(const char *s) {
  for (; *s; s++) {
    if (*s == '\n' && serial_console)
      putc_console('\r');
    putc_console(*s);
  }
}

void put_uint(uint32_t v) {
  char buf[12], *p = buf + sizeof buf - 1;
  *p = '\0';
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  puts_console(p);
}

/* PIT channel 2 in one-shot mode, polled through port 0x61: real time under
 * both TCG and KVM, no interrupts needed. */
void delay_ms(unsigned ms) {
  const uint16_t count = 1193; /* 1.193182 MHz / 1000 */
  while (ms--) {
    uint8_t gate = inb(0x61);
    outb(0x61, (uint8_t)((gate & ~0x03) | 0x00));
    outb(0x43, 0xB0); /* channel 2, lobyte/hibyte, mode 0 */
    outb(0x42, count & 0xFF);
    outb(0x42, count >> 8);
    outb(0x61, (uint8_t)((gate & ~0x02) | 0x01));
    while (!(inb(0x61) & 0x20))
      ;
  }
}

void power_off(uint8_t code) {
  outb(DEBUG_EXIT, code); /* QEMU exits with (code << 1) | 1 */
  halt_forever();
}

void halt_forever(void) {
  for (;;)
    __asm__ volatile("cli; hlt");
}

static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

/* 64-by-32 division without libgcc: the TSC delta fits 64 bits, the divisor 32. */
static uint32_t elapsed_us(void) {
  uint64_t d = (rdtsc() - tsc0) * 1000;
  uint64_t q = 0, r = 0;
  for (int i = 63; i >= 0; i--) {
    r = r << 1 | ((d >> i) & 1);
    if (r >= tsc_per_ms) {
      r -= tsc_per_ms;
      q |= 1ull << i;
    }
  }
  return (uint32_t)q;
}

void guest_clock_start(void) {
  tsc0 = rdtsc();
  delay_ms(20);
  tsc_per_ms = (rdtsc() - tsc0) / 20;
  guest_clock_on = tsc_per_ms > 0;
  /* Run the clock's code once now: under TCG, code runs only after QEMU has translated it, and the
   * first stamped line would otherwise carry that translation between its stamp and its bytes. */
  if (guest_clock_on)
    (void)elapsed_us();
}

unsigned pause_scale = 1;

void line(const char *s, unsigned pause_ms) {
  if (guest_clock_on) {
    puts_console("[@");
    put_uint(elapsed_us());
    puts_console("] ");
  }
  puts_console(s);
  puts_console("\n");
  delay_ms(pause_ms * pause_scale);
}

int read_line(char *buf, int max) {
  int n = 0;
  for (;;) {
    while (!(inb(COM1 + 5) & 0x01))
      ;
    char c = (char)inb(COM1);
    if (c == '\r' || c == '\n') {
      puts_console("\n");
      buf[n] = '\0';
      return n;
    }
    if (n < max - 1) {
      buf[n++] = c;
      putc_console(c);
    }
  }
}

int streq(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

int starts_with(const char *s, const char *prefix) {
  while (*prefix && *s == *prefix)
    s++, prefix++;
  return *prefix == '\0';
}

size_t str_len(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

void mem_set(void *p, int v, size_t n) {
  for (uint8_t *b = p; n--;)
    *b++ = (uint8_t)v;
}

void mem_copy(void *d, const void *s, size_t n) {
  uint8_t *o = d;
  for (const uint8_t *i = s; n--;)
    *o++ = *i++;
}
