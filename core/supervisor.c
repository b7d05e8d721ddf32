#include "core/supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/gdbstub.h"
#include "core/uv_write.h"
#include "lib/info_mem.h"
#include "lib/qmp.h"
#include "lib/util.h"

#define HELPER_FLAG "--ma-exec-with-pdeathsig"
#define CONNECT_RETRY_MS 5
#define CONNECT_LIMIT_MS 15000
#define QUIT_GRACE_MS 1000
#define DRAIN_MS 500
#define STDERR_MAX 8192
#define INFO_MEM_EVERY_US 1000000 /* it walks the guest's page tables under QEMU's big lock */

enum phase { PH_CONNECTING, PH_HANDSHAKE, PH_RUNNING, PH_ENDING };

struct supervisor {
  uv_loop_t *loop;
  uv_process_t proc;
  uv_pipe_t err_pipe, qmp, serial;
  uv_timer_t tick, deadline, silence, stall, sampler;
  int open_handles;
  int console_checks; /* query-chardev round trips before QEMU had accepted the console (see await_console) */
  bool qmp_open, serial_open, exited, ending, stop_requested, killed, stall_armed;
  enum phase phase;
  enum supervisor_reason reason;
  int exit_code, term_signal;
  int64_t spawn_us, qemu_start_us;
  char self_exe[4096];
  char *qmp_path, *serial_path;
  unsigned timeout_ms, silence_ms, stall_ms, sample_ms;
  struct qmp_framer framer;
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

static void on_tick(uv_timer_t *t);
static void on_deadline(uv_timer_t *t);
static void on_sample(uv_timer_t *t);
static void on_silence(uv_timer_t *t);
static void on_stall(uv_timer_t *t);

static void set_detail(struct supervisor *s, const char *fmt, const char *arg) {
  if (!s->detail[0])
    snprintf(s->detail, sizeof s->detail, fmt, arg);
}

static void handle_gone(struct supervisor *s) {
  if (--s->open_handles > 0)
    return;
  struct supervisor_end end = {
      .reason = s->reason,
      .started = s->phase >= PH_RUNNING,
      .exit_code = s->exit_code,
      .term_signal = s->term_signal,
      .killed = s->killed,
      .detail = s->detail,
      .qemu_err = s->errbuf,
  };
  s->cb.ended(s->userdata, &end);
  qmp_framer_clear(&s->framer);
  free(s->gdb_path);
  free(s->bp_addrs);
  free(s->qmp_path);
  free(s->serial_path);
  free(s);
}

static void on_closed(uv_handle_t *h) { handle_gone(h->data); }

static void close_handle(struct supervisor *s, uv_handle_t *h) {
  if (h->data == s && !uv_is_closing(h))
    uv_close(h, on_closed);
}

/* Only once QEMU is gone and the console drained: nothing it printed is lost. */
static void finish(struct supervisor *s) {
  if (s->ending)
    return;
  s->ending = true;
  s->phase = s->phase >= PH_RUNNING ? PH_ENDING : s->phase;
  uv_handle_t *handles[] = {(uv_handle_t *)&s->proc,     (uv_handle_t *)&s->err_pipe, (uv_handle_t *)&s->qmp,
                            (uv_handle_t *)&s->serial,   (uv_handle_t *)&s->tick,     (uv_handle_t *)&s->deadline,
                            (uv_handle_t *)&s->silence,  (uv_handle_t *)&s->stall,    (uv_handle_t *)&s->sampler};
  for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++)
    close_handle(s, handles[i]);
  if (s->gdb)
    gdbstub_close(s->gdb);
}

