#include "daemon/host_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/supervisor.h"
#include "lib/probe_image.h"
#include "lib/qemu_cmd.h"

#define PROBE_TIMEOUT_MS 5000
#define QEMU_X86 "qemu-system-x86_64"

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
  bool kvm_ok;
  char *image_path, *qmp_path, *serial_path;
};

static void probe_step_done(struct probe *p) {
  if (--p->pending > 0)
    return;
  /* QEMU leaves its listening sockets behind: the probe's files go with it. */
  const char *files[] = {p->image_path, p->qmp_path, p->serial_path};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (files[i])
      unlink(files[i]);
  free(p->image_path);
  free(p->qmp_path);
  free(p->serial_path);
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
  *buf = uv_buf_init(p->version + p->version_len, (unsigned)(sizeof p->version - 1 - p->version_len));
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
  char *argv[] = {(char *)QEMU_X86, (char *)"--version", NULL};
  uv_pipe_init(p->loop, &p->version_out, 0);
  p->version_out.data = p->version_proc.data = p;
  uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE},
                                   {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->version_out},
                                   {.flags = UV_IGNORE}};
  uv_process_options_t opt = {.exit_cb = on_version_exit, .file = argv[0], .args = argv, .stdio_count = 3,
                              .stdio = stdio};
  p->pending += 2;
  if (uv_spawn(p->loop, &p->version_proc, &opt) < 0) {
    p->info->qemu_version = strdup("not installed");
    uv_close((uv_handle_t *)&p->version_proc, on_version_closed);
    uv_close((uv_handle_t *)&p->version_out, on_version_closed);
    return;
  }
  uv_read_start((uv_stream_t *)&p->version_out, on_version_alloc, on_version_read);
}

static void kvm_started(void *ud, int64_t t0, int64_t qemu_start) {
  (void)ud;
  (void)t0;
  (void)qemu_start;
}

static void kvm_serial(void *ud, const char *buf, size_t len, int64_t stamp) {
  struct probe *p = ud;
  (void)stamp;
  /* The image prints its text in one burst; memmem on each read is enough. */
  if (!p->kvm_ok && memmem(buf, len, PROBE_IMAGE_TEXT, strlen(PROBE_IMAGE_TEXT)))
    p->kvm_ok = true;
}

static char *first_line(const char *text) {
  const char *nl = strchr(text, '\n');
  return strndup(text, nl ? (size_t)(nl - text) : strlen(text));
}

static void kvm_ended(void *ud, const struct supervisor_end *end) {
  struct probe *p = ud;
  p->info->kvm_usable = p->kvm_ok;
  if (p->kvm_ok) {
    p->info->kvm_reason = strdup("a probe guest booted under KVM and printed on its console");
  } else if (end->qemu_err && end->qemu_err[0]) {
    _cleanup_(util_freep) char *line = first_line(end->qemu_err);
    p->info->kvm_reason = util_strdupf("the KVM probe guest failed: %s", line ? line : "");
  } else {
    p->info->kvm_reason = util_strdupf("the KVM probe guest printed nothing (%s)", end->detail);
  }
  probe_step_done(p);
}

static int write_image(const char *path) {
  uint8_t buf[PROBE_IMAGE_MAX];
  size_t n = probe_image_build(buf);
  FILE *f = fopen(path, "wb");
  if (!f)
    return -errno;
  size_t w = fwrite(buf, 1, n, f);
  return fclose(f) == 0 && w == n ? 0 : -EIO;
}

static int start_kvm(struct probe *p, const char *state_dir) {
  p->image_path = util_strdupf("%s/kvm-probe.bin", state_dir);
  p->qmp_path = util_strdupf("%s/kvm-probe.qmp", state_dir);
  p->serial_path = util_strdupf("%s/kvm-probe.ser", state_dir);
  int r = write_image(p->image_path);
  if (r < 0)
    return r;
  struct boot_spec spec = {.arch = (char *)"x86_64", .cpus = 1, .memory_mb = 16, .kernel = p->image_path};
  struct qemu_sockets socks = {p->qmp_path, p->serial_path, NULL};
  struct qemu_cmd cmd;
  r = qemu_cmd_build(&cmd, &spec, "kvm", &socks);
  if (r < 0)
    return r;
  struct supervisor_config cfg = {
      .argv = cmd.argv, .qmp_path = p->qmp_path, .serial_path = p->serial_path, .timeout_ms = PROBE_TIMEOUT_MS};
  struct supervisor_callbacks cb = {.started = kvm_started, .serial = kvm_serial, .ended = kvm_ended};
  struct supervisor *sup;
  p->pending++;
  r = supervisor_start(p->loop, &cfg, &cb, p, &sup);
  if (r < 0)
    p->pending--;
  qemu_cmd_clear(&cmd);
  return r;
}

static bool kvm_device_usable(struct host_info *info) {
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    info->kvm_reason = util_strdupf("cannot open /dev/kvm: %s", strerror(errno));
    return false;
  }
  close(fd);
  return true;
}

int host_probe_start(uv_loop_t *loop, const char *state_dir, bool skip_kvm, struct host_info *info,
                     host_probe_cb cb, void *userdata) {
  struct probe *p = calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  *p = (struct probe){.loop = loop, .info = info, .cb = cb, .userdata = userdata, .pending = 1};
  start_version(p);
  if (skip_kvm)
    info->kvm_reason = strdup("not probed (TCG was asked for)");
  else if (kvm_device_usable(info) && start_kvm(p, state_dir) < 0 && !info->kvm_reason)
    info->kvm_reason = strdup("could not start the KVM probe guest");
  /* The initial pending count guards against finishing while steps start. */
  probe_step_done(p);
  return 0;
}

void host_info_clear(struct host_info *info) {
  free(info->kvm_reason);
  free(info->qemu_version);
  info->kvm_reason = info->qemu_version = NULL;
}
