#include "lib/qemu_cmd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/disk.h"
#include "lib/util.h"
#include "lib/vclock.h"

int qemu_cmd_add(struct qemu_cmd *cmd, const char *arg) {
  if (cmd->argc + 2 > cmd->cap) {
    size_t cap = cmd->cap ? cmd->cap * 2 : 32;
    char **argv = realloc(cmd->argv, cap * sizeof *argv);
    if (!argv)
      return -ENOMEM;
    cmd->argv = argv;
    cmd->cap = cap;
  }
  cmd->argv[cmd->argc] = strdup(arg);
  if (!cmd->argv[cmd->argc])
    return -ENOMEM;
  cmd->argv[++cmd->argc] = NULL;
  return 0;
}

static int add_owned(struct qemu_cmd *cmd, char *arg) {
  int r = arg ? qemu_cmd_add(cmd, arg) : -ENOMEM;
  free(arg);
  return r;
}

static int add_list(struct qemu_cmd *cmd, const char *const *args) {
  for (; *args; args++) {
    int r = qemu_cmd_add(cmd, *args);
    if (r < 0)
      return r;
  }
  return 0;
}

char *qemu_opt_escape(const char *value) {
  size_t extra = 0;
  for (const char *p = value; *p; p++)
    extra += *p == ',';
  char *out = malloc(strlen(value) + extra + 1), *o = out;
  for (const char *p = value; out && *p; p++) {
    *o++ = *p;
    if (*p == ',')
      *o++ = ',';
  }
  if (out)
    *o = '\0';
  return out;
}

static int add_plumbing(struct qemu_cmd *cmd, const struct qemu_sockets *socks,
                        const struct boot_spec *spec) {
  _cleanup_(util_freep) char *qmp = qemu_opt_escape(socks->qmp_path);
  _cleanup_(util_freep) char *ser = qemu_opt_escape(socks->serial_path);
  /* The virtual clock's plugin learns which bytes each OUT wrote from this copy of the console. */
  _cleanup_(util_freep) char *log =
      spec->vclock_files ? vclock_file(spec->vclock_files, VCLOCK_CONSOLE) : NULL;
  _cleanup_(util_freep) char *log_opt = log ? qemu_opt_escape(log) : NULL;
  if (!qmp || !ser || (spec->vclock_files && !log_opt))
    return -ENOMEM;
  /* -S: nothing runs until QMP `cont`, so no console byte is lost before we listen. */
  static const char *const fixed[] = {"-S",       "-nodefaults", "-no-user-config",
                                      "-display", "none",        "-monitor",
                                      "none",     "-no-reboot",  NULL};
  int r = add_list(cmd, fixed);
  if (r == 0)
    r = qemu_cmd_add(cmd, "-qmp");
  if (r == 0)
    r = add_owned(cmd, util_strdupf("unix:%s,server=on,wait=off", qmp));
  if (r == 0)
    r = qemu_cmd_add(cmd, "-chardev");
  if (r == 0)
    r = add_owned(cmd, socks->serial_fifo
                           ? util_strdupf("file,id=ser0,path=%s%s%s", ser,
                                          log_opt ? ",logfile=" : "", log_opt ? log_opt : "")
                           : util_strdupf("socket,id=ser0,path=%s,server=on,wait=off%s%s", ser,
                                          log_opt ? ",logfile=" : "", log_opt ? log_opt : ""));
  if (r == 0)
    r = add_list(cmd, (const char *const[]){"-serial", "chardev:ser0", NULL});
  if (r == 0 && socks->gdb_path) {
    _cleanup_(util_freep) char *gdb = qemu_opt_escape(socks->gdb_path);
    r = gdb ? qemu_cmd_add(cmd, "-chardev") : -ENOMEM;
    if (r == 0)
      r = add_owned(cmd, util_strdupf("socket,id=gdb0,path=%s,server=on,wait=off", gdb));
    if (r == 0)
      r = add_list(cmd, (const char *const[]){"-gdb", "chardev:gdb0", NULL});
  }
  return r;
}

