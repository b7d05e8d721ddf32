/* QEMU argv building. */
#include <string.h>

#include "lib/qemu_cmd.h"
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
  struct qemu_sockets socks = {"/run/ma/q,1.qmp", "/run/ma/s.ser", NULL};
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

static void kvm_disk_and_arm(void **state) {
  (void)state;
  struct boot_spec s = {.arch = (char *)"x86_64",
                        .cpus = 1,
                        .memory_mb = 256,
                        .disk = (char *)"/d/a,b.qcow2",
                        .overlay = (char *)"/o/r,1.qcow2"};
  struct qemu_sockets socks = {"/q", "/s", NULL};
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
  struct qemu_sockets socks = {"/q", "/s", NULL};
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
      cmocka_unit_test(kvm_disk_and_arm),
      cmocka_unit_test(a_headless_vga_where_the_profile_asks),
  };
  return cmocka_run_group_tests_name("qemu_cmd", tests, NULL, NULL);
}
