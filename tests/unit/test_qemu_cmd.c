/* QEMU argv building. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/qemu_cmd.h"
#include "lib/vclock.h"
#include "test_util.h"

static int index_of(const struct qemu_cmd *c, const char *arg) {
  for (size_t i = 0; i < c->argc; i++)
    if (strcmp(c->argv[i], arg) == 0)
      return (int)i;
  return -1;
}

static const char *after(const struct qemu_cmd *c, const char *flag) {
  int i = index_of(c, flag);
  assert_true(i >= 0 && (size_t)i + 1 < c->argc);
  return c->argv[i + 1];
}

static void kernel_boot_is_paused_and_plumbed(void **state) {
  (void)state;
  char *initrd[] = {(char *)"/m/a", (char *)"/m/b", NULL};
  struct boot_spec s = {.arch = (char *)"i386",
                        .cpus = 4,
                        .memory_mb = 512,
                        .kernel = (char *)"/k/kernel",
                        .initrd = initrd,
                        .n_initrd = 2,
                        .append = (char *)"console=tty00 x=1"};
  struct qemu_sockets socks = {"/run/ma/q,1.qmp", "/run/ma/s.ser", NULL, false};
  struct qemu_cmd c;
  assert_int_equal(qemu_cmd_build(&c, &s, "tcg", &socks), 0);
  assert_string_equal(c.argv[0], "qemu-system-i386");
  assert_true(index_of(&c, "-S") > 0);
  assert_true(index_of(&c, "-no-reboot") > 0);
  assert_string_equal(after(&c, "-qmp"), "unix:/run/ma/q,,1.qmp,server=on,wait=off");
  assert_string_equal(after(&c, "-chardev"),
                      "socket,id=ser0,path=/run/ma/s.ser,server=on,wait=off");
  assert_string_equal(after(&c, "-accel"), "tcg");
  assert_int_equal(index_of(&c, "host"), -1);
  assert_string_equal(after(&c, "-smp"), "4");
  assert_string_equal(after(&c, "-m"), "512");
  assert_string_equal(after(&c, "-initrd"), "/m/a,/m/b");
  assert_string_equal(after(&c, "-append"), "console=tty00 x=1"); /* one argv entry: no shell */
  assert_int_equal(index_of(&c, "-gdb"), -1);
  assert_null(c.argv[c.argc]);
  qemu_cmd_clear(&c);
  /* Breakpoints wanted: the gdbstub listens on its own unix socket, never on TCP. */
  socks.gdb_path = "/run/ma/g,1.gdb";
  assert_int_equal(qemu_cmd_build(&c, &s, "tcg", &socks), 0);
  assert_string_equal(after(&c, "-gdb"), "chardev:gdb0");
  assert_string_equal(c.argv[index_of(&c, "-gdb") - 1],
                      "socket,id=gdb0,path=/run/ma/g,,1.gdb,server=on,wait=off");
  qemu_cmd_clear(&c);
  /* Validated specs carry the emulator found in --qemu-dir: that path runs, not a name looked up in
   * $PATH. */
  s.qemu = (char *)"/opt/qemu/bin/qemu-system-i386";
  assert_int_equal(qemu_cmd_build(&c, &s, "tcg", &socks), 0);
  assert_string_equal(c.argv[0], "/opt/qemu/bin/qemu-system-i386");
  qemu_cmd_clear(&c);
}

/* clock virtual: the console copied to a log the plugin watches, -icount at the spec's shift, a
 * fixed RTC, and the plugin with its files and the breakpoints' addresses; commas doubled. */
