#include "core/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/gdbstub.h"
#include "core/uv_write.h"
#include "lib/info_mem.h"
#include "lib/qmp.h"
#include "lib/qmp_session.h"
#include "lib/util.h"

#define HELPER_FLAG "--ma-exec-with-pdeathsig"
#define CONNECT_RETRY_MS 5
#define CONNECT_LIMIT_MS 15000
#define QUIT_GRACE_MS 1000
#define DRAIN_MS 500
#define STDERR_MAX 8192
#define INFO_MEM_EVERY_US 1000000 /* it walks the guest's page tables under QEMU's big lock */

struct supervisor {
  uv_loop_t *loop;
  uv_process_t proc;
  uv_pipe_t err_pipe, qmp, serial;
  /* One timer per purpose: connect_retry until QMP's socket accepts us, quit_grace between `quit`
   * and the kill, drain between QEMU's exit and giving up on its console. */
  uv_timer_t connect_retry, quit_grace, drain, deadline, silence, stall, sampler;
  int open_handles;
  bool fifo; /* the console is serial_path, a FIFO (supervisor_config) */
  bool qmp_open, serial_open, exited, started, ending, stop_requested, killed, stall_armed;
  enum supervisor_reason reason;
  int exit_code, term_signal;
  int64_t spawn_us, qemu_start_us;
  char self_exe[4096];
  char *qmp_path, *serial_path;
  int serial_fd; /* the console FIFO's read end until the stream takes it; -1: none (a socket) */
  unsigned timeout_ms, silence_ms, stall_ms, sample_ms;
  struct qmp_framer framer;
  struct qmp_session session;
  char errbuf[STDERR_MAX + 1];
  size_t errlen;
  char detail[512];
  int vcpu_tids[PROCSTAT_MAX_VCPUS];
  size_t n_vcpus;
  int64_t guest_ram_mb;
  char *gdb_path;
  uint64_t *bp_addrs;
  size_t n_bps;
  int bp_bits;
  struct gdbstub *gdb;
  bool info_mem, info_pending;
  int64_t info_sent_us, mapped_kb, info_cost_us; /* the last answer, until a sample takes it */
  struct info_mem_scan info_scan;
  char readbuf[65536];
  struct supervisor_callbacks cb;
  void *userdata;
};

int supervisor_exec_helper(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[1], HELPER_FLAG) != 0)
    return -1;
  /* The kernel kills QEMU when the daemon dies, even by SIGKILL. If the daemon
   * died before prctl took effect, the parent is no longer the one named. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != (pid_t)atol(argv[2]))
    _exit(127);
  execvp(argv[3], argv + 3);
  fprintf(stderr, "cannot execute %s: %s\n", argv[3], strerror(errno));
  _exit(127);
}

static void on_deadline(uv_timer_t *t);
static void on_sample(uv_timer_t *t);
static void on_silence(uv_timer_t *t);
static void on_stall(uv_timer_t *t);
static void on_drain(uv_timer_t *t);
static void on_quit_grace(uv_timer_t *t);
static int run_actions(struct supervisor *s, struct qmp_actions *acts);

static void set_detail(struct supervisor *s, const char *fmt, const char *arg) {
  if (!s->detail[0])
    snprintf(s->detail, sizeof s->detail, fmt, arg);
}

static void unlink_fifo(struct supervisor *s) {
  if (s->fifo && s->serial_path)
    unlink(s->serial_path);
}

static void handle_gone(struct supervisor *s) {
  if (--s->open_handles > 0)
    return;
  struct supervisor_end end = {
      .reason = s->reason,
      .started = s->started,
      .exit_code = s->exit_code,
      .term_signal = s->term_signal,
      .killed = s->killed,
      .detail = s->detail,
      .qemu_err = s->errbuf,
  };
  s->cb.ended(s->userdata, &end);
  qmp_framer_clear(&s->framer);
  qmp_session_clear(&s->session);
  if (s->serial_fd >= 0)
    close(s->serial_fd);
  unlink_fifo(s);
  free(s->gdb_path);
  free(s->bp_addrs);
  free(s->qmp_path);
  free(s->serial_path);
  free(s);
}

static void on_closed(uv_handle_t *h) { handle_gone(h->data); }

/* The pipe QEMU writes the console to (serial_fifo), made before QEMU starts and opened for reading
 * without blocking, so that QEMU's own open of it returns at once. A pipe holds 1 MiB of console
 * (QEMU writes a byte at a time; a unix socket counts each write's overhead and refused a Linux
 * boot's first 7 KB burst under load). */
