/* The ARM *fixture* of minix-analysis: a freestanding program for
 * qemu-system-arm -M virt that prints a MINIX-like console on the PL011 UART
 * with real-time pauses (the generic timer), answers a login, and powers the
 * machine off through PSCI. It is not MINIX: MINIX's ARM port runs on
 * BeagleBone/BeagleBoard boards, which QEMU does not emulate. It exists so
 * the profiler's arm path (machine, console, markers, exit) is tested. */
#include <stdint.h>

#define UART 0x09000000u
#define UART_DR (*(volatile uint32_t *)(UART + 0x00))
#define UART_FR (*(volatile uint32_t *)(UART + 0x18))
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define PSCI_SYSTEM_OFF 0x84000008u

static void putc_uart(char c) {
  while (UART_FR & FR_TXFF)
    ;
  UART_DR = (uint32_t)(unsigned char)c;
}

static void puts_uart(const char *s) {
  for (; *s; s++) {
    if (*s == '\n')
      putc_uart('\r');
    putc_uart(*s);
  }
}

static uint64_t ticks(void) {
  uint32_t lo, hi;
  __asm__ volatile("isb; mrrc p15, 1, %0, %1, c14" : "=r"(lo), "=r"(hi));
  return (uint64_t)hi << 32 | lo;
}

static void delay_ms(unsigned ms) {
  uint32_t freq;
  __asm__ volatile("mrc p15, 0, %0, c14, c0, 0" : "=r"(freq));
  uint64_t end = ticks() + (uint64_t)freq / 1000u * ms;
  while (ticks() < end)
    ;
}

static void line(const char *s, unsigned pause_ms) {
  puts_uart(s);
  puts_uart("\n");
  delay_ms(pause_ms);
}

static void power_off(void) {
  register uint32_t r0 __asm__("r0") = PSCI_SYSTEM_OFF;
  __asm__ volatile(".arch_extension virt\n\thvc #0" : "+r"(r0));
  for (;;)
    __asm__ volatile("wfi");
}

static int read_line(char *buf, int max) {
  int n = 0;
  for (;;) {
    while (UART_FR & FR_RXFE)
      ;
    char c = (char)(UART_DR & 0xff);
    if (c == '\r' || c == '\n') {
      puts_uart("\n");
      buf[n] = '\0';
      return n;
    }
    if (n < max - 1) {
      buf[n++] = c;
      putc_uart(c);
    }
  }
}

static int streq(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

static void shell(void) {
  char buf[64];
  for (;;) {
    puts_uart("# ");
    read_line(buf, sizeof buf);
    if (streq(buf, "poweroff")) {
      line("MINIX will now be shut down ...", 5);
      power_off();
    } else if (buf[0]) {
      puts_uart("sh: not found (this is the minix-analysis ARM fixture, not MINIX)\n");
    }
  }
}

void fixture_main(void) {
  delay_ms(5);
  line("MINIX 3.4.0. (ARM fixture of minix-analysis on QEMU -M virt, not MINIX/earm)", 1);
  line("Copyright 2016, Vrije Universiteit, Amsterdam, The Netherlands", 1);
  line("MINIX is open source software, see http://www.minix3.org", 20);
  line("Started VFS: 9 worker thread(s)", 30);
  line("Root device name is /dev/c0d0p0s0", 20);
  line("Multiuser startup in progress ...", 30);
  line("Starting services: random .", 20);
  line("Starting daemons: update cron.", 15);
  char buf[64];
  for (;;) {
    puts_uart("\nMinix/earm (minix) (console)\n\nlogin: ");
    read_line(buf, sizeof buf);
    if (streq(buf, "root"))
      shell();
    line("Login incorrect", 0);
  }
}
