#include "core/tool.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define ERR_MAX 2048

struct tool {
  uv_process_t proc;
  uv_pipe_t err, out;
  uv_timer_t timer;
  int open_handles, status;
  bool capture, timed_out, too_long;
  char errbuf[ERR_MAX + 1], readbuf[4096];
  size_t errlen;
  struct util_buf outbuf;
  tool_done_cb done;
  tool_out_cb done_out;
  void *userdata;
};

static void on_closed(uv_handle_t *h) {
  struct tool *t = h->data;
  if (--t->open_handles > 0)
    return;
  while (t->errlen > 0 && (t->errbuf[t->errlen - 1] == '\n' || t->errbuf[t->errlen - 1] == ' '))
    t->errbuf[--t->errlen] = '\0';
  if (t->done_out) {
    int status = t->timed_out ? -ETIMEDOUT : t->too_long ? -EMSGSIZE : t->status;
    t->done_out(t->userdata, status, t->outbuf.data ? t->outbuf.data : "", t->errbuf);
  } else {
    t->done(t->userdata, t->status, t->errbuf);
  }
  util_buf_clear(&t->outbuf);
  free(t);
}

static void close_handle(uv_handle_t *h) {
  if (!uv_is_closing(h))
    uv_close(h, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct tool *t = h->data;
  (void)suggested;
  *buf = uv_buf_init(t->readbuf, sizeof t->readbuf);
}

static void on_read_err(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct tool *t = st->data;
  if (n > 0) {
    size_t room = ERR_MAX - t->errlen, take = (size_t)n < room ? (size_t)n : room;
    memcpy(t->errbuf + t->errlen, buf->base, take);
    t->errlen += take;
    t->errbuf[t->errlen] = '\0';
  } else if (n < 0) {
    close_handle((uv_handle_t *)st);
  }
}

static void on_read_out(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct tool *t = st->data;
  if (n > 0 && !t->too_long) {
    t->too_long = t->outbuf.len + (size_t)n > TOOL_OUT_MAX ||
                  util_buf_append(&t->outbuf, buf->base, (size_t)n) < 0;
  } else if (n < 0) {
    close_handle((uv_handle_t *)st);
  }
}

static void on_exit_cb(uv_process_t *p, int64_t status, int signal) {
  struct tool *t = p->data;
  t->status = signal ? -EINTR : (int)status;
  if (t->capture)
    close_handle((uv_handle_t *)&t->timer);
  uv_close((uv_handle_t *)p, on_closed);
}

static void on_timeout(uv_timer_t *timer) {
  struct tool *t = timer->data;
  t->timed_out = true;
  uv_process_kill(&t->proc, SIGKILL);
}

static int spawn(uv_loop_t *loop, char *const *argv, struct tool *t, unsigned timeout_ms) {
  uv_pipe_init(loop, &t->err, 0);
  t->err.data = t->proc.data = t->out.data = t->timer.data = t;
  t->open_handles = 1;
  if (t->capture) {
    uv_pipe_init(loop, &t->out, 0);
    uv_timer_init(loop, &t->timer);
    t->open_handles += 2;
  }
  uv_stdio_container_t stdio[3] = {
      {.flags = UV_IGNORE},
      {.flags = UV_IGNORE},
      {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&t->err}};
  if (t->capture)
    stdio[1] = (uv_stdio_container_t){.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
                                      .data.stream = (uv_stream_t *)&t->out};
  uv_process_options_t opt = {.exit_cb = on_exit_cb,
                              .file = argv[0],
                              .args = (char **)argv,
                              .stdio_count = 3,
                              .stdio = stdio};
  int r = uv_spawn(loop, &t->proc, &opt);
  t->open_handles++; /* a failed uv_spawn still needs closing */
  if (r < 0) {
    t->status = r;
    snprintf(t->errbuf, sizeof t->errbuf, "cannot run %s: %s", argv[0], uv_strerror(r));
    t->errlen = strlen(t->errbuf);
    uv_close((uv_handle_t *)&t->proc, on_closed);
    uv_close((uv_handle_t *)&t->err, on_closed);
    if (t->capture) {
      uv_close((uv_handle_t *)&t->out, on_closed);
      uv_close((uv_handle_t *)&t->timer, on_closed);
    }
    return 0;
  }
  uv_read_start((uv_stream_t *)&t->err, on_alloc, on_read_err);
  if (t->capture) {
    uv_read_start((uv_stream_t *)&t->out, on_alloc, on_read_out);
    uv_timer_start(&t->timer, on_timeout, timeout_ms, 0);
  }
  return 0;
}

int tool_run(uv_loop_t *loop, char *const *argv, tool_done_cb done, void *userdata) {
  struct tool *t = calloc(1, sizeof *t);
  if (!t)
    return -ENOMEM;
  t->done = done;
  t->userdata = userdata;
  return spawn(loop, argv, t, 0);
}

int tool_run_out(uv_loop_t *loop, char *const *argv, unsigned timeout_ms, tool_out_cb done,
                 void *userdata) {
  struct tool *t = calloc(1, sizeof *t);
  if (!t)
    return -ENOMEM;
  t->done_out = done;
  t->userdata = userdata;
  t->capture = true;
  return spawn(loop, argv, t, timeout_ms);
}