static int open_fifo(struct supervisor *s) {
  if (mkfifo(s->serial_path, 0600) < 0)
    return -errno;
  s->serial_fd = open(s->serial_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (s->serial_fd < 0)
    return -errno;
  if (fcntl(s->serial_fd, F_SETPIPE_SZ, 1 << 20) < 0) /* else the default 64 KiB */
    fprintf(stderr, "the console FIFO keeps its default size: %s\n", strerror(errno));
  return 0;
}

static void close_handle(struct supervisor *s, uv_handle_t *h) {
  if (h->data == s && !uv_is_closing(h))
    uv_close(h, on_closed);
}

/* Only once QEMU is gone and the console drained: nothing it printed is lost. */
static void finish(struct supervisor *s) {
  if (s->ending)
    return;
  s->ending = true;
  uv_handle_t *handles[] = {
      (uv_handle_t *)&s->proc,   (uv_handle_t *)&s->err_pipe,      (uv_handle_t *)&s->qmp,
      (uv_handle_t *)&s->serial, (uv_handle_t *)&s->connect_retry, (uv_handle_t *)&s->quit_grace,
      (uv_handle_t *)&s->drain,  (uv_handle_t *)&s->deadline,      (uv_handle_t *)&s->silence,
      (uv_handle_t *)&s->stall,  (uv_handle_t *)&s->sampler};
  for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++)
    close_handle(s, handles[i]);
  if (s->gdb)
    gdbstub_close(s->gdb);
}

/* Only once QEMU is gone and both its console and QMP drained: nothing it printed is lost, and a
 * SHUTDOWN it sent just before exiting still reaches the caller. The drain timer bounds the wait.
 */
static void maybe_finish(struct supervisor *s) {
  if (s->exited && !s->serial_open && !s->qmp_open)
    finish(s);
}

static void kill_group(struct supervisor *s) {
  if (!s->exited && s->proc.pid > 0 && kill(-s->proc.pid, SIGKILL) == 0)
    s->killed = true;
}

static void end_with(struct supervisor *s, enum supervisor_reason reason, const char *detail) {
  if (s->reason == SUP_EXITED)
    s->reason = reason;
  set_detail(s, "%s", detail);
  kill_group(s);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct supervisor *s = h->data;
  (void)suggested;
  *buf = uv_buf_init(s->readbuf, sizeof s->readbuf);
}

int supervisor_send(struct supervisor *s, const char *text, size_t len) {
  if (!s->serial_open || s->ending || s->fifo)
    return -EPIPE;
  char *copy = malloc(len ? len : 1);
  if (copy)
    memcpy(copy, text, len);
  return uv_write_owned((uv_stream_t *)&s->serial, copy, len);
}

static void start_clock(struct supervisor *s, int64_t t0);

static void on_serial_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  int64_t stamp = util_mono_us();
  struct supervisor *s = st->data;
  if (n > 0 && !s->started && s->session.step == QMP_STEP_CONT)
    start_clock(s, stamp);
  if (n > 0) {
    if (s->silence_ms)
      uv_timer_again(&s->silence);
    if (s->stall_armed)
      uv_timer_again(&s->stall);
    s->cb.serial(s->userdata, buf->base, (size_t)n, stamp);
  } else if (n < 0) {
    s->serial_open = false;
    uv_read_stop(st);
    maybe_finish(s);
  }
}

static int open_stream(struct supervisor *s, uv_pipe_t *pipe, const char *path,
                       uv_read_cb read_cb) {
  int fd = pipe == &s->serial && s->serial_fd >= 0 ? s->serial_fd : util_connect_unix(path);
  if (pipe == &s->serial)
    s->serial_fd = -1; /* the stream owns it now */
  if (fd < 0)
    return fd;
  uv_pipe_init(s->loop, pipe, 0);
  pipe->data = s;
  s->open_handles++;
  int r = uv_pipe_open(pipe, fd);
  if (r < 0)
    close(fd); /* the handle did not take it */
  if (r == 0)
    r = uv_read_start((uv_stream_t *)pipe, on_alloc, read_cb);
  return r;
}

