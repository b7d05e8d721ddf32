/* libFuzzer: QMP framing and message parsing, as QEMU's bytes arrive. */
#include <stddef.h>
#include <stdint.h>

#include "lib/info_mem.h"
#include "lib/qmp.h"

static void on_line(void *userdata, const char *line, size_t len) {
  (void)userdata;
  struct qmp_msg m;
  if (qmp_parse(line, len, &m) == 0)
    qmp_msg_clear(&m);
}

static void on_text(void *userdata, const char *escaped, size_t len) {
  info_mem_scan_feed(userdata, escaped, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct qmp_framer f = {0};
  struct info_mem_scan scan;
  info_mem_scan_reset(&scan);
  /* In two reads, split where the first byte says; its low bit arms string streaming (an "info mem"
   * reply). */
  size_t cut = size ? data[0] % (size + 1) : 0;
  if (size && data[0] & 1)
    qmp_framer_stream_text(&f, on_text, &scan);
  qmp_framer_feed(&f, (const char *)data, cut, on_line, NULL);
  qmp_framer_feed(&f, (const char *)data + cut, size - cut, on_line, NULL);
  info_mem_scan_kb(&scan);
  qmp_framer_clear(&f);
  return 0;
}