static void maybe_finish(struct supervisor *s) {
  if (s->exited && !s->serial_open)
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

/* Sends a command line (taken over, freed once written). */
static int qmp_write(struct supervisor *s, char *line) {
  return uv_write_owned((uv_stream_t *)&s->qmp, line, line ? strlen(line) : 0);
}

static int qmp_send(struct supervisor *s, const char *execute, const char *id) {
  return qmp_write(s, qmp_command(execute, NULL, id));
}

int supervisor_send(struct supervisor *s, const char *text, size_t len) {
  if (!s->serial_open || s->ending)
    return -EPIPE;
  char *copy = malloc(len ? len : 1);
  if (copy)
    memcpy(copy, text, len);
  return uv_write_owned((uv_stream_t *)&s->serial, copy, len);
}

static void on_serial_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  int64_t stamp = util_mono_us();
  struct supervisor *s = st->data;
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

static int open_stream(struct supervisor *s, uv_pipe_t *pipe, const char *path, uv_read_cb read_cb) {
  int fd = util_connect_unix(path);
  if (fd < 0)
    return fd;
  uv_pipe_init(s->loop, pipe, 0);
  pipe->data = s;
  s->open_handles++;
  int r = uv_pipe_open(pipe, fd);
  if (r == 0)
    r = uv_read_start((uv_stream_t *)pipe, on_alloc, read_cb);
  return r;
}

static void start_clock(struct supervisor *s) {
  int64_t t0 = util_mono_us();
  s->phase = PH_RUNNING;
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

/* Our connect() returns once the kernel queued it; QEMU accepts the console in its main loop,
 * which may run `cont` first: a guest that prints at once (the ARM fixture, 5 ms after t0) then
 * lost its first line under load. So `cont` waits until QEMU itself says the console is
 * connected: query-chardev names ser0 "disconnected:..." until it has accepted. */
static void await_console(struct supervisor *s) {
  if (!s->ending && qmp_send(s, "query-chardev", "chardev") < 0)
    end_with(s, SUP_START_FAILED, "cannot write to QMP");
}

static bool console_accepted(json_t *chardevs) {
  size_t i;
  json_t *c;
  json_array_foreach(chardevs, i, c) {
    const char *label = json_string_value(json_object_get(c, "label"));
    const char *file = json_string_value(json_object_get(c, "filename"));
    if (label && strcmp(label, "ser0") == 0)
      return file && strncmp(file, "disconnected:", 13) != 0;
  }
  return false;
}

static void on_chardevs(struct supervisor *s, const struct qmp_msg *m) {
  if (console_accepted(m->ret)) {
    if (qmp_send(s, "cont", "cont") < 0)
      end_with(s, SUP_START_FAILED, "cannot write to QMP");
  } else if (++s->console_checks > 5000) {
    end_with(s, SUP_START_FAILED, "QEMU did not accept the serial console connection");
  } else {
    await_console(s);
  }
}

static void gdb_ready(void *userdata, int err, const char *detail) {
  struct supervisor *s = userdata;
  if (err < 0)
    end_with(s, SUP_START_FAILED, detail);
  else
    await_console(s);
}

static void gdb_hit(void *userdata, size_t index, int64_t stamp_us) {
  struct supervisor *s = userdata;
  if (s->cb.symbol && s->phase == PH_RUNNING)
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

static void on_info_mem(struct supervisor *s, const struct qmp_msg *m) {
  s->info_pending = false;
  s->info_cost_us = util_mono_us() - s->info_sent_us;
  /* The framer streamed the listing into info_scan and left the string empty. */
  s->mapped_kb = json_is_string(m->ret) ? info_mem_scan_kb(&s->info_scan) : -1;
}

static void on_info_text(void *userdata, const char *escaped, size_t len) {
  struct supervisor *s = userdata;
  info_mem_scan_feed(&s->info_scan, escaped, len);
}

/* The listing of a 64-bit guest can be megabytes (QEMU-NOTES.md): it is summed as
 * it streams in rather than held, and every other reply keeps the framer's limit. */
static void ask_info_mem(struct supervisor *s, int64_t now_us) {
  json_t *args = json_pack("{s:s}", "command-line", "info mem");
  char *line = qmp_command("human-monitor-command", args, "infomem");
  if (qmp_write(s, line) < 0)
    return;
  /* Armed before the loop reads again, so before the reply can arrive. */
  info_mem_scan_reset(&s->info_scan);
  qmp_framer_stream_text(&s->framer, on_info_text, s);
  s->info_pending = true;
  s->info_sent_us = now_us;
}

static void on_return(struct supervisor *s, const struct qmp_msg *m) {
  if (!m->id)
    return;
  if (strcmp(m->id, "infomem") == 0) {
    on_info_mem(s, m);
    return;
  }
  if (strcmp(m->id, "caps") == 0) {
    /* The console must be connected before `cont`, or early bytes are lost. */
    int r = open_stream(s, &s->serial, s->serial_path, on_serial_read);
    s->serial_open = r == 0;
    if (r < 0)
      end_with(s, SUP_START_FAILED, "cannot connect to QEMU's serial console socket");
    else if (s->gdb_path && start_gdb(s) < 0)
      end_with(s, SUP_START_FAILED, "cannot connect to QEMU's gdbstub socket");
    else if (!s->gdb_path)
      await_console(s);
  } else if (strcmp(m->id, "chardev") == 0) {
    on_chardevs(s, m);
  } else if (strcmp(m->id, "cont") == 0) {
    start_clock(s);
    /* For the sampler: which threads are the vCPUs, how much RAM the guest has. */
    if (s->sample_ms && s->cb.sample) {
      qmp_send(s, "query-cpus-fast", "cpus");
      qmp_send(s, "query-memory-size-summary", "mem");
    }
  } else if (strcmp(m->id, "cpus") == 0) {
    size_t i;
    json_t *cpu;
    json_array_foreach(m->ret, i, cpu) if (i < PROCSTAT_MAX_VCPUS) s->vcpu_tids[s->n_vcpus++] =
        (int)json_integer_value(json_object_get(cpu, "thread-id"));
  } else if (strcmp(m->id, "mem") == 0) {
    json_t *base = json_object_get(m->ret, "base-memory");
    if (json_is_integer(base))
      s->guest_ram_mb = json_integer_value(base) >> 20;
  } else if (strcmp(m->id, "quit") == 0) {
    uv_timer_start(&s->tick, on_tick, QUIT_GRACE_MS, 0);
  }
}

static void on_qmp_message(void *userdata, const char *line, size_t len) {
  struct supervisor *s = userdata;
  struct qmp_msg m;
  if (qmp_parse(line, len, &m) < 0)
    return;
  if (m.kind == QMP_GREETING) {
    s->qemu_start_us = util_mono_us() - s->spawn_us;
    s->phase = PH_HANDSHAKE;
    if (qmp_send(s, "qmp_capabilities", "caps") < 0)
      end_with(s, SUP_START_FAILED, "cannot write to QMP");
  } else if (m.kind == QMP_RETURN) {
    on_return(s, &m);
  } else if (m.kind == QMP_ERROR && s->phase < PH_RUNNING) {
    snprintf(s->detail, sizeof s->detail, "QMP refused %s: %s", m.id ? m.id : "a command",
             m.error_desc ? m.error_desc : m.error_class);
    end_with(s, SUP_START_FAILED, s->detail);
  } else if (m.kind == QMP_EVENT && s->cb.event) {
    s->cb.event(s->userdata, m.event);
  }
  qmp_msg_clear(&m);
}

/* The daemon kills QEMU for this one, so the run must say so rather than look like a crash. */
static void protocol_error(struct supervisor *s, int err) {
  char head[61], detail[sizeof s->detail];
  qmp_framer_peek(&s->framer, head, sizeof head);
  if (err == -E2BIG)
    snprintf(detail, sizeof detail,
             "QMP sent a message longer than %u bytes (it began %s); the daemon killed QEMU", QMP_MAX_MESSAGE,
             head);
  else if (err == -EPROTO)
    snprintf(detail, sizeof detail, "%s", "QMP sent a raw newline inside a string; the daemon killed QEMU");
  else
    snprintf(detail, sizeof detail, "cannot frame QMP: %s; the daemon killed QEMU", strerror(-err));
  end_with(s, SUP_PROTOCOL_ERROR, detail);
}

static void on_qmp_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct supervisor *s = st->data;
  int r = n > 0 ? qmp_framer_feed(&s->framer, buf->base, (size_t)n, on_qmp_message, s) : 0;
  if (r < 0) {
    protocol_error(s, r);
    uv_read_stop(st); /* nothing after a broken message can be framed */
  }
  if (n < 0) {
    uv_read_stop(st);
    s->qmp_open = false;
    close_handle(s, (uv_handle_t *)st);
  }
}

static void on_tick(uv_timer_t *t) {
  struct supervisor *s = t->data;
  if (s->exited) {
    /* Drain period over: QEMU is gone, its console socket may linger. */
    s->serial_open = false;
    finish(s);
    return;
  }
  if (s->stop_requested) {
    kill_group(s);
    return;
  }
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
    uv_timer_start(&s->tick, on_tick, CONNECT_RETRY_MS, 0);
}

static void on_deadline(uv_timer_t *t) {
  end_with(t->data, SUP_TIMEOUT, "the run's timeout passed before the boot finished");
}

static void on_sample(uv_timer_t *t) {
  struct supervisor *s = t->data;
  struct procstat_sample sample = {
      .guest_ram_mb = s->guest_ram_mb, .guest_mapped_kb = s->mapped_kb, .info_mem_us = s->info_cost_us};
  int64_t stamp = util_mono_us();
  if (s->exited || procstat_read(s->proc.pid, &sample.proc) < 0)
    return;
  s->mapped_kb = s->info_cost_us = -1; /* each answer goes with one sample */
  if (s->info_mem && !s->info_pending && stamp - s->info_sent_us >= INFO_MEM_EVERY_US && s->qmp_open)
    ask_info_mem(s, stamp);
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
  end_with(t->data, SUP_STALLED, "the guest printed nothing for longer than the stall watch allows");
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
  if (s->phase < PH_RUNNING && s->reason == SUP_EXITED) {
    s->reason = SUP_START_FAILED;
    set_detail(s, "%s", "QEMU exited before the guest was started");
  }
  if (s->stop_requested && s->reason == SUP_EXITED)
    s->reason = SUP_STOPPED;
  uv_timer_stop(&s->deadline);
  uv_timer_stop(&s->silence);
  supervisor_stall_watch_stop(s);
  uv_timer_stop(&s->sampler);
  uv_timer_start(&s->tick, on_tick, DRAIN_MS, 0);
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
  uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE},
                                   {.flags = UV_IGNORE},
                                   {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&s->err_pipe}};
  /* DETACHED = setsid(): QEMU leads its own process group, killed as a whole. */
  uv_process_options_t opt = {.exit_cb = on_exit_cb, .file = self, .args = argv, .stdio_count = 3, .stdio = stdio,
                              .flags = UV_PROCESS_DETACHED};
  s->spawn_us = util_mono_us();
  int r = uv_spawn(s->loop, &s->proc, &opt);
  free(argv);
  return r;
}