/* Sends a command of the session after t0 (or quit); its write goes out through run_actions. */
static int session_command(struct supervisor *s, enum qmp_cmd cmd) {
  _cleanup_(qmp_actions_clear) struct qmp_actions acts = {0};
  int r = qmp_session_command(&s->session, cmd, &acts);
  return r < 0 ? r : run_actions(s, &acts);
}

/* t0 is QEMU's acknowledgement of `cont`, or the first console byte read after `cont` went out when
 * that is read first: both sockets are read in the same loop turn, the acknowledgement is then
 * already on its way, and a byte read before t0 was known would be stamped from nothing (seen with
 * the ARM fixture, which prints 5 ms after t0, under the sanitizers: its first markers got the
 * monotonic clock's raw value as their time). Once only. */
static void start_clock(struct supervisor *s, int64_t t0) {
  if (s->started)
    return;
  s->started = true;
  if (s->timeout_ms)
    uv_timer_start(&s->deadline, on_deadline, s->timeout_ms, 0);
  if (s->silence_ms)
    uv_timer_start(&s->silence, on_silence, s->silence_ms, s->silence_ms);
  s->stall_armed = s->stall_ms > 0;
  if (s->stall_armed)
    uv_timer_start(&s->stall, on_stall, s->stall_ms, s->stall_ms);
  if (s->sample_ms && s->cb.sample)
    uv_timer_start(&s->sampler, on_sample, 0, s->sample_ms);
  s->cb.started(s->userdata, t0, s->qemu_start_us);
}

/* `cont` acknowledged: the clock runs (if a console byte did not start it), and the sampler learns
 * which threads are the vCPUs and how much RAM the guest has. */
static void guest_running(struct supervisor *s) {
  start_clock(s, util_mono_us());
  if (s->sample_ms && s->cb.sample) {
    session_command(s, QMP_CMD_CPUS);
    session_command(s, QMP_CMD_MEMORY);
  }
}

/* The console (and gdbstub) is connected: the session checks that QEMU accepted it, then sends
 * `cont`. */
static void console_connected(struct supervisor *s) {
  _cleanup_(qmp_actions_clear) struct qmp_actions acts = {0};
  if (s->ending || s->stop_requested)
    return;
  int r = qmp_session_console_connected(&s->session, &acts);
  if (r < 0)
    end_with(s, SUP_START_FAILED, "the QMP session was not ready for the console check");
  else
    run_actions(s, &acts);
}

static void gdb_ready(void *userdata, int err, const char *detail) {
  struct supervisor *s = userdata;
  if (err < 0)
    end_with(s, SUP_START_FAILED, detail);
  else
    console_connected(s);
}

static void gdb_hit(void *userdata, size_t index, int64_t stamp_us) {
  struct supervisor *s = userdata;
  if (s->cb.symbol && s->started && !s->ending)
    s->cb.symbol(s->userdata, index, stamp_us);
}

static void gdb_closed(void *userdata) {
  struct supervisor *s = userdata;
  s->gdb = NULL;
  handle_gone(s);
}

/* Breakpoints go in while the guest is still paused; `cont` follows when they are set. */
static int start_gdb(struct supervisor *s) {
  static const struct gdbstub_callbacks cbs = {gdb_ready, gdb_hit, gdb_closed};
  int r = gdbstub_start(s->loop, s->gdb_path, s->bp_addrs, s->n_bps, s->bp_bits, &cbs, s, &s->gdb);
  if (r == 0)
    s->open_handles++;
  return r;
}

/* Capabilities acknowledged: the console must be connected before `cont`, or early bytes are lost.
 */
static void connect_console(struct supervisor *s) {
  int r = open_stream(s, &s->serial, s->serial_path, on_serial_read);
  s->serial_open = r == 0;
  if (r < 0)
    end_with(s, SUP_START_FAILED, "cannot connect to QEMU's serial console socket");
  else if (s->gdb_path && start_gdb(s) < 0)
    end_with(s, SUP_START_FAILED, "cannot connect to QEMU's gdbstub socket");
  else if (!s->gdb_path)
    console_connected(s);
}

static void on_step(struct supervisor *s, const struct qmp_action *a) {
  switch (a->step) {
  case QMP_STEP_CAPABILITIES: /* the greeting came: QEMU's own start-up is over */
    s->qemu_start_us = util_mono_us() - s->spawn_us;
    break;
  case QMP_STEP_CONNECT: connect_console(s); break;
  case QMP_STEP_RUNNING: guest_running(s); break;
  case QMP_STEP_FAILED: end_with(s, SUP_START_FAILED, a->text); break;
  default: break;
  }
}

