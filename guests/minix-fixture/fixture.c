/* The MINIX 3.4 console *fixture*: a freestanding i386 multiboot kernel that
 * prints the console sequence of shared/minix/console-reference.md at a
 * realistic pace, with functions named like the MINIX kernel's boot phases,
 * and answers a minimal login shell on COM1. It is not MINIX and measures
 * nothing about MINIX; it exists so the profiler can be tested end to end.
 *
 * Kernel command line (multiboot): console=tty00 sends the console to COM1
 * (otherwise it goes to VGA, as MINIX does); fixture=panic panics after the
 * banner; fixture=hang goes silent during /etc/rc; fixture=exit powers off at
 * the login prompt; fixture=flood prints 3 MB of lines after VFS starts; fixture=slow
 * makes every pause 20 times longer; fixture=html prints markup after the banner (guest output is
 * attacker-controlled: the dashboard must show it as text). Booted without bootcd=1 and with an installed fixture
 * disk (see setup.c, disk.c) it reads its command line from that disk's
 * /boot.cfg, as MINIX's boot loader would, and boots as the installed system. */
#include "fixture.h"

struct multiboot_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static const char *cmdline = "";
static char disk_cmdline[512], bootcfg[BOOTCFG_MAX];
static int disk_boot;

int has_arg(const char *arg) {
  for (const char *p = cmdline; *p; p++) {
    if (p != cmdline && p[-1] != ' ')
      continue;
    const char *a = arg, *q = p;
    while (*a && *q == *a)
      a++, q++;
    if (!*a && (*q == ' ' || *q == '\0' || *q == '\n'))
      return 1;
  }
  return 0;
}

/* The arguments after the kernel path of the first menu= line, after the loader's own. */
static void cmdline_from_disk(void) {
  if (disk_read_bootcfg(bootcfg) < 0)
    return;
  const char *p = bootcfg;
  while (*p && !starts_with(p, "menu="))
    while (*p && *p++ != '\n')
      ;
  while (*p && *p != '\n' && !starts_with(p, "multiboot "))
    p++;
  if (!starts_with(p, "multiboot "))
    return;
  p += str_len("multiboot ");
  while (*p && *p != ' ' && *p != '\n')
    p++;
  size_t n = str_len(cmdline);
  if (n > sizeof disk_cmdline / 2)
    n = sizeof disk_cmdline / 2;
  mem_copy(disk_cmdline, cmdline, n);
  while (*p && *p != '\n' && n < sizeof disk_cmdline - 1)
    disk_cmdline[n++] = *p++;
  disk_cmdline[n] = '\0';
  cmdline = disk_cmdline;
  disk_boot = 1;
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

static void boot_cd(void) {
  line("Looking for boot CD. This may take a minute.", 5);
  line("Please ignore any error messages.", 20);
  line("Trying /dev/c0d0   Not found.", 25);
  line("Trying /dev/c0d2   Found.", 15);
  line("Root device name is /dev/c0d2", 20);
  line("Creating ramdisks: /var /tmp /usr/run /root", 40);
}

static void boot_disk(void) {
  line("Root device name is /dev/c0d0p0s0", 20);
  puts_console("(fixture: boot number ");
  put_uint(disk_count_boot());
  line(" of this installed fixture disk)", 5);
}

/* Userspace, as far as the fixture goes: servers, the boot ramdisk, /etc/rc. */
/* fixture=flood: 3 MB of console at full speed, for the daemon's log cap. */
static void flood(void) {
  for (uint32_t i = 0; i < 40000; i++) {
    puts_console("fixture=flood: ");
    put_uint(i);
    line(" ................................................................", 0);
  }
}

static void userland(void) {
  line("Started VFS: 9 worker thread(s)", 30);
  if (has_arg("fixture=flood"))
    flood();
  if (disk_boot)
    boot_disk();
  else
    boot_cd();
  line("Multiuser startup in progress ...", 30);
  if (has_arg("fixture=hang"))
    halt_forever();
  line("Starting hotplugging infrastructure... done.", 25);
  line("Starting services: random .", 20);
  line("Starting daemons: update cron.", 15);
  line("", 0);
  if (!disk_boot)
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
  if (has_arg("fixture=html"))
    line("<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
         "<b>bold?</b>",
         1);
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
#ifndef FIXTURE_EXTRA_WORK
#define FIXTURE_EXTRA_WORK 0
#endif
/* The virtual clock's sensitivity test builds the fixture with FIXTURE_EXTRA_WORK=N: proc_init
 * then executes exactly 2N more instructions (N turns of dec, jnz). Both builds have the same
 * code, byte for byte, but for this immediate, so no other function moves or changes. */
static inline void extra_work(void) {
  __asm__ volatile("mov %0, %%ecx\n\tjecxz 2f\n1:\tdec %%ecx\n\tjnz 1b\n2:"
                   :
                   : "i"(FIXTURE_EXTRA_WORK)
                   : "ecx", "cc");
}

NOINLINE void proc_init(void) {
  extra_work();
  delay_ms(4);
}
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
  if (!has_arg("bootcd=1") && disk_installed())
    cmdline_from_disk();
  serial_console = has_arg("console=tty00");
  serial_init();
  if (has_arg("fixture=slow"))
    pause_scale = 20;
  if (has_arg("fixture=timestamps"))
    guest_clock_start();
  delay_ms(5);
  kmain();
}
