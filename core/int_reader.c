#include "core/int_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

struct int_reader {
  uv_pipe_t pipe;
  struct int_counter *counter;
  int64_t t0_us;
  char *path;
  char buf[65536];
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct int_reader *r = h->data;
  (void)suggested;
  *buf = uv_buf_init(r->buf, sizeof r->buf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  struct int_reader *r = st->data;
  if (n > 0)
    int_counter_feed(r->counter, buf->base, (size_t)n, r->t0_us ? util_mono_us() - r->t0_us : 0);
  else if (n < 0)
    uv_read_stop(st); /* QEMU closed its end */
}

int int_reader_start(uv_loop_t *loop, const char *path, struct int_reader **out) {
  unlink(path);
  if (mkfifo(path, 0600) < 0)
    return -errno;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  struct int_reader *r = fd >= 0 ? calloc(1, sizeof *r) : NULL;
  if (!r || !(r->counter = int_counter_new()) || !(r->path = strdup(path))) {
    int err = fd < 0 ? -errno : -ENOMEM;
    if (r)
      int_counter_free(r->counter);
    free(r);
    if (fd >= 0)
      close(fd);
    unlink(path);
    return err;
  }
  uv_pipe_init(loop, &r->pipe, 0);
  r->pipe.data = r;
  int e = uv_pipe_open(&r->pipe, fd);
  if (e == 0)
    e = uv_read_start((uv_stream_t *)&r->pipe, on_alloc, on_read);
  *out = r;
  return 0; /* a read that cannot start leaves the counts empty; the run goes on */
}

void int_reader_set_t0(struct int_reader *r, int64_t t0_us) { r->t0_us = t0_us; }

const struct int_counter *int_reader_counter(const struct int_reader *r) { return r->counter; }

static void on_closed(uv_handle_t *h) {
  struct int_reader *r = h->data;
  int_counter_free(r->counter);
  free(r->path);
  free(r);
}

void int_reader_close(struct int_reader *r) {
  unlink(r->path);
  uv_close((uv_handle_t *)&r->pipe, on_closed);
}