static void on_info_mem(struct supervisor *s, const json_t *ret) {
  s->info_pending = false;
  s->info_cost_us = util_mono_us() - s->info_sent_us;
  /* The framer streamed the listing into info_scan and left the string empty. */
  s->mapped_kb = json_is_string(ret) ? info_mem_scan_kb(&s->info_scan) : -1;
}

static void on_info_text(void *userdata, const char *escaped, size_t len) {
  struct supervisor *s = userdata;
  info_mem_scan_feed(&s->info_scan, escaped, len);
}

static void on_reply(struct supervisor *s, const struct qmp_action *a) {
  switch (a->cmd) {
  case QMP_CMD_CPUS:
    s->n_vcpus = qmp_session_vcpu_tids(a->ret, s->vcpu_tids, PROCSTAT_MAX_VCPUS);
    break;
  case QMP_CMD_MEMORY: s->guest_ram_mb = qmp_session_ram_mb(a->ret); break;
  case QMP_CMD_INFO_MEM: on_info_mem(s, a->ret); break;
  case QMP_CMD_QUIT: /* acknowledged: QEMU gets the whole grace from here to exit */
    uv_timer_start(&s->quit_grace, on_quit_grace, QUIT_GRACE_MS, 0);
    break;
  default: break;
  }
}

/* After t0 a refusal ends nothing by itself: it is logged, and recorded where it changes the run.
 */
static void on_command_error(struct supervisor *s, const struct qmp_action *a) {
  fprintf(stderr, "QEMU (pid %d): %s\n", s->proc.pid, a->text);
  if (a->cmd == QMP_CMD_INFO_MEM) {
    s->info_pending = false; /* the samples go on without it; the next one asks again */
  } else if (a->cmd == QMP_CMD_QUIT) {
    /* QEMU will not go by itself: waiting out the grace would only delay the kill. */
    set_detail(s, "%s; the daemon killed QEMU", a->text);
    kill_group(s);
  }
}

/* Writes an action's command line (taken over from it). */
static int write_line(struct supervisor *s, struct qmp_action *a) {
  char *line = a->text;
  a->text = NULL;
  int r = s->qmp_open ? uv_write_owned((uv_stream_t *)&s->qmp, line, strlen(line))
                      : (free(line), -EPIPE);
  if (r < 0) {
    if (!s->started)
      end_with(s, SUP_START_FAILED, "cannot write to QMP");
    return r;
  }
  if (a->cmd == QMP_CMD_INFO_MEM) {
    /* The listing of a 64-bit guest can be megabytes (QEMU-NOTES.md): it is summed as it streams
     * in rather than held, and every other reply keeps the framer's limit. Armed before the loop
     * reads again, so before the reply can arrive. */
    info_mem_scan_reset(&s->info_scan);
    qmp_framer_stream_text(&s->framer, on_info_text, s);
    s->info_pending = true;
    s->info_sent_us = util_mono_us();
  }
  return 0;
}

/* Performs the session's actions in order; returns the first failed write's error, or 0. */
static int run_actions(struct supervisor *s, struct qmp_actions *acts) {
  int err = 0;
  for (size_t i = 0; i < acts->n; i++) {
    struct qmp_action *a = &acts->v[i];
    int r = 0;
    if (a->kind == QMP_ACT_WRITE)
      r = write_line(s, a);
    else if (a->kind == QMP_ACT_STEP)
      on_step(s, a);
    else if (a->kind == QMP_ACT_EVENT && s->cb.event)
      s->cb.event(s->userdata, a->text);
    else if (a->kind == QMP_ACT_REPLY)
      on_reply(s, a);
    else if (a->kind == QMP_ACT_ERROR)
      on_command_error(s, a);
    if (r < 0 && err == 0)
      err = r;
  }
  return err;
}

/* QEMU never sends these; they are logged and skipped rather than fatal (an oversized message is).
 */
static void log_ignored(struct supervisor *s, int err, const char *line, size_t len) {
  char head[61];
  size_t n = 0;
  for (; n < len && n < sizeof head - 1; n++)
    head[n] = line[n] >= 0x20 && line[n] < 0x7f ? line[n] : '?';
  head[n] = '\0';
  fprintf(stderr, "QEMU (pid %d): ignored a QMP message (%s): %s\n", s->proc.pid,
          err == -EPROTO ? "out of place" : strerror(-err), head);
}

