#include "daemon/tool.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define ERR_MAX 2048

struct tool {
  uv_process_t proc;
  uv_pipe_t err;
  int open_handles, status;
  char errbuf[ERR_MAX + 1], readbuf[1024];
  size_t errlen;
  tool_done_cb done;
  void *userdata;
};

static void on_closed(uv_handle_t *h) {
  struct tool *t = h->data;
  if (--t->open_handles > 0)
    return;
  while (t->errlen > 0 && (t->errbuf[t->errlen - 1] == '\n' || t->errbuf[t->errlen - 1] == ' '))
    t->errbuf[--t->errlen] = '\0';
  t->done(t->userdata, t->status, t->errbuf);
  free(t);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct tool *t = h->data;
  (void)suggested;
  *buf = uv_buf_init(t->readbuf, sizeof t->readbuf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct tool *t = st->data;
  if (n > 0) {
    size_t room = ERR_MAX - t->errlen, take = (size_t)n < room ? (size_t)n : room;
    memcpy(t->errbuf + t->errlen, buf->base, take);
    t->errlen += take;
    t->errbuf[t->errlen] = '\0';
  } else if (n < 0) {
    uv_close((uv_handle_t *)st, on_closed);
  }
}

static void on_exit_cb(uv_process_t *p, int64_t status, int signal) {
  struct tool *t = p->data;
  t->status = signal ? -EINTR : (int)status;
  uv_close((uv_handle_t *)p, on_closed);
}

int tool_run(uv_loop_t *loop, char *const *argv, tool_done_cb done, void *userdata) {
  struct tool *t = calloc(1, sizeof *t);
  if (!t)
    return -ENOMEM;
  t->done = done;
  t->userdata = userdata;
  uv_pipe_init(loop, &t->err, 0);
  t->err.data = t->proc.data = t;
  t->open_handles = 1;
  uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE},
                                   {.flags = UV_IGNORE},
                                   {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&t->err}};
  uv_process_options_t opt = {.exit_cb = on_exit_cb, .file = argv[0], .args = (char **)argv, .stdio_count = 3,
                              .stdio = stdio};
  int r = uv_spawn(loop, &t->proc, &opt);
  t->open_handles++; /* a failed uv_spawn still needs closing */
  if (r < 0) {
    t->status = r;
    snprintf(t->errbuf, sizeof t->errbuf, "cannot run %s: %s", argv[0], uv_strerror(r));
    t->errlen = strlen(t->errbuf);
    uv_close((uv_handle_t *)&t->proc, on_closed);
    uv_close((uv_handle_t *)&t->err, on_closed);
    return 0;
  }
  uv_read_start((uv_stream_t *)&t->err, on_alloc, on_read);
  return 0;
}
