/* libFuzzer: the marker detector with every shipped profile, input split in reads. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/detector.h"

static void on_event(void *userdata, const struct detector_event *ev) {
  (void)userdata;
  (void)ev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct profile_set *set;
  if (!set) {
    char *err = NULL;
    set = profile_set_new(&err);
    free(err);
  }
  static const char *const names[] = {"linux", "minix-3.4"};
  for (size_t p = 0; p < 2; p++) {
    char *err = NULL;
    struct detector *d =
        detector_new(profile_set_find(set, names[p]), p ? NULL : "\\$ $", on_event, NULL, &err);
    free(err);
    if (!d)
      continue;
    size_t step = size ? data[0] % 64 + 1 : 1;
    for (size_t i = 0; i < size; i += step)
      detector_feed(d, data + i, size - i < step ? size - i : step, (int64_t)i);
    detector_flush(d, (int64_t)size);
    json_decref(detector_missing(d));
    detector_free(d);
  }
  return 0;
}