static int add_machine(struct qemu_cmd *cmd, const struct boot_spec *spec, const char *accel) {
  bool kvm = strcmp(accel, "kvm") == 0;
  bool x86 = strcmp(spec->arch, "i386") == 0 || strcmp(spec->arch, "x86_64") == 0;
  int r = add_list(cmd, (const char *const[]){"-accel", kvm ? "kvm" : "tcg", NULL});
  if (r == 0 && kvm)
    r = add_list(cmd, (const char *const[]){"-cpu", "host", NULL});
  if (r == 0 && !x86)
    r = add_list(cmd, (const char *const[]){"-M", "virt", NULL});
  if (r == 0 && strcmp(spec->arch, "aarch64") == 0 && !kvm)
    r = add_list(cmd, (const char *const[]){"-cpu", "cortex-a57", NULL});
  /* A headless (-display none) VGA adapter where the profile asks for one. -nodefaults leaves none,
   * and real MINIX 3.4 then writes 0 bytes to COM1 even with console=tty00 (seen here). By its
   * source, its TTY sizes the VGA consoles from the BIOS data area, which only a VGA BIOS fills in,
   * before it starts the serial lines. Only where needed: its VGA BIOS costs every boot time under
   * TCG (BENCHMARKS.md), and Linux talks on ttyS0 without it. */
  if (r == 0 && x86 && spec->vga)
    r = add_list(cmd, (const char *const[]){"-vga", "std", NULL});
  /* Lets test guests end QEMU with a status of their choice. */
  if (r == 0 && x86)
    r = add_list(cmd,
                 (const char *const[]){"-device", "isa-debug-exit,iobase=0xf4,iosize=4", NULL});
  if (r == 0)
    r = add_list(cmd, (const char *const[]){"-smp", NULL});
  if (r == 0)
    r = add_owned(cmd, util_strdupf("%d", spec->cpus));
  if (r == 0)
    r = qemu_cmd_add(cmd, "-m");
  if (r == 0)
    r = add_owned(cmd, util_strdupf("%d", spec->memory_mb));
  return r;
}

static char *join_initrd(const struct boot_spec *spec) {
  char *out = strdup("");
  for (size_t i = 0; out && i < spec->n_initrd; i++) {
    char *next = util_strdupf("%s%s%s", out, i ? "," : "", spec->initrd[i]);
    free(out);
    out = next;
  }
  return out;
}

static int add_kernel(struct qemu_cmd *cmd, const struct boot_spec *spec) {
  int r = add_list(cmd, (const char *const[]){"-kernel", spec->kernel, NULL});
  if (r == 0 && spec->n_initrd) {
    r = qemu_cmd_add(cmd, "-initrd");
    if (r == 0)
      r = add_owned(cmd, join_initrd(spec));
  }
  if (r == 0 && spec->append)
    r = add_list(cmd, (const char *const[]){"-append", spec->append, NULL});
  if (r == 0 && spec->cdrom)
    r = add_list(cmd, (const char *const[]){"-cdrom", spec->cdrom, NULL});
  return r;
}

/* The guest's disk: the run's overlay, the disk itself for installs, else a throwaway snapshot. */
static int add_disk(struct qemu_cmd *cmd, const struct boot_spec *spec) {
  const char *path = spec->overlay ? spec->overlay : spec->disk;
  const char *format = spec->overlay ? "qcow2" : disk_format(spec->disk);
  _cleanup_(util_freep) char *file = qemu_opt_escape(path);
  if (!file || !format)
    return -ENOMEM;
  bool snapshot = !spec->overlay && !spec->disk_direct;
  int r = qemu_cmd_add(cmd, "-drive");
  if (r == 0)
    r = add_owned(cmd, util_strdupf("file=%s,format=%s,if=ide,index=0,media=disk%s", file, format,
                                    snapshot ? ",snapshot=on" : ""));
  return r;
}

static int add_media(struct qemu_cmd *cmd, const struct boot_spec *spec) {
  int r = 0;
  if (spec->kernel)
    r = add_kernel(cmd, spec);
  else if (spec->iso)
    r = add_list(cmd, (const char *const[]){"-cdrom", spec->iso, "-boot", "d", NULL});
  else
    r = add_list(cmd, (const char *const[]){"-boot", "c", NULL});
  if (r == 0 && spec->disk)
    r = add_disk(cmd, spec);
  return r;
}

int qemu_cmd_build(struct qemu_cmd *cmd, const struct boot_spec *spec, const char *accel,
                   const struct qemu_sockets *socks) {
  memset(cmd, 0, sizeof *cmd);
  /* The path validation resolved in --qemu-dir; a bare name only for specs made without it (unit
   * tests). */
  int bin = qemu_bins_for_arch(spec->arch);
  int r = spec->qemu || bin >= 0
              ? qemu_cmd_add(cmd, spec->qemu ? spec->qemu : qemu_bins_name((enum qemu_bin)bin))
              : -EINVAL;
  if (r == 0)
    r = add_plumbing(cmd, socks, spec);
  if (r == 0 && spec->vclock_files)
    r = vclock_qemu_args(spec, cmd);
  if (r == 0)
    r = add_machine(cmd, spec, accel);
  if (r == 0)
    r = add_media(cmd, spec);
  if (r == 0 && spec->int_log)
    r = add_list(cmd, (const char *const[]){"-d", "int", "-D", spec->int_log, NULL});
  if (r < 0)
    qemu_cmd_clear(cmd);
  return r;
}

void qemu_cmd_clear(struct qemu_cmd *cmd) {
  for (size_t i = 0; i < cmd->argc; i++)
    free(cmd->argv[i]);
  free(cmd->argv);
  memset(cmd, 0, sizeof *cmd);
}
