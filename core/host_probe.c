#include "core/host_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/supervisor.h"
#include "lib/probe_image.h"
#include "lib/qemu_cmd.h"

/* A guest that works is done in well under a second even on a loaded host; one that hangs costs
 * start-up this. */
#define PROBE_DEADLINE_S 5

struct probe;

struct mode_probe {
  struct probe *p;
  enum probe_mode mode;
  struct probe_progress progress;
  struct supervisor *sup;
  int64_t spawn_us, passed_us;
  char *image_path, *qmp_path, *serial_path;
};

struct probe {
  uv_loop_t *loop;
  struct host_info *info;
  host_probe_cb cb;
  void *userdata;
  int pending;
  uv_process_t version_proc;
  uv_pipe_t version_out;
  char version[256];
  size_t version_len;
  struct mode_probe modes[PROBE_N_MODES];
};

static void probe_step_done(struct probe *p) {
  if (--p->pending > 0)
    return;
  for (int m = 0; m < PROBE_N_MODES; m++) {
    /* QEMU leaves its listening sockets behind: the probe's files go with it. */
    char *files[] = {p->modes[m].image_path, p->modes[m].qmp_path, p->modes[m].serial_path};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
      if (files[i])
        unlink(files[i]);
      free(files[i]);
    }
  }
  host_probe_cb cb = p->cb;
  void *userdata = p->userdata;
  free(p);
  cb(userdata);
}

static void on_version_closed(uv_handle_t *h) { probe_step_done(h->data); }

static void on_version_exit(uv_process_t *proc, int64_t status, int sig) {
  (void)status;
  (void)sig;
  uv_close((uv_handle_t *)proc, on_version_closed);
}

static void on_version_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf) {
  struct probe *p = h->data;
  (void)size;
  *buf =
      uv_buf_init(p->version + p->version_len, (unsigned)(sizeof p->version - 1 - p->version_len));
}

static void on_version_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct probe *p = st->data;
  (void)buf;
  if (n > 0)
    p->version_len += (size_t)n;
  if (n < 0 || p->version_len >= sizeof p->version - 1) {
    p->version[p->version_len] = '\0';
    char *nl = strchr(p->version, '\n');
    if (nl)
      *nl = '\0';
    p->info->qemu_version = strdup(p->version_len ? p->version : "unknown");
    uv_close((uv_handle_t *)st, on_version_closed);
  }
}

static void start_version(struct probe *p) {
  const char *qemu = p->info->qemu.path[QEMU_X86_64];
  char *argv[] = {(char *)qemu, (char *)"--version", NULL};
  uv_pipe_init(p->loop, &p->version_out, 0);
  p->version_out.data = p->version_proc.data = p;
  uv_stdio_container_t stdio[3] = {
      {.flags = UV_IGNORE},
      {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->version_out},
      {.flags = UV_IGNORE}};
  uv_process_options_t opt = {
      .exit_cb = on_version_exit, .file = qemu, .args = argv, .stdio_count = 3, .stdio = stdio};
  p->pending += 2;
  if (!qemu || uv_spawn(p->loop, &p->version_proc, &opt) < 0) {
    p->info->qemu_version = util_strdupf("not installed in %s", p->info->qemu.dir);
    if (qemu) /* a failed uv_spawn still initialises the handle */
      uv_close((uv_handle_t *)&p->version_proc, on_version_closed);
    else
      p->pending--;
    uv_close((uv_handle_t *)&p->version_out, on_version_closed);
    return;
  }
  uv_read_start((uv_stream_t *)&p->version_out, on_version_alloc, on_version_read);
}

static void mode_started(void *ud, int64_t t0, int64_t qemu_start) {
  (void)ud;
  (void)t0;
  (void)qemu_start;
}

static void mode_serial(void *ud, const char *buf, size_t len, int64_t stamp) {
  struct mode_probe *mp = ud;
  bool before = probe_progress_passed(&mp->progress);
  probe_progress_feed(&mp->progress, buf, len);
  if (!before && probe_progress_passed(&mp->progress)) {
    mp->passed_us = stamp;
    supervisor_quit(
        mp->sup); /* it exits by itself through isa-debug-exit; this is in case it cannot */
  }
}

static void mode_ended(void *ud, const struct supervisor_end *end) {
  struct mode_probe *mp = ud;
  struct accel_host *kvm = &mp->p->info->kvm;
  mp->sup = NULL;
  if (probe_progress_passed(&mp->progress)) {
    int64_t ms = (mp->passed_us - mp->spawn_us) / 1000;
    _cleanup_(util_freep) char *stages = probe_progress_stages(&mp->progress);
    _cleanup_(util_freep) char *reason =
        util_strdupf("passed in %lld ms (%s)", (long long)ms, stages);
    accel_host_set_probe(kvm, mp->mode, ACCEL_PROBE_PASSED, reason, ms);
  } else {
    struct probe_end pe = {.started = end->started,
                           .timed_out = end->reason == SUP_TIMEOUT,
                           .deadline_s = PROBE_DEADLINE_S,
                           .exit_code = end->term_signal ? -1 : end->exit_code,
                           .detail = end->detail,
                           .qemu_err = end->qemu_err};
    _cleanup_(util_freep) char *reason = probe_progress_failure(&mp->progress, &pe);
    accel_host_set_probe(kvm, mp->mode, ACCEL_PROBE_FAILED, reason,
                         (util_mono_us() - mp->spawn_us) / 1000);
  }
  probe_step_done(mp->p);
}