static void on_qmp_line(void *userdata, const char *line, size_t len) {
  struct supervisor *s = userdata;
  _cleanup_(qmp_actions_clear) struct qmp_actions acts = {0};
  int r = qmp_session_feed(&s->session, line, len, &acts);
  if (r < 0)
    log_ignored(s, r, line, len);
  else
    run_actions(s, &acts);
}

/* The daemon kills QEMU for this one, so the run must say so rather than look like a crash. */
static void protocol_error(struct supervisor *s, int err) {
  char head[61], detail[sizeof s->detail];
  qmp_framer_peek(&s->framer, head, sizeof head);
  if (err == -E2BIG)
    snprintf(detail, sizeof detail,
             "QMP sent a message longer than %u bytes (it began %s); the daemon killed QEMU",
             QMP_MAX_MESSAGE, head);
  else if (err == -EPROTO)
    snprintf(detail, sizeof detail, "%s",
             "QMP sent a raw newline inside a string; the daemon killed QEMU");
  else
    snprintf(detail, sizeof detail, "cannot frame QMP: %s; the daemon killed QEMU", strerror(-err));
  end_with(s, SUP_PROTOCOL_ERROR, detail);
}

static void on_qmp_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct supervisor *s = st->data;
  int r = n > 0 ? qmp_framer_feed(&s->framer, buf->base, (size_t)n, on_qmp_line, s) : 0;
  if (r < 0) {
    protocol_error(s, r);
    uv_read_stop(st); /* nothing after a broken message can be framed */
    s->qmp_open = false;
  }
  if (n < 0) {
    uv_read_stop(st);
    s->qmp_open = false;
    close_handle(s, (uv_handle_t *)st);
    maybe_finish(s);
  }
}

/* QEMU creates its QMP socket some milliseconds after the spawn: retried until it accepts us. */
static void on_connect_retry(uv_timer_t *t) {
  struct supervisor *s = t->data;
  if (s->exited || s->stop_requested)
    return; /* a stop before QMP was up killed QEMU already */
  int r = open_stream(s, &s->qmp, s->qmp_path, on_qmp_read);
  if (r == 0) {
    s->qmp_open = true;
    return;
  }
  if (s->qmp.data == s)
    end_with(s, SUP_START_FAILED, "cannot read QEMU's QMP socket");
  else if (util_mono_us() - s->spawn_us > CONNECT_LIMIT_MS * 1000)
    end_with(s, SUP_START_FAILED, "QEMU did not open its QMP socket in time");
  else
    uv_timer_start(&s->connect_retry, on_connect_retry, CONNECT_RETRY_MS, 0);
}

static void on_quit_grace(uv_timer_t *t) { kill_group(t->data); }

/* QEMU is gone; its sockets may linger past the drain period (a child it forked may hold them). */
static void on_drain(uv_timer_t *t) {
  struct supervisor *s = t->data;
  s->serial_open = s->qmp_open = false;
  finish(s);
}

static void on_deadline(uv_timer_t *t) {
  end_with(t->data, SUP_TIMEOUT, "the run's timeout passed before the boot finished");
}

static void on_sample(uv_timer_t *t) {
  struct supervisor *s = t->data;
  struct procstat_sample sample = {.guest_ram_mb = s->guest_ram_mb,
                                   .guest_mapped_kb = s->mapped_kb,
                                   .info_mem_us = s->info_cost_us};
  int64_t stamp = util_mono_us();
  if (s->exited || procstat_read(s->proc.pid, &sample.proc) < 0)
    return;
  s->mapped_kb = s->info_cost_us = -1; /* each answer goes with one sample */
  if (s->info_mem && !s->info_pending && stamp - s->info_sent_us >= INFO_MEM_EVERY_US &&
      s->qmp_open)
    session_command(s, QMP_CMD_INFO_MEM);
  for (size_t i = 0; i < s->n_vcpus; i++)
    if (procstat_thread_ms(s->proc.pid, s->vcpu_tids[i], &sample.vcpu_ms[sample.n_vcpus]) == 0)
      sample.n_vcpus++;
  /* All or nothing: a vCPU missing from the list would shift the others. */
  if (sample.n_vcpus != s->n_vcpus)
    sample.n_vcpus = 0;
  s->cb.sample(s->userdata, stamp, &sample);
}

