/* The MINIX 3.4 console *fixture*: a freestanding i386 multiboot kernel that
 * prints the console sequence of shared/minix/console-reference.md at a
 * realistic pace, with functions named like the MINIX kernel's boot phases,
 * and answers a minimal login shell on COM1. It is not MINIX and measures
 * nothing about MINIX; it exists so the profiler can be tested end to end.
 *
 * Kernel command line (multiboot): console=tty00 sends the console to COM1
 * (otherwise it goes to VGA, as MINIX does); fixture=panic panics after the
 * banner; fixture=hang goes silent during /etc/rc; fixture=exit powers off at
 * the login prompt. */
#include <stddef.h>
#include <stdint.h>

#define COM1 0x3F8
#define DEBUG_EXIT 0xF4
#define NOINLINE __attribute__((noinline))

struct multiboot_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static int serial_console;
static volatile uint16_t *const vga = (uint16_t *)0xB8000;
static int vga_pos;
static const char *cmdline = "";

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static void serial_init(void) {
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

static void puts_console(const char *s) {
  for (; *s; s++) {
    if (*s == '\n' && serial_console)
      putc_console('\r');
    putc_console(*s);
  }
}

/* PIT channel 2 in one-shot mode, polled through port 0x61: real time under
 * both TCG and KVM, no interrupts needed. */
static void delay_ms(unsigned ms) {
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

static int has_arg(const char *arg) {
  for (const char *p = cmdline; *p; p++) {
    if (p != cmdline && p[-1] != ' ')
      continue;
    const char *a = arg, *q = p;
    while (*a && *q == *a)
      a++, q++;
    if (!*a && (*q == ' ' || *q == '\0'))
      return 1;
  }
  return 0;
}

static void power_off(uint8_t code) {
  outb(DEBUG_EXIT, code); /* QEMU exits with (code << 1) | 1 */
  for (;;)
    __asm__ volatile("cli; hlt");
}

static void halt_forever(void) {
  for (;;)
    __asm__ volatile("cli; hlt");
}

static void line(const char *s, unsigned pause_ms) {
  puts_console(s);
  puts_console("\n");
  delay_ms(pause_ms);
}

static int read_line(char *buf, int max) {
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

static int streq(const char *a, const char *b) {
  while (*a && *a == *b)
    a++, b++;
  return *a == *b;
}

static void shell(void) {
  char buf[128];
  for (;;) {
    puts_console("# ");
    read_line(buf, sizeof buf);
    if (streq(buf, "poweroff") || streq(buf, "shutdown")) {
      line("MINIX will now be shut down ...", 5);
      power_off(0);
    } else if (buf[0]) {
      puts_console("sh: ");
      puts_console(buf);
      puts_console(": not found (this is the minix-analysis fixture, not MINIX)\n");
    }
  }
}

static void login(void) {
  char buf[64];
  for (;;) {
    puts_console("\nMinix/i386 (minix) (console)\n\nlogin: ");
    if (has_arg("fixture=exit"))
      power_off(0);
    if (!serial_console)
      halt_forever();
    read_line(buf, sizeof buf);
    if (streq(buf, "root"))
      shell();
    line("Login incorrect", 0);
  }
}

/* Userspace, as far as the fixture goes: servers, the boot ramdisk, /etc/rc. */
static void userland(void) {
  line("Started VFS: 9 worker thread(s)", 30);
  line("Looking for boot CD. This may take a minute.", 5);
  line("Please ignore any error messages.", 20);
  line("Trying /dev/c0d0   Not found.", 25);
  line("Trying /dev/c0d2   Found.", 15);
  line("Root device name is /dev/c0d2", 20);
  line("Creating ramdisks: /var /tmp /usr/run /root", 40);
  line("Multiuser startup in progress ...", 30);
  if (has_arg("fixture=hang"))
    halt_forever();
  line("Starting hotplugging infrastructure... done.", 25);
  line("Starting services: random .", 20);
  line("Starting daemons: update cron.", 15);
  line("", 0);
  line("Welcome to MINIX. (this console is the minix-analysis fixture, not MINIX)", 5);
  login();
}

NOINLINE void switch_to_user(void) {
  delay_ms(10);
  userland();
}

NOINLINE void announce(void) {
  line("MINIX 3.4.0. (fixture of minix-analysis, not MINIX)", 1);
  line("Copyright 2016, Vrije Universiteit, Amsterdam, The Netherlands", 1);
  line("MINIX is open source software, see http://www.minix3.org", 5);
}

NOINLINE void bsp_finish_booting(void) {
  announce();
  if (has_arg("fixture=panic")) {
    line("kernel panic: fixture-induced panic (fixture=panic on the command line)", 5);
    halt_forever();
  }
  if (has_arg("verbose=1"))
    line("MINIX booting", 2);
  switch_to_user();
}

NOINLINE void system_init(void) { delay_ms(8); }
NOINLINE void memory_init(void) { delay_ms(6); }
NOINLINE void proc_init(void) { delay_ms(4); }
NOINLINE void cstart(void) { delay_ms(3); }

NOINLINE void kmain(void) {
  cstart();
  proc_init();
  memory_init();
  system_init();
  bsp_finish_booting();
}

NOINLINE void pre_init(uint32_t magic, const struct multiboot_info *mbi) {
  if (magic == 0x2BADB002 && (mbi->flags & 0x4) && mbi->cmdline)
    cmdline = (const char *)(uintptr_t)mbi->cmdline;
  serial_console = has_arg("console=tty00");
  serial_init();
  delay_ms(5);
  kmain();
}
