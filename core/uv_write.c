#include "core/uv_write.h"

#include <errno.h>
#include <stdlib.h>

static void on_written(uv_write_t *req, int status) {
  (void)status;
  free(req->data);
  free(req);
}

int uv_write_owned(uv_stream_t *stream, char *data, size_t len) {
  uv_write_t *req = data ? malloc(sizeof *req) : NULL;
  if (!req) {
    free(data);
    return -ENOMEM;
  }
  req->data = data;
  uv_buf_t buf = uv_buf_init(data, (unsigned)len);
  int r = uv_write(req, stream, &buf, 1, on_written);
  if (r < 0)
    on_written(req, r);
  return r;
}