static void on_silence(uv_timer_t *t) {
  end_with(t->data, SUP_SILENT, "the guest printed nothing for longer than silence_timeout_s");
}

static void on_stall(uv_timer_t *t) {
  end_with(t->data, SUP_STALLED,
           "the guest printed nothing for longer than the stall watch allows");
}

void supervisor_stall_watch_stop(struct supervisor *s) {
  s->stall_armed = false;
  uv_timer_stop(&s->stall);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig) {
  struct supervisor *s = p->data;
  s->exited = true;
  s->exit_code = sig ? -1 : (int)status;
  s->term_signal = sig;
  if (!s->started && s->reason == SUP_EXITED) {
    s->reason = SUP_START_FAILED;
    set_detail(s, "%s", "QEMU exited before the guest was started");
  }
  if (s->stop_requested && s->reason == SUP_EXITED)
    s->reason = SUP_STOPPED;
  uv_timer_stop(&s->connect_retry);
  uv_timer_stop(&s->quit_grace);
  uv_timer_stop(&s->deadline);
  uv_timer_stop(&s->silence);
  supervisor_stall_watch_stop(s);
  uv_timer_stop(&s->sampler);
  uv_timer_start(&s->drain, on_drain, DRAIN_MS, 0);
  maybe_finish(s);
}

static void on_err_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct supervisor *s = st->data;
  if (n < 0) {
    uv_read_stop(st);
    return;
  }
  /* Keep the tail: QEMU's fatal message is its last line. */
  size_t take = (size_t)n > STDERR_MAX ? STDERR_MAX : (size_t)n;
  if (s->errlen + take > STDERR_MAX) {
    size_t drop = s->errlen + take - STDERR_MAX;
    memmove(s->errbuf, s->errbuf + drop, s->errlen - drop);
    s->errlen -= drop;
  }
  memcpy(s->errbuf + s->errlen, buf->base + (size_t)n - take, take);
  s->errlen += take;
  s->errbuf[s->errlen] = '\0';
}

static void init_timer(struct supervisor *s, uv_timer_t *t) {
  uv_timer_init(s->loop, t);
  t->data = s;
  s->open_handles++;
}

static int spawn(struct supervisor *s, char *const *qemu_argv) {
  char *self = s->self_exe;
  size_t argc = 0;
  while (qemu_argv[argc])
    argc++;
  char ppid[24];
  snprintf(ppid, sizeof ppid, "%ld", (long)getpid());
  char **argv = calloc(argc + 4, sizeof *argv);
  if (!argv)
    return -ENOMEM;
  argv[0] = self;
  argv[1] = (char *)HELPER_FLAG;
  argv[2] = ppid;
  memcpy(argv + 3, qemu_argv, argc * sizeof *argv);
  uv_stdio_container_t stdio[3] = {
      {.flags = UV_IGNORE},
      {.flags = UV_IGNORE},
      {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&s->err_pipe}};
  /* DETACHED = setsid(): QEMU leads its own process group, killed as a whole. */
  /* /proc/self/exe, not the path it names: after the daemon's file was replaced (an upgrade while
   * it runs) that path is another program or none, and every boot failed to start. */
  uv_process_options_t opt = {.exit_cb = on_exit_cb,
                              .file = "/proc/self/exe",
                              .args = argv,
                              .stdio_count = 3,
                              .stdio = stdio,
                              .flags = UV_PROCESS_DETACHED};
  s->spawn_us = util_mono_us();
  int r = uv_spawn(s->loop, &s->proc, &opt);
  free(argv);
  return r;
}

static int check_path(const char *path) {
  return strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path) ? 0 : -ENAMETOOLONG;
}

static void free_config(struct supervisor *s) {
  free(s->qmp_path);
  free(s->serial_path);
  free(s->gdb_path);
  free(s->bp_addrs);
}

