#include "core/gdbstub.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/uv_write.h"
#include "lib/rsp.h"
#include "lib/util.h"

/* Each reply answers the one request in flight; what the client is waiting for says what it means.
 */
enum gdb_wait { W_NOACK, W_SET, W_RUNNING, W_REGS, W_CLEAR, W_CLOSED };

struct gdbstub {
  uv_pipe_t pipe;
  enum gdb_wait wait;
  uint64_t *addrs;
  bool *armed;
  size_t n, next;
  int bits;
  bool acking; /* until QStartNoAckMode is accepted (QEMU 7.2 answers it with "": not supported) */
  size_t hit_index;
  int64_t stop_stamp;
  struct util_buf in;
  char readbuf[4096];
  struct gdbstub_callbacks cb;
  void *userdata;
};

static int send_packet(struct gdbstub *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int send_packet(struct gdbstub *g, const char *fmt, ...) {
  char data[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(data, sizeof data, fmt, ap);
  va_end(ap);
  char *pkt = rsp_packet(data);
  return uv_write_owned((uv_stream_t *)&g->pipe, pkt, pkt ? strlen(pkt) : 0);
}

static void fail(struct gdbstub *g, const char *what, const char *reply) {
  char detail[160];
  snprintf(detail, sizeof detail, "%s (the gdbstub answered \"%.40s\")", what, reply);
  g->wait = W_CLOSED;
  g->cb.ready(g->userdata, -EPROTO, detail);
}

static void set_next(struct gdbstub *g) {
  if (g->next == g->n) {
    g->wait = W_RUNNING;
    g->cb.ready(g->userdata, 0, NULL);
    return;
  }
  g->wait = W_SET;
  send_packet(g, "Z0,%llx,1", (unsigned long long)g->addrs[g->next]);
}

static void on_stop(struct gdbstub *g, const char *reply) {
  if (reply[0] != 'T' && reply[0] != 'S')
    return; /* W/X (the guest ended) or console output: nothing to continue */
  g->wait = W_REGS;
  send_packet(g, "g");
}

static void on_regs(struct gdbstub *g, const char *reply) {
  uint64_t pc = 0;
  g->hit_index = g->n;
  if (rsp_pc(reply, g->bits, &pc) == 0)
    for (size_t i = 0; i < g->n; i++)
      if (g->armed[i] && g->addrs[i] == pc)
        g->hit_index = i;
  if (g->hit_index == g->n) { /* stopped for another reason (a QMP stop): let it go on */
    g->wait = W_RUNNING;
    send_packet(g, "c");
    return;
  }
  g->armed[g->hit_index] = false;
  g->cb.hit(g->userdata, g->hit_index, g->stop_stamp);
  /* One-shot: "first call" is what a phase marker means. */
  g->wait = W_CLEAR;
  send_packet(g, "z0,%llx,1", (unsigned long long)pc);
}

static void on_packet(struct gdbstub *g, const char *reply) {
  switch (g->wait) {
  case W_NOACK:
    g->acking = strcmp(reply, "OK") != 0;
    set_next(g);
    break;
  case W_SET:
    if (strcmp(reply, "OK") != 0) {
      fail(g, "a breakpoint could not be set", reply);
      break;
    }
    g->armed[g->next++] = true;
    set_next(g);
    break;
  case W_RUNNING: on_stop(g, reply); break;
  case W_REGS: on_regs(g, reply); break;
  case W_CLEAR:
    g->wait = W_RUNNING;
    send_packet(g, "c");
    break;
  case W_CLOSED: break;
  }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct gdbstub *g = h->data;
  (void)suggested;
  *buf = uv_buf_init(g->readbuf, sizeof g->readbuf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  int64_t stamp = util_mono_us();
  struct gdbstub *g = st->data;
  if (n < 0) {
    uv_read_stop(st);
    if (g->wait == W_NOACK || g->wait == W_SET)
      fail(g, "the gdbstub closed the connection", "");
    g->wait = W_CLOSED;
    return;
  }
  if (g->wait == W_RUNNING)
    g->stop_stamp = stamp;
  util_buf_append(&g->in, buf->base, (size_t)n);
  char *pkt = NULL;
  int r;
  while (g->wait != W_CLOSED && (r = rsp_next(&g->in, &pkt)) != 0) {
    if (r > 0) {
      if (g->acking)
        uv_try_write(st, &(uv_buf_t){.base = "+", .len = 1}, 1);
      on_packet(g, pkt);
      free(pkt);
    }
  }
}

int gdbstub_start(uv_loop_t *loop, const char *path, const uint64_t *addrs, size_t n, int bits,
                  const struct gdbstub_callbacks *cb, void *userdata, struct gdbstub **out) {
  int fd = util_connect_unix(path);
  if (fd < 0)
    return fd;
  struct gdbstub *g = calloc(1, sizeof *g);
  if (!g || !(g->addrs = calloc(n ? n : 1, sizeof *g->addrs)) ||
      !(g->armed = calloc(n ? n : 1, sizeof *g->armed))) {
    if (g)
      free(g->addrs);
    free(g);
    close(fd);
    return -ENOMEM;
  }
  memcpy(g->addrs, addrs, n * sizeof *addrs);
  g->n = n;
  g->bits = bits;
  g->acking = true;
  g->cb = *cb;
  g->userdata = userdata;
  uv_pipe_init(loop, &g->pipe, 0);
  g->pipe.data = g;
  int r = uv_pipe_open(&g->pipe, fd);
  if (r == 0)
    r = uv_read_start((uv_stream_t *)&g->pipe, on_alloc, on_read);
  if (r == 0)
    r = send_packet(g, "QStartNoAckMode");
  *out = g;
  if (r < 0) /* the caller learns it through ready, like any other failure */
    fail(g, "cannot talk to the gdbstub", uv_strerror(r));
  return 0;
}

static void on_closed(uv_handle_t *h) {
  struct gdbstub *g = h->data;
  g->cb.closed(g->userdata);
  util_buf_clear(&g->in);
  free(g->addrs);
  free(g->armed);
  free(g);
}

void gdbstub_close(struct gdbstub *g) {
  g->wait = W_CLOSED;
  if (!uv_is_closing((uv_handle_t *)&g->pipe))
    uv_close((uv_handle_t *)&g->pipe, on_closed);
}