static void the_virtual_clock_counts_under_icount(void **state) {
  (void)state;
  uint64_t addrs[] = {0x100390, 0xffffffff80001000u};
  struct boot_spec s = {.arch = (char *)"x86_64",
                        .cpus = 2,
                        .memory_mb = 256,
                        .kernel = (char *)"/k/kernel",
                        .clock = (char *)"virtual",
                        .icount_shift = 3,
                        .vclock_plugin = (char *)"/opt/ma/v,c.so",
                        .vclock_files = (char *)"/st/sock/r1,x.vclock",
                        .n_breakpoints = 2,
                        .bp_addrs = addrs};
  struct qemu_sockets socks = {"/st/sock/r1.qmp", "/st/sock/r1.con", NULL, true};
  struct qemu_cmd c;
  assert_int_equal(qemu_cmd_build(&c, &s, "tcg", &socks), 0);
  /* The console a FIFO QEMU writes (a full socket would make the guest wait on the host). */
  assert_string_equal(after(&c, "-chardev"),
                      "file,id=ser0,path=/st/sock/r1.con,logfile=/st/sock/r1,,x.vclock.console");
  assert_string_equal(after(&c, "-icount"), "shift=3,sleep=off");
  assert_string_equal(after(&c, "-rtc"), "base=2020-01-01T00:00:00,clock=vm");
  assert_string_equal(
      after(&c, "-plugin"),
      "/opt/ma/v,,c.so,counts=/st/sock/r1,,x.vclock.counts,hits=/st/sock/r1,,x.vclock."
      "hits,log=/st/sock/r1,,x.vclock.console,max=4194304,addr=0x100390,addr=0xffffffff80001000");
  qemu_cmd_clear(&c);
  /* The host clock: none of it. */
  s.clock = (char *)"host";
  s.vclock_files = NULL;
  socks.serial_fifo = false;
  assert_int_equal(qemu_cmd_build(&c, &s, "tcg", &socks), 0);
  assert_int_equal(index_of(&c, "-icount"), -1);
  assert_int_equal(index_of(&c, "-plugin"), -1);
  assert_int_equal(index_of(&c, "-rtc"), -1);
  qemu_cmd_clear(&c);
}

/* The plugin's files as lib/vclock.c reads them: 8 little-endian bytes per console byte, and the
 * first hit of each address. */
static void the_virtual_clock_reads_what_the_plugin_wrote(void **state) {
  (void)state;
  char dir[] = "/tmp/ma-vclock-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s/run", dir);
  char *counts = vclock_file(prefix, VCLOCK_COUNTS), *hits = vclock_file(prefix, VCLOCK_HITS);
  FILE *f = fopen(counts, "wb");
  uint64_t values[] = {5, 5, 1234567890123ull};
  for (size_t i = 0; i < 3; i++)
    for (int k = 0; k < 8; k++)
      fputc((int)(values[i] >> (8 * k) & 0xff), f);
  fclose(f);
  f = fopen(hits, "w");
  fputs("0x100390 77\n0x100390 99\n0x1003a0 12\nend 4000\n", f);
  fclose(f);
  assert_int_equal(vclock_counted_bytes(prefix), 3);
  assert_int_equal(vclock_byte_count(prefix, 0), 5);
  assert_int_equal(vclock_byte_count(prefix, 2), 1234567890123ll);
  assert_int_equal(vclock_byte_count(prefix, 3), -1); /* not noted: not observed */
  assert_int_equal(vclock_byte_count(prefix, -1), -1);
  uint64_t addrs[] = {0x100390, 0x1003a0, 0x2000};
  int64_t got[3], total;
  assert_int_equal(vclock_hits(prefix, addrs, 3, got, &total), 0);
  assert_int_equal(got[0], 77);
  assert_int_equal(got[1], 12);
  assert_int_equal(got[2], -1);
  assert_int_equal(total, 4000);
  vclock_remove(prefix);
  assert_int_equal(access(counts, F_OK), -1);
  assert_int_equal(vclock_hits(prefix, addrs, 3, got, NULL), -ENOENT);
  assert_int_equal(got[0], -1);
  free(counts);
  free(hits);
  rmdir(dir);
}