/* Copies what the supervisor keeps of cfg. Nothing is open yet: a failure frees and returns. */
static int copy_config(struct supervisor *s, const struct supervisor_config *cfg) {
  s->timeout_ms = cfg->timeout_ms;
  s->silence_ms = cfg->silence_ms;
  s->stall_ms = cfg->stall_ms;
  s->sample_ms = cfg->sample_ms;
  s->info_mem = cfg->info_mem;
  /* Only the helper's argv[0] (what ps shows): it is started through /proc/self/exe. */
  ssize_t n = readlink("/proc/self/exe", s->self_exe, sizeof s->self_exe - 1);
  if (n > 0)
    s->self_exe[n] = '\0';
  else
    snprintf(s->self_exe, sizeof s->self_exe, "minix-analysisd");
  s->qmp_path = strdup(cfg->qmp_path);
  s->serial_path = strdup(cfg->serial_path);
  s->fifo = cfg->serial_fifo;
  bool gdb = cfg->gdb_path && check_path(cfg->gdb_path) == 0;
  if (gdb) {
    s->gdb_path = strdup(cfg->gdb_path);
    s->bp_addrs = calloc(cfg->n_bps ? cfg->n_bps : 1, sizeof *s->bp_addrs);
  }
  if (!s->qmp_path || !s->serial_path || (gdb && (!s->gdb_path || !s->bp_addrs))) {
    free_config(s);
    return -ENOMEM;
  }
  if (gdb) {
    memcpy(s->bp_addrs, cfg->bp_addrs, cfg->n_bps * sizeof *s->bp_addrs);
    s->n_bps = cfg->n_bps;
    s->bp_bits = cfg->bp_bits;
  }
  return 0;
}

/* From here on every handle counts: the supervisor is freed when the last one has closed. */
static void open_handles(struct supervisor *s) {
  uv_timer_t *timers[] = {&s->connect_retry, &s->quit_grace, &s->drain,  &s->deadline,
                          &s->silence,       &s->stall,      &s->sampler};
  for (size_t i = 0; i < sizeof timers / sizeof timers[0]; i++)
    init_timer(s, timers[i]);
  uv_pipe_init(s->loop, &s->err_pipe, 0);
  s->err_pipe.data = s;
  s->open_handles++;
}

int supervisor_start(uv_loop_t *loop, const struct supervisor_config *cfg,
                     const struct supervisor_callbacks *cb, void *userdata,
                     struct supervisor **out) {
  if (check_path(cfg->qmp_path) < 0 || (!cfg->serial_fifo && check_path(cfg->serial_path) < 0))
    return -ENAMETOOLONG;
  struct supervisor *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->loop = loop;
  s->cb = *cb;
  s->userdata = userdata;
  s->reason = SUP_EXITED;
  s->exit_code = -1;
  s->guest_ram_mb = -1;
  s->mapped_kb = s->info_cost_us = -1;
  s->serial_fd = -1;
  qmp_session_init(&s->session);
  int r = copy_config(s, cfg);
  if (r < 0) {
    free(s);
    return r;
  }
  if (s->gdb_path)
    unlink(s->gdb_path);
  unlink(s->qmp_path);
  unlink(s->serial_path);
  r = s->fifo ? open_fifo(s) : 0;
  if (r < 0) {
    if (s->serial_fd >= 0)
      close(s->serial_fd);
    unlink_fifo(s);
    free_config(s);
    free(s);
    return r;
  }
  open_handles(s);
  r = spawn(s, cfg->argv);
  /* A failed uv_spawn still initialises the handle; it must be closed too. */
  s->proc.data = s;
  s->open_handles++;
  if (r < 0) {
    s->reason = SUP_SPAWN_FAILED;
    snprintf(s->detail, sizeof s->detail, "cannot start %s: %s", cfg->argv[0], uv_strerror(r));
    s->exited = true;
    finish(s);
  } else {
    uv_read_start((uv_stream_t *)&s->err_pipe, on_alloc, on_err_read);
    uv_timer_start(&s->connect_retry, on_connect_retry, CONNECT_RETRY_MS, 0);
  }
  *out = s;
  return 0;
}

void supervisor_quit(struct supervisor *s) {
  if (s->exited || s->stop_requested)
    return;
  s->stop_requested = true;
  /* Before capabilities are acknowledged QEMU would refuse `quit`: it is killed instead. */
  if (s->qmp_open && session_command(s, QMP_CMD_QUIT) == 0)
    uv_timer_start(&s->quit_grace, on_quit_grace, QUIT_GRACE_MS, 0);
  else
    kill_group(s);
}

void supervisor_kill(struct supervisor *s) {
  s->stop_requested = true;
  kill_group(s);
}
