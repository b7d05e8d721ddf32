/* libFuzzer: QMP framing and message parsing, as QEMU's bytes arrive. */
#include <stddef.h>
#include <stdint.h>

#include "lib/qmp.h"

static void on_line(void *userdata, const char *line, size_t len) {
  (void)userdata;
  struct qmp_msg m;
  if (qmp_parse(line, len, &m) == 0)
    qmp_msg_clear(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct qmp_framer f = {0};
  /* In two reads, split where the first byte says. */
  size_t cut = size ? data[0] % (size + 1) : 0;
  qmp_framer_feed(&f, (const char *)data, cut, on_line, NULL);
  qmp_framer_feed(&f, (const char *)data + cut, size - cut, on_line, NULL);
  qmp_framer_clear(&f);
  return 0;
}
