#include "lib/launch_plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

int launch_paths_init(struct launch_paths *p, const char *state_dir, const char *run_id,
                      const struct boot_spec *spec) {
  *p = (struct launch_paths){0};
  p->serial_log = util_strdupf("%s/runs/%s.serial", state_dir, run_id);
  p->qmp = util_strdupf("%s/sock/%s.qmp", state_dir, run_id);
  /* The virtual clock's console is a FIFO (core/supervisor.h, serial_fifo). */
  p->serial = util_strdupf(bootspec_virtual_clock(spec) ? "%s/sock/%s.con" : "%s/sock/%s.ser",
                           state_dir, run_id);
  p->gdb = util_strdupf("%s/sock/%s.gdb", state_dir, run_id);
  /* Disk runs boot a fresh overlay: the image the user gave is never written. Installs write it. */
  bool overlay = spec->disk && !spec->disk_direct;
  if (overlay)
    p->overlay = util_strdupf("%s/overlays/%s.qcow2", state_dir, run_id);
  if (spec->trap_counts)
    p->int_fifo = util_strdupf("%s/sock/%s.int", state_dir, run_id);
  if (bootspec_virtual_clock(spec))
    p->vclock = util_strdupf("%s/sock/%s.vclock", state_dir, run_id);
  if (!p->serial_log || !p->qmp || !p->serial || !p->gdb || (overlay && !p->overlay) ||
      (spec->trap_counts && !p->int_fifo) || (bootspec_virtual_clock(spec) && !p->vclock)) {
    launch_paths_clear(p);
    return -ENOMEM;
  }
  return 0;
}

void launch_paths_clear(struct launch_paths *p) {
  if (!p)
    return;
  free(p->serial_log);
  free(p->qmp);
  free(p->serial);
  free(p->gdb);
  free(p->overlay);
  free(p->int_fifo);
  free(p->vclock);
  *p = (struct launch_paths){0};
}

static bool is_x86(const char *arch) {
  return strcmp(arch, "i386") == 0 || strcmp(arch, "x86_64") == 0;
}

int launch_plan_init(struct launch_plan *p, const struct boot_spec *s, const struct accel_host *kvm,
                     const struct launch_paths *paths) {
  *p = (struct launch_plan){0};
  const char *tcg_because =
      s->trap_counts              ? "trap counts read QEMU's interrupt log, written only under TCG"
      : bootspec_virtual_clock(s) ? "the virtual clock counts the instructions TCG executes"
                                  : NULL;
  p->accel = accel_choose(kvm, s->arch, s->accel, tcg_because, &p->accel_note);
  if (!p->accel)
    return -ENOMEM;
  bool on_kvm = strcmp(p->accel, "kvm") == 0;
  p->timeout_ms = (unsigned)(s->duration_s ? s->duration_s : s->timeout_s) * 1000u;
  p->silence_ms = (unsigned)s->silence_timeout_s * 1000u;
  /* A KVM that hangs a guest leaves QEMU "running" and the console silent: say so, not
   * boot_timeout. */
  p->stall_ms = on_kvm ? (unsigned)s->accel_stall_s * 1000u : 0;
  p->sample_ms = (unsigned)s->memory_sample_ms;
  /* "info mem" walks x86 page tables; under KVM the answer would cost a vCPU exit each time. */
  p->info_mem = s->memory_sample_ms && !on_kvm && is_x86(s->arch);
  p->gdb_path = s->symbols ? paths->gdb : NULL;
  return 0;
}

int launch_plan_argv(struct launch_plan *p, const struct boot_spec *spec,
                     const struct launch_paths *paths) {
  /* A shallow copy that names the run's overlay and FIFO: the spec stays as the request made it. */
  struct boot_spec s = *spec;
  s.overlay = paths->overlay;
  s.int_log = paths->int_fifo;
  s.vclock_files = paths->vclock;
  struct qemu_sockets socks = {paths->qmp, paths->serial, p->gdb_path,
                               bootspec_virtual_clock(spec)};
  qemu_cmd_clear(&p->cmd);
  return qemu_cmd_build(&p->cmd, &s, p->accel, &socks);
}

void launch_plan_clear(struct launch_plan *p) {
  if (!p)
    return;
  free(p->accel_note);
  qemu_cmd_clear(&p->cmd);
  *p = (struct launch_plan){0};
}