static int write_image(const char *path, const uint8_t *image, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return -errno;
  size_t w = fwrite(image, 1, len, f);
  return fclose(f) == 0 && w == len ? 0 : -EIO;
}

/* Boots mode m's guest under KVM; records why not when it cannot even start it. */
static void start_mode(struct probe *p, enum probe_mode m, const char *state_dir) {
  struct mode_probe *mp = &p->modes[m];
  struct accel_host *kvm = &p->info->kvm;
  const char *name = probe_mode_name(m);
  const char *qemu = p->info->qemu.path[qemu_bins_for_arch(name)];
  size_t len = 0;
  const uint8_t *image = probe_image(m, &len);
  *mp = (struct mode_probe){.p = p, .mode = m};
  probe_progress_init(&mp->progress, m);
  if (!image || !qemu) {
    _cleanup_(util_freep) char *why =
        !image ? strdup("this build has no probe guest for it (built on a non-x86 host)")
               : util_strdupf("%s is not installed in %s",
                              qemu_bins_name((enum qemu_bin)qemu_bins_for_arch(name)),
                              p->info->qemu.dir);
    accel_host_set_probe(kvm, m, ACCEL_PROBE_NOT_RUN, why, -1);
    return;
  }
  mp->image_path = util_strdupf("%s/kvm-probe-%s.bin", state_dir, name);
  mp->qmp_path = util_strdupf("%s/kvm-probe-%s.qmp", state_dir, name);
  mp->serial_path = util_strdupf("%s/kvm-probe-%s.ser", state_dir, name);
  struct boot_spec spec = {.arch = (char *)name,
                           .cpus = 1,
                           .memory_mb = 16,
                           .kernel = mp->image_path,
                           .qemu = (char *)qemu};
  struct qemu_sockets socks = {mp->qmp_path, mp->serial_path, NULL, false};
  struct qemu_cmd cmd = {0};
  int r = mp->serial_path ? write_image(mp->image_path, image, len) : -ENOMEM;
  if (r == 0)
    r = qemu_cmd_build(&cmd, &spec, "kvm", &socks);
  struct supervisor_config cfg = {.argv = cmd.argv,
                                  .qmp_path = mp->qmp_path,
                                  .serial_path = mp->serial_path,
                                  .timeout_ms = PROBE_DEADLINE_S * 1000};
  static const struct supervisor_callbacks cb = {
      .started = mode_started, .serial = mode_serial, .ended = mode_ended};
  mp->spawn_us = util_mono_us();
  if (r == 0 && (r = supervisor_start(p->loop, &cfg, &cb, mp, &mp->sup)) == 0)
    p->pending++;
  qemu_cmd_clear(&cmd);
  if (r < 0) {
    _cleanup_(util_freep) char *why = util_strdupf("could not start: %s", strerror(-r));
    accel_host_set_probe(kvm, m, ACCEL_PROBE_FAILED, why, -1);
  }
}

static bool kvm_device_opens(const char *device, struct accel_host *kvm) {
  int fd = open(device, O_RDWR | O_CLOEXEC);
  _cleanup_(util_freep) char *why =
      fd < 0 ? util_strdupf("cannot open %s: %s", device, strerror(errno))
             : util_strdupf("%s opens", device);
  if (fd >= 0)
    close(fd);
  accel_host_set_device(kvm, fd >= 0, why);
  return fd >= 0;
}

int host_probe_start(uv_loop_t *loop, const struct host_probe_opts *opt, struct host_info *info,
                     host_probe_cb cb, void *userdata) {
  accel_host_init(&info->kvm);
  struct probe *p = calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  *p = (struct probe){.loop = loop, .info = info, .cb = cb, .userdata = userdata, .pending = 1};
  start_version(p);
  if (opt->skip_kvm)
    accel_host_set_device(&info->kvm, false, "not probed (TCG was asked for)");
  else if (kvm_device_opens(opt->kvm_device ? opt->kvm_device : "/dev/kvm", &info->kvm))
    for (int m = 0; m < PROBE_N_MODES; m++)
      start_mode(p, (enum probe_mode)m, opt->state_dir);
  /* The initial pending count guards against finishing while steps start. */
  probe_step_done(p);
  return 0;
}

void host_info_clear(struct host_info *info) {
  accel_host_clear(&info->kvm);
  qemu_bins_clear(&info->qemu);
  free(info->qemu_version);
  info->qemu_version = NULL;
}