static void kvm_disk_and_arm(void **state) {
  (void)state;
  struct boot_spec s = {.arch = (char *)"x86_64",
                        .cpus = 1,
                        .memory_mb = 256,
                        .disk = (char *)"/d/a,b.qcow2",
                        .overlay = (char *)"/o/r,1.qcow2"};
  struct qemu_sockets socks = {"/q", "/s", NULL, false};
  struct qemu_cmd c;
  assert_int_equal(qemu_cmd_build(&c, &s, "kvm", &socks), 0);
  assert_string_equal(after(&c, "-accel"), "kvm");
  assert_string_equal(after(&c, "-cpu"), "host");
  /* The overlay, never the user's disk; the BIOS boots it. */
  assert_string_equal(after(&c, "-drive"),
                      "file=/o/r,,1.qcow2,format=qcow2,if=ide,index=0,media=disk");
  assert_string_equal(after(&c, "-boot"), "c");
  qemu_cmd_clear(&c);
  /* Without an overlay (no daemon made one) a raw disk is only ever a snapshot; a kernel boots, the
   * disk is data. */
  char raw[4096];
  snprintf(raw, sizeof raw, "%s/tests/data/minix-3.4-synthetic.serial", getenv("MA_SOURCE_ROOT"));
  struct boot_spec k = {
      .arch = (char *)"i386", .cpus = 1, .memory_mb = 256, .kernel = (char *)"/k", .disk = raw};
  assert_int_equal(qemu_cmd_build(&c, &k, "tcg", &socks), 0);
  char want[4200];
  snprintf(want, sizeof want, "file=%s,format=raw,if=ide,index=0,media=disk,snapshot=on", raw);
  assert_string_equal(after(&c, "-drive"), want);
  assert_int_equal(index_of(&c, "-boot"), -1);
  qemu_cmd_clear(&c);
  struct boot_spec arm = {
      .arch = (char *)"aarch64", .cpus = 2, .memory_mb = 256, .iso = (char *)"/i.iso"};
  assert_int_equal(qemu_cmd_build(&c, &arm, "tcg", &socks), 0);
  assert_string_equal(c.argv[0], "qemu-system-aarch64");
  assert_string_equal(after(&c, "-M"), "virt");
  assert_string_equal(after(&c, "-cpu"), "cortex-a57");
  assert_string_equal(after(&c, "-cdrom"), "/i.iso");
  assert_int_equal(index_of(&c, "isa-debug-exit,iobase=0xf4,iosize=4"), -1);
  qemu_cmd_clear(&c);
}

/* Real MINIX 3.4 writes nothing to COM1 without a VGA adapter (-nodefaults has none): a PC guest
 * gets a headless one when its profile asks (minix-3.4 does, linux does not); -M virt guests never.
 */
static void a_headless_vga_where_the_profile_asks(void **state) {
  (void)state;
  struct qemu_sockets socks = {"/q", "/s", NULL, false};
  const char *arches[] = {"i386", "x86_64", "arm", "i386"};
  const bool vga[] = {true, true, true, false};
  for (size_t i = 0; i < 4; i++) {
    struct boot_spec s = {.arch = (char *)arches[i],
                          .cpus = 1,
                          .memory_mb = 256,
                          .kernel = (char *)"/k",
                          .vga = vga[i]};
    struct qemu_cmd c;
    assert_int_equal(qemu_cmd_build(&c, &s, "tcg", &socks), 0);
    assert_true(index_of(&c, "-nodefaults") > 0);
    assert_string_equal(after(&c, "-display"), "none");
    if (i < 2)
      assert_string_equal(after(&c, "-vga"), "std");
    else
      assert_int_equal(index_of(&c, "-vga"), -1);
    qemu_cmd_clear(&c);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kernel_boot_is_paused_and_plumbed),
      cmocka_unit_test(the_virtual_clock_counts_under_icount),
      cmocka_unit_test(the_virtual_clock_reads_what_the_plugin_wrote),
      cmocka_unit_test(kvm_disk_and_arm),
      cmocka_unit_test(a_headless_vga_where_the_profile_asks),
  };
  return cmocka_run_group_tests_name("qemu_cmd", tests, NULL, NULL);
}