static int check_path(const char *path) {
  return strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path) ? 0 : -ENAMETOOLONG;
}

int supervisor_start(uv_loop_t *loop, const struct supervisor_config *cfg, const struct supervisor_callbacks *cb,
                     void *userdata, struct supervisor **out) {
  if (check_path(cfg->qmp_path) < 0 || check_path(cfg->serial_path) < 0)
    return -ENAMETOOLONG;
  struct supervisor *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->loop = loop;
  s->cb = *cb;
  s->userdata = userdata;
  s->reason = SUP_EXITED;
  s->exit_code = -1;
  s->timeout_ms = cfg->timeout_ms;
  s->silence_ms = cfg->silence_ms;
  s->stall_ms = cfg->stall_ms;
  s->sample_ms = cfg->sample_ms;
  s->guest_ram_mb = -1;
  s->info_mem = cfg->info_mem;
  s->mapped_kb = s->info_cost_us = -1;
  ssize_t n = readlink("/proc/self/exe", s->self_exe, sizeof s->self_exe - 1);
  if (n < 0) {
    int err = -errno;
    free(s);
    return err;
  }
  s->self_exe[n] = '\0';
  s->qmp_path = strdup(cfg->qmp_path);
  s->serial_path = strdup(cfg->serial_path);
  bool gdb = cfg->gdb_path && check_path(cfg->gdb_path) == 0;
  if (gdb) {
    s->gdb_path = strdup(cfg->gdb_path);
    s->bp_addrs = calloc(cfg->n_bps ? cfg->n_bps : 1, sizeof *s->bp_addrs);
  }
  /* Nothing is open yet: a failed allocation ends here, before any handle needs closing. */
  if (!s->qmp_path || !s->serial_path || (gdb && (!s->gdb_path || !s->bp_addrs))) {
    free(s->qmp_path);
    free(s->serial_path);
    free(s->gdb_path);
    free(s->bp_addrs);
    free(s);
    return -ENOMEM;
  }
  if (gdb) {
    memcpy(s->bp_addrs, cfg->bp_addrs, cfg->n_bps * sizeof *s->bp_addrs);
    s->n_bps = cfg->n_bps;
    s->bp_bits = cfg->bp_bits;
    unlink(s->gdb_path);
  }
  unlink(s->qmp_path);
  unlink(s->serial_path);
  init_timer(s, &s->tick);
  init_timer(s, &s->deadline);
  init_timer(s, &s->silence);
  init_timer(s, &s->stall);
  init_timer(s, &s->sampler);
  uv_pipe_init(loop, &s->err_pipe, 0);
  s->err_pipe.data = s;
  s->open_handles++;
  int r = spawn(s, cfg->argv);
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
    uv_timer_start(&s->tick, on_tick, CONNECT_RETRY_MS, 0);
  }
  *out = s;
  return 0;
}

void supervisor_quit(struct supervisor *s) {
  if (s->exited || s->stop_requested)
    return;
  s->stop_requested = true;
  if (s->qmp_open && qmp_send(s, "quit", "quit") == 0)
    uv_timer_start(&s->tick, on_tick, QUIT_GRACE_MS, 0);
  else
    kill_group(s);
}

void supervisor_kill(struct supervisor *s) {
  s->stop_requested = true;
  kill_group(s);
}
